#include "storage/log.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "storage/log_test_fixture.h"

namespace moldau::storage {
namespace {

using testing::make_batch;
using testing::TempDir;

using LogTest = testing::LogFixture;

TEST_F(LogTest, AppendAssignsOffsetsAndReadReturnsWholeBatches) {
  auto log = open_log();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 0);
  auto a = append(*log, 5);
  EXPECT_EQ(a.base_offset, 0);
  EXPECT_EQ(a.last_offset, 4);
  auto b = append(*log, 3);
  EXPECT_EQ(b.base_offset, 5);
  EXPECT_EQ(b.last_offset, 7);
  EXPECT_EQ(log->log_end_offset(), 8);

  auto r = log->read(0, 1 << 20, log->log_end_offset(), true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(batch_offsets(*r), (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(r->first_offset, 0);
  EXPECT_EQ(r->log_end_offset, 8);

  // An offset inside the second batch returns that batch.
  r = log->read(6, 1 << 20, 8, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(batch_offsets(*r), (std::vector<int64_t>{5}));
  EXPECT_EQ(r->first_offset, 5);

  // The leader epoch was stamped.
  Bytes bytes = read_bytes(*r);
  EXPECT_EQ(protocol::BatchHeaderView(bytes.data()).partition_leader_epoch(), 3);
}

TEST_F(LogTest, ReadRespectsMaxOffsetMaxBytesAndMinOne) {
  auto log = open_log();
  for (int i = 0; i < 10; ++i) append(*log, 2, 100);  // batches at 0,2,...,18
  int64_t batch_size = make_batch(2, 100).size();

  // max_offset (high watermark) at 6: batches 0,2,4 only.
  auto r = log->read(0, 1 << 20, 6, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(batch_offsets(*r), (std::vector<int64_t>{0, 2, 4}));

  // max_bytes of 2.5 batches gives 2 whole batches.
  r = log->read(0, batch_size * 5 / 2, 20, true);
  EXPECT_EQ(batch_offsets(*r), (std::vector<int64_t>{0, 2}));

  // max_bytes smaller than one batch: one batch with min_one, none without.
  r = log->read(4, 10, 20, true);
  EXPECT_EQ(batch_offsets(*r), (std::vector<int64_t>{4}));
  r = log->read(4, 10, 20, false);
  EXPECT_EQ(r->region.length, 0);

  // At the log end, or at max_offset: empty, not an error.
  r = log->read(20, 1 << 20, 20, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->region.length, 0);
  r = log->read(6, 1 << 20, 6, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->region.length, 0);

  // Outside [log start, log end]: OFFSET_OUT_OF_RANGE.
  r = log->read(21, 1 << 20, 30, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kOffsetOutOfRange);
  r = log->read(-1, 1 << 20, 30, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kOffsetOutOfRange);
}

TEST_F(LogTest, RollsOnSegmentBytesAndReadsAcrossSegments) {
  config_.segment_bytes = 4096;
  config_.index_interval_bytes = 512;
  auto log = open_log();
  for (int i = 0; i < 100; ++i) append(*log, 4, 100);  // ~500-byte batches
  EXPECT_GT(log->segment_count(), 10u);
  EXPECT_EQ(log->log_end_offset(), 400);
  // Every offset reads back as the batch holding it.
  for (int64_t o = 0; o < 400; o += 7) {
    auto r = log->read(o, 1, 400, true);
    ASSERT_TRUE(r.ok()) << o;
    auto offsets = batch_offsets(*r);
    ASSERT_EQ(offsets.size(), 1u) << o;
    EXPECT_EQ(offsets[0], o / 4 * 4);
  }
  // A read never spans two segments.
  auto r = log->read(0, 1 << 30, 400, true);
  EXPECT_LE(r->region.length, 4096);
  // Kafka's file names.
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "orders-3/00000000000000000000.log"));
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "orders-3/00000000000000000000.index"));
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "orders-3/00000000000000000000.timeindex"));
}

TEST_F(LogTest, RegionOutlivesDeletedSegment) {
  config_.segment_bytes = 1024;
  config_.file_delete_delay_ms = 0;
  auto log = open_log();
  for (int i = 0; i < 10; ++i) append(*log, 4, 100);
  auto r = log->read(0, 1 << 20, 40, true);
  ASSERT_TRUE(r.ok());
  Bytes before = read_bytes(*r);
  log->set_high_watermark(40);
  ASSERT_TRUE(log->delete_records_before(36).ok());
  log->delete_expired_files(now_ + 1);
  EXPECT_GE(log->log_start_offset(), 36);
  EXPECT_EQ(read_bytes(*r), before);  // the fd is still open
  auto gone = log->read(0, 1 << 20, 40, true);
  EXPECT_EQ(gone.error().code, ErrorCode::kOffsetOutOfRange);
}

TEST_F(LogTest, RejectsBadFraming) {
  auto log = open_log();
  Bytes b = make_batch(3);
  b.resize(b.size() - 1);
  auto r = log->append(b, 0, now_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCorruptMessage);
  EXPECT_EQ(log->log_end_offset(), 0);
  Bytes empty;
  EXPECT_FALSE(log->append(empty, 0, now_).ok());
}

