// Log::open after a crash: recovery from the recovery point.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/log_test_fixture.h"

namespace moldau::storage {
namespace {

using LogRecoveryTest = testing::LogFixture;
namespace fs = std::filesystem;

std::vector<std::string> segment_logs(const std::string& dir) {
  std::vector<std::string> logs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log") logs.push_back(e.path().string());
  }
  std::sort(logs.begin(), logs.end());
  return logs;
}

TEST_F(LogRecoveryTest, GarbageAfterCrashIsTruncatedAndAppendsContinue) {
  config_.segment_bytes = 4096;
  {
    auto log = open_log();
    for (int i = 0; i < 40; ++i) append(*log, 5, 40);
    // No close(): a crash. The active segment gets 777 bytes of garbage.
  }
  auto logs = segment_logs(tmp_ / "orders-3");
  ASSERT_GT(logs.size(), 3u);
  std::ofstream(logs.back(), std::ios::binary | std::ios::app) << std::string(777, '\x42');
  auto log = open_log(false, LogCheckpoints{0, 0, 0});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 200);
  EXPECT_EQ(log->recovery_point(), 200);
  expect_readable(*log, 0, 200);
  EXPECT_EQ(append(*log, 5).base_offset, 200);
  expect_readable(*log, 0, 205);
  // The leader epoch cache was rebuilt from the batches.
  EXPECT_EQ(log->leader_epochs().latest_epoch(), 3);
}

TEST_F(LogRecoveryTest, OnlySegmentsFromTheRecoveryPointAreScanned) {
  config_.segment_bytes = 2048;
  {
    auto log = open_log();
    for (int i = 0; i < 40; ++i) append(*log, 5, 40);
  }
  auto logs = segment_logs(tmp_ / "orders-3");
  ASSERT_GT(logs.size(), 4u);
  // Corrupt the first segment's first batch: below the recovery point, a
  // scan would notice (and truncate); loading must not look at it.
  {
    std::fstream f(logs[0], std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(30);
    f.write("\xff\xff", 2);
  }
  auto size_before = fs::file_size(logs[0]);
  int64_t base_of_third = std::stoll(fs::path(logs[2]).stem().string());
  auto log = open_log(false, LogCheckpoints{base_of_third + 1, 0, 0});
  ASSERT_TRUE(log);
  EXPECT_EQ(fs::file_size(logs[0]), size_before);
  EXPECT_EQ(log->log_end_offset(), 200);
}

TEST_F(LogRecoveryTest, DamagedMiddleSegmentDropsTheSegmentsAfterIt) {
  config_.segment_bytes = 2048;
  {
    auto log = open_log();
    for (int i = 0; i < 40; ++i) append(*log, 5, 40);
  }
  auto logs = segment_logs(tmp_ / "orders-3");
  ASSERT_GT(logs.size(), 4u);
  // A torn write in the second segment (its tail lost).
  fs::resize_file(logs[1], fs::file_size(logs[1]) - 10);
  auto log = open_log(false, LogCheckpoints{0, 0, 0});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->segment_count(), 2u);
  int64_t end = log->log_end_offset();
  EXPECT_LT(end, 200);
  expect_readable(*log, 0, end);
  EXPECT_EQ(append(*log, 1).base_offset, end);
  EXPECT_FALSE(fs::exists(logs[3]));
}

TEST_F(LogRecoveryTest, CleanShutdownTrustsTheFiles) {
  {
    auto log = open_log();
    for (int i = 0; i < 10; ++i) append(*log, 5);
    ASSERT_TRUE(log->flush().ok());
    ASSERT_TRUE(log->close().ok());
  }
  auto log = open_log(true, LogCheckpoints{50, 0, 50});
  EXPECT_EQ(log->log_end_offset(), 50);
  EXPECT_EQ(log->recovery_point(), 50);
  EXPECT_EQ(log->high_watermark(), 50);
}

TEST_F(LogRecoveryTest, CheckpointValuesAreClamped) {
  {
    auto log = open_log();
    for (int i = 0; i < 10; ++i) append(*log, 5);
    ASSERT_TRUE(log->close().ok());
  }
  // A high watermark past the end (lost unflushed data) comes back down.
  auto log = open_log(true, LogCheckpoints{50, 0, 900});
  EXPECT_EQ(log->high_watermark(), 50);
  log.reset();
  // A log start past the end: the log starts empty there.
  log = open_log(false, LogCheckpoints{0, 70, 0});
  EXPECT_EQ(log->log_start_offset(), 70);
  EXPECT_EQ(log->log_end_offset(), 70);
  EXPECT_EQ(append(*log, 1).base_offset, 70);
}

TEST_F(LogRecoveryTest, MissingIndexOfSealedSegmentIsRebuilt) {
  config_.segment_bytes = 2048;
  config_.index_interval_bytes = 100;
  {
    auto log = open_log();
    for (int i = 0; i < 20; ++i) append(*log, 5, 40);
    ASSERT_TRUE(log->close().ok());
  }
  fs::remove(tmp_ / "orders-3/00000000000000000000.index");
  auto log = open_log(true, LogCheckpoints{100, 0, 100});
  expect_readable(*log, 0, 100);
  EXPECT_GT(fs::file_size(tmp_ / "orders-3/00000000000000000000.index"), 0u);
}

}  // namespace
}  // namespace moldau::storage
