#include "storage/log_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/clock.h"
#include "storage/testloop.h"
#include "storage/testutil.h"

namespace moldau::storage {
namespace {

namespace fs = std::filesystem;
using testing::make_batch;
using testing::TempDir;
using testing::TestLoop;

class LogManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogManager> make(LogManagerOptions options = {}) {
    auto m = std::make_unique<LogManager>(std::vector<std::string>{dir_a(), dir_b()}, config_,
                                          loop_.poster(), std::move(options));
    EXPECT_TRUE(m->open().ok());
    return m;
  }
  std::string dir_a() { return tmp_ / "a"; }
  std::string dir_b() { return tmp_ / "b"; }
  Log* create(LogManager& m, const std::string& topic, int32_t p) {
    auto log = m.get_or_create({topic, p}, "Zm9vYmFyYmF6cXV4MTIzNA", config_);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
    return log.ok() ? *log : nullptr;
  }
  void append(Log& log, int records) {
    Bytes b = make_batch(records, 20, wall_clock_ms());
    ASSERT_TRUE(log.append(b, 1, wall_clock_ms()).ok());
  }

  TempDir tmp_;
  TestLoop loop_;
  LogConfig config_;
};

TEST_F(LogManagerTest, PlacesPartitionsOnTheLeastLoadedDir) {
  auto m = make();
  for (int p = 0; p < 4; ++p) ASSERT_TRUE(create(*m, "t", p));
  size_t in_a = 0, in_b = 0;
  for (int p = 0; p < 4; ++p) {
    in_a += fs::exists(dir_a() + "/t-" + std::to_string(p));
    in_b += fs::exists(dir_b() + "/t-" + std::to_string(p));
  }
  EXPECT_EQ(in_a, 2u);
  EXPECT_EQ(in_b, 2u);
  EXPECT_EQ(m->list_partitions(), (std::vector<std::string>{"t-0", "t-1", "t-2", "t-3"}));
  // The same partition again is the same log.
  EXPECT_EQ(create(*m, "t", 0), m->get({"t", 0}));
  EXPECT_EQ(m->get({"t", 9}), nullptr);
  m->shutdown();
}

TEST_F(LogManagerTest, CleanShutdownAndRestart) {
  {
    auto m = make();
    Log* log = create(*m, "t", 0);
    for (int i = 0; i < 10; ++i) append(*log, 3);
    log->set_high_watermark(30);
    m->shutdown();
  }
  std::string marker = dir_a() + "/.kafka_cleanshutdown";
  std::string where = fs::exists(dir_a() + "/t-0") ? dir_a() : dir_b();
  EXPECT_TRUE(fs::exists(marker));
  std::ifstream rp(where + "/recovery-point-offset-checkpoint");
  std::string text((std::istreambuf_iterator<char>(rp)), {});
  EXPECT_EQ(text, "0\n1\nt 0 30\n");
  std::ifstream hw(where + "/replication-offset-checkpoint");
  std::string hw_text((std::istreambuf_iterator<char>(hw)), {});
  EXPECT_EQ(hw_text, "0\n1\nt 0 30\n");
  std::ifstream pm(where + "/t-0/partition.metadata");
  std::string pm_text((std::istreambuf_iterator<char>(pm)), {});
  EXPECT_EQ(pm_text, "version: 0\ntopic_id: Zm9vYmFyYmF6cXV4MTIzNA\n");

  auto m = make();
  EXPECT_FALSE(fs::exists(marker));  // a crash from now on must be noticed
  Log* log = m->get({"t", 0});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 30);
  EXPECT_EQ(log->high_watermark(), 30);
  EXPECT_EQ(log->recovery_point(), 30);
  EXPECT_EQ(m->topic_id({"t", 0}), "Zm9vYmFyYmF6cXV4MTIzNA");
  m->shutdown();
}

TEST_F(LogManagerTest, CrashRestartRecovers) {
  std::string seg;
  {
    auto m = make();
    Log* log = create(*m, "t", 0);
    for (int i = 0; i < 10; ++i) append(*log, 3);
    seg = log->dir() + "/00000000000000000000.log";
    // No shutdown: no marker, no checkpoints.
  }
  std::ofstream(seg, std::ios::binary | std::ios::app) << std::string(777, '\x07');
  auto m = make();
  Log* log = m->get({"t", 0});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 30);
  Bytes b = make_batch(2);
  EXPECT_EQ(log->append(b, 1, 0)->base_offset, 30);
  m->shutdown();
}

