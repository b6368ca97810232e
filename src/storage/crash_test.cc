// Kills a writing process with SIGKILL at random moments, many times, and
// checks after each restart that every record the process had reported as
// flushed is there and that the log is valid (docs/durability.md).
//
// The child appends batches of random sizes into small segments (so rolls,
// retention and recovery across segments all happen), flushes now and then
// (synchronously or through the flusher thread) and writes each flushed
// offset to a pipe. The parent sometimes also appends garbage to the active
// segment, as a torn write would leave it. MOLDAU_CRASH_ITERATIONS raises the
// number of rounds (default 20, a few seconds); MOLDAU_CRASH_SEED replays one.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "base/crc32c.h"
#include "storage/clock.h"
#include "storage/log_manager.h"
#include "storage/testloop.h"
#include "storage/testutil.h"

namespace moldau::storage {
namespace {

namespace fs = std::filesystem;
using testing::make_batch;
using testing::TempDir;
using testing::TestLoop;

const TopicPartition kTp{"crash", 0};

LogConfig crash_config() {
  LogConfig c;
  c.segment_bytes = 64 << 10;
  c.index_interval_bytes = 1024;
  c.retention_bytes = 2 << 20;
  c.file_delete_delay_ms = 20;
  return c;
}

LogManagerOptions crash_options() {
  LogManagerOptions o;
  o.retention_check_interval_ms = 10;
  o.recovery_point_checkpoint_interval_ms = 15;
  o.start_offset_checkpoint_interval_ms = 15;
  o.high_watermark_checkpoint_interval_ms = 15;
  return o;
}

[[noreturn]] void run_child(const std::string& dir, int report_fd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TestLoop loop;
  LogManager m({dir}, crash_config(), loop.poster(), crash_options());
  if (!m.open().ok()) _exit(2);
  auto log = m.get_or_create(kTp, "", crash_config());
  if (!log.ok()) _exit(3);
  Log* l = *log;
  auto report = [report_fd](int64_t offset) {
    if (::write(report_fd, &offset, sizeof offset) != sizeof offset) _exit(4);
  };
  for (uint64_t i = 0;; ++i) {
    int records = 1 + int(rng() % 20);
    size_t value = 10 + rng() % 400;
    Bytes b = make_batch(records, value, wall_clock_ms());
    auto r = l->append(b, int32_t(i / 500), wall_clock_ms());
    if (!r.ok()) _exit(5);
    l->set_high_watermark(l->log_end_offset());
    switch (rng() % 8) {
      case 0:
        if (!l->flush().ok()) _exit(6);
        report(l->log_end_offset());
        break;
      case 1: {
        int64_t target = l->log_end_offset();
        m.flush_async(l, target, [&, target](Status s) {
          if (!s.ok()) _exit(7);
          report(target);
        });
        break;
      }
      default:
        break;
    }
    if (i % 16 == 0) {
      m.tick(wall_clock_ms());
      loop.run_pending();
    }
  }
}

// Reads the whole log and checks every batch: CRC, offsets contiguous.
void verify_log(Log& log) {
  int64_t next = log.log_start_offset();
  int64_t end = log.log_end_offset();
  while (next < end) {
    auto r = log.read(next, 1 << 20, end, true);
    ASSERT_TRUE(r.ok()) << next << ": " << r.error().message;
    ASSERT_GT(r->region.length, 0) << "nothing at " << next;
    Bytes b(size_t(r->region.length));
    ASSERT_EQ(::pread(r->region.fd, b.data(), b.size(), r->region.offset), r->region.length);
    size_t at = 0;
    while (at < b.size()) {
      protocol::BatchHeaderView h(b.data() + at);
      ASSERT_LE(h.base_offset(), next);
      ASSERT_GT(h.last_offset(), next - 1);
      if (h.base_offset() != next) {
        // Only the first batch read may start below `next` (log start inside it).
        ASSERT_EQ(next, log.log_start_offset());
      }
      uint32_t crc = crc32c_extend(0, b.data() + at + protocol::batch::kCrcStart,
                                   size_t(h.size_bytes()) - protocol::batch::kCrcStart);
      ASSERT_EQ(crc, h.crc()) << "batch at offset " << h.base_offset();
      next = h.last_offset() + 1;
      at += size_t(h.size_bytes());
    }
  }
  ASSERT_EQ(next, end);
}

std::string active_segment(const std::string& dir) {
  std::string last;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string p = e.path().string();
    if (p.ends_with(".log") && p > last) last = p;
  }
  return last;
}

TEST(CrashTest, SigkillNeverLosesFlushedRecords) {
  int iterations = 20;
  if (const char* s = std::getenv("MOLDAU_CRASH_ITERATIONS")) iterations = std::atoi(s);
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("MOLDAU_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  SCOPED_TRACE("MOLDAU_CRASH_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);

  TempDir tmp;
  std::string dir = tmp / "data";
  int64_t flushed = 0;
  int recovered_garbage = 0;
  for (int it = 0; it < iterations; ++it) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_child(dir, fds[1], seed + uint64_t(it) + 1);
    }
    ::close(fds[1]);
    ::usleep(useconds_t(20000 + rng() % 100000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    int64_t offset;
    while (::read(fds[0], &offset, sizeof offset) == sizeof offset) {
      flushed = std::max(flushed, offset);
    }
    ::close(fds[0]);

    // Sometimes leave a torn write behind as well.
    std::string partition = dir + "/" + kTp.dir_name();
    if (rng() % 3 == 0) {
      std::string garbage(1 + rng() % 3000, '\0');
      for (auto& c : garbage) c = char(rng());
      std::ofstream(active_segment(partition), std::ios::binary | std::ios::app) << garbage;
      ++recovered_garbage;
    }

    TestLoop loop;
    LogManager m({dir}, crash_config(), loop.poster(), crash_options());
    ASSERT_TRUE(m.open().ok());
    Log* log = m.get(kTp);
    ASSERT_TRUE(log) << "iteration " << it;
    ASSERT_GE(log->log_end_offset(), flushed) << "iteration " << it;
    verify_log(*log);
    if (HasFatalFailure()) return;
    // Alternate clean and unclean restarts for the next child.
    if (it % 2 == 0) m.shutdown();
  }
  EXPECT_GT(flushed, 0);
  RecordProperty("flushed_offset", std::to_string(flushed));
  RecordProperty("garbage_rounds", std::to_string(recovered_garbage));
}

}  // namespace
}  // namespace moldau::storage
