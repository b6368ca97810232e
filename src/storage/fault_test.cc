// A failing log dir takes only its own partitions offline (KIP-112), and
// nothing acknowledged is lost.
#include <sys/mount.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/clock.h"
#include "storage/faulty_file_ops.h"
#include "storage/log_manager.h"
#include "storage/testloop.h"
#include "storage/testutil.h"

namespace moldau::storage {
namespace {

namespace fs = std::filesystem;
using testing::FaultyFileOps;
using testing::make_batch;
using testing::TempDir;
using testing::TestLoop;

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(a_);
    fs::create_directories(b_);
  }
  std::unique_ptr<LogManager> make(bool faulty) {
    LogManagerOptions options;
    if (faulty) {
      options.file_ops = [this](const std::string& d) -> FileOps* {
        return d == a_ ? static_cast<FileOps*>(&faulty_) : posix_file_ops();
      };
    }
    auto m = std::make_unique<LogManager>(std::vector<std::string>{a_, b_}, LogConfig{},
                                          loop_.poster(), options);
    EXPECT_TRUE(m->open().ok());
    return m;
  }
  Result<AppendResult> append(Log& log, int records = 5) {
    Bytes b = make_batch(records, 100, wall_clock_ms());
    return log.append(b, 0, wall_clock_ms());
  }
  // [first, last] offsets read back, batch by batch, from a log.
  int64_t readable_end(Log& log) {
    int64_t next = log.log_start_offset();
    for (;;) {
      auto r = log.read(next, 1 << 20, log.log_end_offset(), true);
      if (!r.ok() || r->region.length == 0) return next;
      Bytes bytes(size_t(r->region.length));
      EXPECT_EQ(::pread(r->region.fd, bytes.data(), bytes.size(), r->region.offset),
                r->region.length);
      size_t at = 0;
      while (at < bytes.size()) {
        protocol::BatchHeaderView h(bytes.data() + at);
        next = h.last_offset() + 1;
        at += size_t(h.size_bytes());
      }
    }
  }

  TempDir tmp_;
  std::string a_ = tmp_ / "a";
  std::string b_ = tmp_ / "b";
  FaultyFileOps faulty_{a_};
  TestLoop loop_;
};

TEST_F(FaultTest, DiskFullTakesOnlyItsDirOffline) {
  std::vector<Log*> in_a, in_b;
  {
    auto m = make(true);
    for (int p = 0; p < 4; ++p) {
      auto log = m->get_or_create({"t", p}, "", LogConfig{});
      ASSERT_TRUE(log.ok());
      ((*log)->log_dir()->path() == a_ ? in_a : in_b).push_back(*log);
      for (int i = 0; i < 4; ++i) ASSERT_TRUE(append(**log).ok());
    }
    ASSERT_EQ(in_a.size(), 2u);
    faulty_.fail_writes(ENOSPC);
    auto r = append(*in_a[0]);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kKafkaStorageError);
    // Both partitions of dir a are offline; reads fail too.
    for (Log* log : in_a) {
      EXPECT_TRUE(log->offline());
      EXPECT_EQ(log->read(0, 100, 20, true).error().code, ErrorCode::kKafkaStorageError);
      EXPECT_EQ(append(*log).error().code, ErrorCode::kKafkaStorageError);
    }
    // Dir b keeps serving, and new partitions go there.
    for (Log* log : in_b) {
      EXPECT_FALSE(log->offline());
      ASSERT_TRUE(append(*log).ok());
      EXPECT_EQ(readable_end(*log), 25);
    }
    auto fresh = m->get_or_create({"t", 9}, "", LogConfig{});
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ((*fresh)->log_dir()->path(), b_);
    EXPECT_EQ(m->offline_dirs(), std::vector<std::string>{a_});
    bool flushed = false;
    m->flush_async(in_b[0], in_b[0]->log_end_offset(), [&](Status s) { flushed = s.ok(); });
    ASSERT_TRUE(loop_.run_until([&] { return flushed; }));
    m->shutdown();
  }
  EXPECT_FALSE(fs::exists(a_ + "/.kafka_cleanshutdown"));
  EXPECT_TRUE(fs::exists(b_ + "/.kafka_cleanshutdown"));
  // After the disk is fixed, every acknowledged record of dir a is back.
  faulty_.heal();
  auto m = make(false);
  for (int p = 0; p < 4; ++p) {
    Log* log = m->get({"t", p});
    ASSERT_TRUE(log) << p;
    bool was_a = log->log_dir()->path() == a_;
    EXPECT_EQ(log->log_end_offset(), was_a ? 20 : 25);
    EXPECT_EQ(readable_end(*log), log->log_end_offset());
    EXPECT_TRUE(append(*log).ok());
  }
  m->shutdown();
}