TEST_F(LogManagerTest, CrashRestartRecoversPartitionsInParallel) {
  // num.recovery.threads.per.data.dir > 1: every partition of both dirs is
  // recovered (torn tails cut off), whichever thread opened it.
  std::vector<std::string> segs;
  {
    auto m = make();
    for (int p = 0; p < 12; ++p) {
      Log* log = create(*m, "t", p);
      for (int i = 0; i < 4 + p; ++i) append(*log, 3);
      segs.push_back(log->dir() + "/00000000000000000000.log");
    }
  }
  for (const auto& seg : segs) std::ofstream(seg, std::ios::binary | std::ios::app) << std::string(99, '\x05');
  LogManagerOptions options;
  options.recovery_threads_per_dir = 3;
  auto m = make(std::move(options));
  for (int p = 0; p < 12; ++p) {
    Log* log = m->get({"t", p});
    ASSERT_TRUE(log) << p;
    EXPECT_EQ(log->log_end_offset(), 3 * (4 + p)) << p;
    Bytes b = make_batch(1);
    EXPECT_EQ(log->append(b, 1, 0)->base_offset, 3 * (4 + p)) << p;
  }
  m->shutdown();
}

TEST_F(LogManagerTest, FlushAsyncSharesSyncs) {
  auto m = make();
  std::vector<Log*> logs;
  for (int p = 0; p < 4; ++p) logs.push_back(create(*m, "t", p));
  int done = 0, failed = 0;
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    Log* log = logs[size_t(i) % logs.size()];
    append(*log, 1);
    m->flush_async(log, log->log_end_offset(), [&](Status s) {
      ++done;
      failed += !s.ok();
    });
  }
  ASSERT_TRUE(loop_.run_until([&] { return done == kRequests; }));
  EXPECT_EQ(failed, 0);
  for (Log* log : logs) EXPECT_EQ(log->recovery_point(), log->log_end_offset());
  // Group commit: far fewer fdatasyncs than requests (each request alone
  // would need at least one).
  EXPECT_LT(m->flusher().syncs(), uint64_t(kRequests));
  EXPECT_LT(m->flusher().groups(), uint64_t(kRequests));
  // Already durable: done without a sync.
  uint64_t syncs = m->flusher().syncs();
  bool again = false;
  m->flush_async(logs[0], logs[0]->log_end_offset(), [&](Status s) { again = s.ok(); });
  ASSERT_TRUE(loop_.run_until([&] { return again; }));
  EXPECT_EQ(m->flusher().syncs(), syncs);
  m->shutdown();
}

TEST_F(LogManagerTest, TickRunsRetentionAndWritesCheckpoints) {
  config_.retention_ms = 2000;
  LogManagerOptions options;
  options.retention_check_interval_ms = 1000;
  options.high_watermark_checkpoint_interval_ms = 1000;
  auto m = make(options);
  Log* log = create(*m, "t", 0);
  for (int i = 0; i < 5; ++i) append(*log, 3);
  log->set_high_watermark(log->log_end_offset());
  int64_t now = wall_clock_ms();
  m->tick(now + 1500);  // checkpoint due, data not yet expired
  EXPECT_EQ(log->log_start_offset(), 0);
  m->tick(now + 3100);
  EXPECT_EQ(log->log_start_offset(), 15);
  std::string hw = log->log_dir()->path() + "/replication-offset-checkpoint";
  ASSERT_TRUE(loop_.run_until([&] { return fs::exists(hw); }));
  m->shutdown();
}

TEST_F(LogManagerTest, FlushMsFlushesOnTick) {
  config_.flush_ms = 100;
  auto m = make();
  Log* log = create(*m, "t", 0);
  append(*log, 3);
  EXPECT_EQ(log->recovery_point(), 0);
  int64_t now = wall_clock_ms();
  m->tick(now + 50);
  loop_.run_pending();
  EXPECT_EQ(log->recovery_point(), 0);
  m->tick(now + 5000);
  ASSERT_TRUE(loop_.run_until([&] { return log->recovery_point() == 3; }));
  m->shutdown();
}