TEST_F(LogTest, CleanReopenKeepsEverything) {
  config_.segment_bytes = 2048;
  config_.index_interval_bytes = 256;
  {
    auto log = open_log();
    for (int i = 0; i < 30; ++i) append(*log, 3, 50);
    ASSERT_TRUE(log->close().ok());
  }
  auto log = open_log(true, LogCheckpoints{90, 0, 90});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 90);
  EXPECT_EQ(log->high_watermark(), 90);
  for (int64_t o = 0; o < 90; o += 5) {
    auto r = log->read(o, 1, 90, true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(batch_offsets(*r), (std::vector<int64_t>{o / 3 * 3}));
  }
  auto a = append(*log, 2);
  EXPECT_EQ(a.base_offset, 90);
  ASSERT_TRUE(log->close().ok());
  Bytes b = make_batch(1);
  EXPECT_EQ(log->append(b, 0, now_).error().code, ErrorCode::kKafkaStorageError);
  EXPECT_TRUE(log->read(0, 100, 92, true).ok());
}

}  // namespace
}  // namespace moldau::storage

namespace moldau::storage {
namespace {

using LogReplicaTest = testing::LogFixture;

TEST_F(LogReplicaTest, AppendReplicatedKeepsLeaderOffsetsAndEpochs) {
  auto leader = open_log();
  append(*leader, 3, 10, 4);
  append(*leader, 2, 10, 7);
  auto r = leader->read(0, 1 << 20, 5, true);
  Bytes bytes = read_bytes(*r);

  tp_ = {"orders", 4};
  auto follower = open_log();
  auto a = follower->append_replicated(bytes, now_);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->base_offset, 0);
  EXPECT_EQ(a->last_offset, 4);
  EXPECT_EQ(follower->log_end_offset(), 5);
  EXPECT_EQ(follower->leader_epochs().entries(),
            (std::vector<EpochEntry>{{4, 0}, {7, 3}}));
  auto back = follower->read(0, 1 << 20, 5, true);
  EXPECT_EQ(read_bytes(*back), bytes);
  // Below the log end: refused, nothing written.
  auto again = follower->append_replicated(bytes, now_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(follower->log_end_offset(), 5);
}

// Counts the bytes read through FileOps, to check what start-up reads.
class CountingFileOps : public FileOps {
 public:
  ssize_t pread(int fd, void* p, size_t n, off_t at) override {
    ssize_t r = FileOps::pread(fd, p, n, at);
    if (r > 0) bytes_read += size_t(r);
    return r;
  }
  size_t bytes_read = 0;
};

TEST_F(LogReplicaTest, StartUpReadsDoNotGrowWithTheData) {
  CountingFileOps counting;
  dir_ = std::make_shared<LogDir>(tmp_.path(), &counting);
  config_.segment_bytes = 64 << 10;
  int64_t end = 0;
  {
    auto log = open_log();
    for (int i = 0; i < 2000; ++i) append(*log, 5, 100);  // ~1.2 MiB, ~19 segments
    end = log->log_end_offset();
    ASSERT_TRUE(log->flush().ok());
    ASSERT_TRUE(log->close().ok());
  }
  ASSERT_GT(std::filesystem::file_size(tmp_ / "orders-3/00000000000000000000.log"), 0u);
  // Clean: the active segment's tail only, and one descriptor per sealed
  // segment (its .log; indexes are mapped when first used).
  auto open_fds = [] {
    return size_t(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                std::filesystem::directory_iterator()));
  };
  size_t fds_before = open_fds();
  counting.bytes_read = 0;
  auto log = open_log(true, LogCheckpoints{end, 0, end});
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_LT(counting.bytes_read, size_t(config_.index_interval_bytes) + 16384);
  EXPECT_LE(open_fds() - fds_before, log->segment_count() + 2);
  expect_readable(*log, 0, end);
  log.reset();
  // Unclean with the recovery point in the last segment: that segment only
  // (plus its index).
  counting.bytes_read = 0;
  log = open_log(false, LogCheckpoints{end - 1, 0, end});
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_LT(counting.bytes_read, size_t(config_.segment_bytes) * 2);
  EXPECT_GT(log->segment_count(), 10u);
}

}  // namespace
}  // namespace moldau::storage

namespace moldau::storage {
namespace {

using LogFlushTest = testing::LogFixture;

// Counts fsync calls (fdatasync is used for files, fsync for directories).
class DirSyncCountingOps : public FileOps {
 public:
  int fsync(int fd) override {
    ++fsyncs;
    return FileOps::fsync(fd);
  }
  int fsyncs = 0;
};

TEST_F(LogFlushTest, NewSegmentNamesAreSyncedByEveryFlushUntilOneCompletes) {
  DirSyncCountingOps ops;
  dir_ = std::make_shared<LogDir>(tmp_.path(), &ops);
  auto log = open_log();
  ASSERT_TRUE(log->flush().ok());
  append(*log, 2);
  ASSERT_TRUE(log->roll(now_).ok());
  append(*log, 2);
  // An asynchronous flush takes the directory sync but has not completed...
  auto in_flight = log->prepare_flush(log->log_end_offset());
  ASSERT_TRUE(in_flight.ok());
  EXPECT_FALSE(in_flight->sync_dir.empty());
  // ...so a flush that completes meanwhile must sync the directory itself.
  int before = ops.fsyncs;
  ASSERT_TRUE(log->flush().ok());
  EXPECT_EQ(ops.fsyncs, before + 1);
  EXPECT_EQ(log->recovery_point(), 4);
  // Once done, no further directory syncs.
  log->complete_flush(*in_flight, Status{}, now_);
  append(*log, 1);
  before = ops.fsyncs;
  ASSERT_TRUE(log->flush().ok());
  EXPECT_EQ(ops.fsyncs, before);
}

}  // namespace
}  // namespace moldau::storage