TEST_F(FaultTest, FailedFdatasyncFailsTheFlushAndTakesTheDirOffline) {
  auto m = make(true);
  Log* la = nullptr;
  Log* lb = nullptr;
  for (int p = 0; p < 2; ++p) {
    auto log = m->get_or_create({"t", p}, "", LogConfig{});
    ASSERT_TRUE(log.ok());
    ((*log)->log_dir()->path() == a_ ? la : lb) = *log;
  }
  ASSERT_TRUE(la && lb);
  ASSERT_TRUE(append(*la).ok());
  ASSERT_TRUE(append(*lb).ok());
  faulty_.fail_syncs(EIO);
  int done = 0;
  Status sa, sb;
  m->flush_async(la, la->log_end_offset(), [&](Status s) { sa = s; ++done; });
  m->flush_async(lb, lb->log_end_offset(), [&](Status s) { sb = s; ++done; });
  ASSERT_TRUE(loop_.run_until([&] { return done == 2; }));
  ASSERT_FALSE(sa.ok());
  EXPECT_EQ(sa.error().code, ErrorCode::kKafkaStorageError);
  EXPECT_TRUE(sb.ok());
  EXPECT_TRUE(la->offline());
  EXPECT_EQ(la->recovery_point(), 0);
  EXPECT_EQ(lb->recovery_point(), 5);
  EXPECT_FALSE(lb->offline());
  m->shutdown();
}

TEST_F(FaultTest, RealFullTmpfs) {
  std::string small = tmp_ / "small";
  fs::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{small};
  // Room an operator can free later.
  std::string filler = small + "/filler";
  std::ofstream(filler, std::ios::binary) << std::string(200 << 10, 'f');
  LogConfig config;
  config.segment_bytes = 256 << 10;
  int64_t acked = 0;
  {
    LogManager m({small, b_}, config, loop_.poster());
    ASSERT_TRUE(m.open().ok());
    auto log = m.get_or_create({"full", 0}, "", config);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ((*log)->log_dir()->path(), small);
    Status failure;
    for (int i = 0; i < 2000; ++i) {
      Bytes b = make_batch(4, 1000, wall_clock_ms());
      auto r = (*log)->append(b, 0, wall_clock_ms());
      if (!r.ok()) {
        failure = r.error();
        break;
      }
      acked = r->last_offset + 1;
    }
    ASSERT_FALSE(failure.ok()) << "1 MiB tmpfs never filled up";
    EXPECT_EQ(failure.error().code, ErrorCode::kKafkaStorageError);
    EXPECT_GT(acked, 100);
    EXPECT_TRUE((*log)->offline());
    auto other = m.get_or_create({"other", 0}, "", config);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ((*other)->log_dir()->path(), b_);
    Bytes b = make_batch(4);
    EXPECT_TRUE((*other)->append(b, 0, wall_clock_ms()).ok());
    m.shutdown();
  }
  {
    // Restarting on the still-full disk must not crash or lose anything (the
    // dir may well stay offline).
    LogManager m({small, b_}, config, loop_.poster());
    ASSERT_TRUE(m.open().ok());
    if (Log* log = m.get({"full", 0}); log && !log->offline()) {
      EXPECT_GE(log->log_end_offset(), acked);
    }
  }
  // The operator frees space: recovery cuts any partial batch and every
  // acknowledged record is there.
  fs::remove(filler);
  LogManager m({small, b_}, config, loop_.poster());
  ASSERT_TRUE(m.open().ok());
  Log* log = m.get({"full", 0});
  ASSERT_TRUE(log);
  EXPECT_GE(log->log_end_offset(), acked);
  EXPECT_GE(readable_end(*log), acked);
  m.shutdown();
}

}  // namespace
}  // namespace moldau::storage
