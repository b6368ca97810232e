// Retention, DeleteRecords, truncation, timestamps and flushing of a Log.
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/log_test_fixture.h"

namespace moldau::storage {
namespace {

using LogRetentionTest = testing::LogFixture;
namespace fs = std::filesystem;

size_t count_files(const std::string& dir, const std::string& suffix) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    n += e.path().string().ends_with(suffix);
  }
  return n;
}

TEST_F(LogRetentionTest, RetentionMsDeletesOldSegmentsBelowTheHighWatermark) {
  config_.segment_bytes = 1024;
  config_.retention_ms = 1000;
  config_.file_delete_delay_ms = 500;
  auto log = open_log();
  for (int i = 0; i < 20; ++i) append(*log, 4, 100);  // timestamps ~now_
  size_t segments = log->segment_count();
  ASSERT_GT(segments, 3u);
  // Not old enough yet.
  EXPECT_EQ(*log->apply_retention(now_ + 500), 0u);
  // Old enough, but nothing is below the high watermark.
  EXPECT_EQ(*log->apply_retention(now_ + 5000), 0u);
  log->set_high_watermark(log->log_end_offset());
  // Everything goes, the active segment after a roll.
  EXPECT_EQ(*log->apply_retention(now_ + 5000), segments);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 80);
  EXPECT_EQ(log->log_end_offset(), 80);
  // Renamed, then removed after file.delete.delay.ms.
  std::string d = tmp_ / "orders-3";
  EXPECT_EQ(count_files(d, ".log.deleted"), segments);
  log->delete_expired_files(now_ + 5000 + 499);
  EXPECT_EQ(count_files(d, ".log.deleted"), segments);
  log->delete_expired_files(now_ + 5000 + 500);
  EXPECT_EQ(count_files(d, ".deleted"), 0u);
  EXPECT_EQ(append(*log, 1).base_offset, 80);
}

TEST_F(LogRetentionTest, RetentionBytesKeepsTheNewest) {
  config_.segment_bytes = 1024;
  config_.retention_ms = -1;
  auto log = open_log();
  for (int i = 0; i < 20; ++i) append(*log, 4, 100);
  log->set_high_watermark(log->log_end_offset());
  size_t total = log->size_bytes();
  config_.retention_bytes = int64_t(total / 2);
  log->update_config(config_);
  EXPECT_GT(*log->apply_retention(now_), 0u);
  EXPECT_GE(int64_t(log->size_bytes()), config_.retention_bytes);
  EXPECT_LT(log->size_bytes(), total);
  expect_readable(*log, log->log_start_offset(), log->log_end_offset());
}

TEST_F(LogRetentionTest, DeleteRecordsMovesLogStart) {
  config_.segment_bytes = 1024;
  auto log = open_log();
  for (int i = 0; i < 20; ++i) append(*log, 4, 100);
  EXPECT_EQ(log->delete_records_before(10).error().code, ErrorCode::kOffsetOutOfRange);
  log->set_high_watermark(60);
  ASSERT_TRUE(log->delete_records_before(50).ok());
  EXPECT_EQ(log->log_start_offset(), 50);
  EXPECT_EQ(log->read(49, 100, 80, true).error().code, ErrorCode::kOffsetOutOfRange);
  // The batch holding 50 is returned whole (it starts at 48).
  auto r = log->read(50, 1, 80, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(batch_offsets(*r), (std::vector<int64_t>{48}));
  EXPECT_LE(log->segment_count(), 5u);
  EXPECT_EQ(log->leader_epochs().entries().front().start_offset, 50);
  // Moving back is a no-op.
  ASSERT_TRUE(log->delete_records_before(20).ok());
  EXPECT_EQ(log->log_start_offset(), 50);
}

TEST_F(LogRetentionTest, TimestampLookups) {
  config_.segment_bytes = 1024;
  auto log = open_log();
  for (int i = 0; i < 20; ++i) {
    Bytes b = testing::make_batch(4, 100, 1000 + i * 100);  // max ts 1003 + 100i
    ASSERT_TRUE(log->append(b, 0, now_).ok());
  }
  auto hit = log->offset_for_timestamp(1550);  // batch 6 (max 1603)
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->first, 24);
  EXPECT_EQ(hit->second, 1603);
  EXPECT_EQ(log->offset_for_timestamp(0)->first, 0);
  EXPECT_FALSE(log->offset_for_timestamp(1 << 30));
  auto max = log->max_timestamp_and_offset();
  EXPECT_EQ(max.first, 2903);
  EXPECT_EQ(max.second, 79);
}

TEST_F(LogRetentionTest, TruncateToForFollowers) {
  config_.segment_bytes = 1024;
  auto log = open_log();
  for (int i = 0; i < 20; ++i) append(*log, 4, 100, i < 10 ? 1 : 2);
  EXPECT_EQ(log->leader_epochs().end_offset_for(1, 80)->second, 40);
  ASSERT_TRUE(log->truncate_to(36).ok());
  EXPECT_EQ(log->log_end_offset(), 36);
  EXPECT_EQ(log->leader_epochs().latest_epoch(), 1);
  expect_readable(*log, 0, 36);
  EXPECT_EQ(append(*log, 2).base_offset, 36);
  expect_readable(*log, 0, 38);
}

TEST_F(LogRetentionTest, FlushMessagesAndFlushMs) {
  config_.flush_messages = 10;
  auto log = open_log();
  append(*log, 4);
  EXPECT_EQ(log->recovery_point(), 0);
  append(*log, 4);
  append(*log, 4);  // 12 unflushed >= 10
  EXPECT_EQ(log->recovery_point(), 12);
  config_.flush_messages = INT64_MAX;
  config_.flush_ms = 1000;
  log->update_config(config_);
  append(*log, 1);
  EXPECT_FALSE(log->flush_due(now_ + 10));
  EXPECT_TRUE(log->flush_due(now_ + 5000));
  ASSERT_TRUE(log->flush().ok());
  EXPECT_EQ(log->recovery_point(), 13);
}

TEST_F(LogRetentionTest, SegmentMsRollsOnTick) {
  config_.segment_ms = 1000;
  auto log = open_log();
  append(*log, 1);
  ASSERT_TRUE(log->roll_if_due(now_ + 500).ok());
  EXPECT_EQ(log->segment_count(), 1u);
  ASSERT_TRUE(log->roll_if_due(now_ + 1500).ok());
  EXPECT_EQ(log->segment_count(), 2u);
  ASSERT_TRUE(log->roll_if_due(now_ + 9000).ok());  // empty active: no roll
  EXPECT_EQ(log->segment_count(), 2u);
}

}  // namespace
}  // namespace moldau::storage