TEST_F(LogManagerTest, RolledSegmentsAreFlushedOnTheNextTick) {
  config_.segment_bytes = 1024;  // every few batches roll
  auto m = make();
  Log* log = create(*m, "t", 0);
  for (int i = 0; i < 12; ++i) append(*log, 5);
  ASSERT_GT(log->segment_count(), 2u);
  const int64_t active_base = log->active_segment_base_offset();
  ASSERT_GT(active_base, 0);
  EXPECT_EQ(log->recovery_point(), 0);  // nothing flushed yet (flush.ms and flush.messages are off)
  m->tick(wall_clock_ms());
  // The segments before the active one, not the active one itself.
  ASSERT_TRUE(loop_.run_until([&] { return log->recovery_point() == active_base; }));
  EXPECT_LT(log->recovery_point(), log->log_end_offset());
  // On the background flusher, so that fsync-on-ack requests (flush_async)
  // never queue behind a large rolled segment's sync.
  EXPECT_GT(m->background_flusher().jobs(), 0u);
  EXPECT_EQ(m->flusher().jobs(), 0u);
  // A second tick without a roll flushes nothing more.
  m->tick(wall_clock_ms());
  loop_.run_pending();
  EXPECT_EQ(log->recovery_point(), active_base);
  m->shutdown();
}

TEST_F(LogManagerTest, RemoveRenamesThenDeletes) {
  config_.file_delete_delay_ms = 1000;
  auto m = make();
  Log* log = create(*m, "gone", 0);
  append(*log, 3);
  auto r = log->read(0, 1000, 3, true);
  ASSERT_TRUE(r.ok());
  FileRegion region = r->region;
  std::string dir = log->dir();
  ASSERT_TRUE(m->remove({"gone", 0}).ok());
  EXPECT_EQ(m->get({"gone", 0}), nullptr);
  EXPECT_FALSE(fs::exists(dir));
  std::string parent = fs::path(dir).parent_path().string();
  auto pending = [&] {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(parent)) n += e.path().string().ends_with("-delete");
    return n;
  };
  EXPECT_EQ(pending(), 1u);
  // A fetch in flight can still send its bytes.
  Bytes buf(size_t(region.length));
  EXPECT_EQ(::pread(region.fd, buf.data(), buf.size(), region.offset), region.length);
  m->tick(wall_clock_ms() + 2000);
  EXPECT_EQ(pending(), 0u);
  EXPECT_FALSE(m->remove({"gone", 0}).ok());
  // Recreating starts empty.
  Log* again = create(*m, "gone", 0);
  EXPECT_EQ(again->log_end_offset(), 0);
  m->shutdown();
}

TEST_F(LogManagerTest, LeftoversAreCleanedAndMetadataDirIgnored) {
  fs::create_directories(dir_a() + "/x-0.0123456789abcdef0123456789abcdef-delete");
  fs::create_directories(dir_a() + "/__cluster_metadata-0");
  std::ofstream(dir_a() + "/__cluster_metadata-0/metadata.log") << "not a segment";
  fs::create_directories(dir_a() + "/not a partition");
  auto m = make();
  EXPECT_TRUE(m->list_partitions().empty());
  m->tick(wall_clock_ms());
  EXPECT_FALSE(fs::exists(dir_a() + "/x-0.0123456789abcdef0123456789abcdef-delete"));
  EXPECT_TRUE(fs::exists(dir_a() + "/__cluster_metadata-0/metadata.log"));
  m->shutdown();
}

TEST_F(LogManagerTest, MalformedCheckpointMeansFullRecovery) {
  {
    auto m = make();
    Log* log = create(*m, "t", 0);
    for (int i = 0; i < 5; ++i) append(*log, 3);
    m->shutdown();
  }
  std::string where = fs::exists(dir_a() + "/t-0") ? dir_a() : dir_b();
  std::ofstream(where + "/recovery-point-offset-checkpoint") << "0\n7\nt 0 15\n";
  auto m = make();
  ASSERT_TRUE(m->get({"t", 0}));
  EXPECT_EQ(m->get({"t", 0})->log_end_offset(), 15);
  m->shutdown();
}

}  // namespace
}  // namespace moldau::storage
