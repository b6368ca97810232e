// Shared fixture for the Log tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include "storage/log.h"
#include "storage/testutil.h"

namespace moldau::storage::testing {

class LogFixture : public ::testing::Test {
 protected:
  std::unique_ptr<Log> open_log(bool clean = true, LogCheckpoints cp = {}) {
    auto log = Log::open(dir_, tp_, config_, cp, clean, now_);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
    return log.ok() ? std::move(log.value()) : nullptr;
  }
  AppendResult append(Log& log, int records, size_t value_bytes = 10, int32_t epoch = 3) {
    Bytes b = make_batch(records, value_bytes, now_);
    auto r = log.append(b, epoch, now_);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : AppendResult{};
  }
  static Bytes read_bytes(const ReadResult& r) {
    Bytes out(size_t(r.region.length));
    if (r.region.length > 0) {
      EXPECT_EQ(::pread(r.region.fd, out.data(), out.size(), r.region.offset),
                ssize_t(out.size()));
    }
    return out;
  }
  // Base offsets of the batches in a read, from their headers.
  static std::vector<int64_t> batch_offsets(const ReadResult& r) {
    Bytes b = read_bytes(r);
    std::vector<int64_t> offsets;
    size_t at = 0;
    while (at + protocol::batch::kHeaderSize <= b.size()) {
      protocol::BatchHeaderView h(b.data() + at);
      offsets.push_back(h.base_offset());
      at += size_t(h.size_bytes());
    }
    EXPECT_EQ(at, b.size());
    return offsets;
  }
  // Every offset in [from, to) is readable, one batch at a time, in order.
  void expect_readable(Log& log, int64_t from, int64_t to) {
    int64_t next = from;
    while (next < to) {
      auto r = log.read(next, 1 << 20, to, true);
      ASSERT_TRUE(r.ok()) << next << ": " << r.error().message;
      Bytes b = read_bytes(*r);
      ASSERT_FALSE(b.empty()) << "nothing at " << next;
      size_t at = 0;
      while (at < b.size()) {
        protocol::BatchHeaderView h(b.data() + at);
        ASSERT_LE(h.base_offset(), next);
        ASSERT_GE(h.last_offset(), next);
        next = h.last_offset() + 1;
        at += size_t(h.size_bytes());
      }
    }
  }

  TempDir tmp_;
  std::shared_ptr<LogDir> dir_ = std::make_shared<LogDir>(tmp_.path(), posix_file_ops());
  TopicPartition tp_{"orders", 3};
  LogConfig config_;
  int64_t now_ = 1'700'000'000'000;
};

}  // namespace moldau::storage::testing
