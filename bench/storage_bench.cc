// Storage engine throughput: append and sequential read, with and without
// fdatasync. Figures and the fio baseline are in docs/storage.md.
//
//   build-storage/bench/storage_bench --benchmark_min_time=2s
// MOLDAU_BENCH_DIR chooses the directory (default /tmp; use a disk, not tmpfs).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/crc32c.h"
#include "protocol/record_batch.h"
#include "storage/log.h"

namespace moldau::storage {
namespace {

namespace fs = std::filesystem;

// One batch of `bytes` total with `record_bytes`-byte records (uncompressed,
// CRC valid); only the header matters to the storage engine.
Bytes make_batch(size_t bytes, size_t record_bytes = 1000) {
  ByteWriter records;
  int count = 0;
  while (records.size() + record_bytes + 16 < bytes - 61) {
    ByteWriter rec;
    rec.i8(0);
    rec.varlong(0);
    rec.varint(count);
    rec.varint(-1);
    rec.varint(int32_t(record_bytes));
    for (size_t j = 0; j < record_bytes; ++j) rec.u8(uint8_t(j));
    rec.uvarint(0);
    records.varint(int32_t(rec.size()));
    records.raw(rec.buffer());
    ++count;
  }
  ByteWriter w;
  w.i64(0);
  w.i32(0);
  w.i32(0);
  w.i8(2);
  w.u32(0);
  w.i16(0);
  w.i32(count - 1);
  w.i64(1000);
  w.i64(1000);
  w.i64(-1);
  w.i16(-1);
  w.i32(-1);
  w.i32(count);
  w.raw(records.buffer());
  Bytes b = w.buffer();
  store_be32(b.data() + 8, uint32_t(b.size() - 12));
  store_be32(b.data() + 17, crc32c_extend(0, b.data() + 21, b.size() - 21));
  return b;
}

std::string bench_dir() {
  const char* d = std::getenv("MOLDAU_BENCH_DIR");
  std::string base = d ? d : "/tmp";
  std::string dir = base + "/moldau-storage-bench-" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct BenchLog {
  std::string dir = bench_dir();
  std::shared_ptr<LogDir> log_dir = std::make_shared<LogDir>(dir, posix_file_ops());
  std::unique_ptr<Log> log;
  explicit BenchLog(LogConfig config = {}) {
    auto l = Log::open(log_dir, {"bench", 0}, config, {}, true, 0);
    if (!l.ok()) std::abort();
    log = std::move(l.value());
  }
  ~BenchLog() {
    log.reset();
    fs::remove_all(dir);
  }
};

constexpr int64_t kResetBytes = 2LL << 30;  // start over past 2 GiB written

// Append throughput into the page cache; one pwrite per append.
void BM_Append(benchmark::State& state) {
  Bytes batch = make_batch(size_t(state.range(0)));
  auto bl = std::make_unique<BenchLog>();
  int64_t written = 0;
  for (auto _ : state) {
    auto r = bl->log->append(batch, 0, 0);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    written += int64_t(batch.size());
    if (written >= kResetBytes) {
      state.PauseTiming();
      bl.reset();
      bl = std::make_unique<BenchLog>();
      written = 0;
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(batch.size()));
}
BENCHMARK(BM_Append)->Arg(16 << 10)->Arg(128 << 10)->Arg(1 << 20)->UseRealTime();

// Append then fdatasync, every append (the fsync_on_ack worst case: no other
// request to share the sync with).
void BM_AppendFdatasync(benchmark::State& state) {
  Bytes batch = make_batch(size_t(state.range(0)));
  BenchLog bl;
  for (auto _ : state) {
    auto r = bl.log->append(batch, 0, 0);
    if (!r.ok() || !bl.log->flush().ok()) state.SkipWithError("append/flush failed");
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(batch.size()));
}
BENCHMARK(BM_AppendFdatasync)->Arg(16 << 10)->Arg(128 << 10)->Arg(1 << 20)->UseRealTime();

// Group commit as the flusher does it: N appends share one fdatasync.
void BM_AppendGroupCommit(benchmark::State& state) {
  Bytes batch = make_batch(16 << 10);
  int64_t group = state.range(0);
  BenchLog bl;
  for (auto _ : state) {
    for (int64_t i = 0; i < group; ++i) {
      if (!bl.log->append(batch, 0, 0).ok()) state.SkipWithError("append failed");
    }
    if (!bl.log->flush().ok()) state.SkipWithError("flush failed");
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * group * int64_t(batch.size()));
  state.SetItemsProcessed(int64_t(state.iterations()) * group);
}
BENCHMARK(BM_AppendGroupCommit)->Arg(8)->Arg(64)->UseRealTime();

// Sequential fetch of a 1 GiB log from the page cache: Log::read (index
// lookup + one header pread) and then pread of the region into a buffer, as a
// connection without sendfile does. range(0) is max_bytes per fetch.
void BM_ReadSequential(benchmark::State& state) {
  LogConfig config;
  config.segment_bytes = 256 << 20;
  BenchLog bl(config);
  Bytes batch = make_batch(16 << 10);
  while (bl.log->size_bytes() < (1u << 30)) {
    if (!bl.log->append(batch, 0, 0).ok()) std::abort();
  }
  int64_t end = bl.log->log_end_offset();
  // Page-aligned, as a connection's send buffer would be.
  size_t buf_bytes = (size_t(state.range(0)) + batch.size() + 4095) / 4096 * 4096;
  std::unique_ptr<uint8_t, decltype(&std::free)> buf_owner(
      static_cast<uint8_t*>(std::aligned_alloc(4096, buf_bytes)), &std::free);
  std::span<uint8_t> buf(buf_owner.get(), buf_bytes);
  int64_t next = 0, bytes = 0;
  for (auto _ : state) {
    if (next >= end) next = 0;
    auto r = bl.log->read(next, state.range(0), end, true);
    if (!r.ok() || r->region.length == 0) {
      state.SkipWithError("read failed");
      break;
    }
    ssize_t n = ::pread(r->region.fd, buf.data(), size_t(r->region.length), r->region.offset);
    if (n != r->region.length) state.SkipWithError("short pread");
    bytes += n;
    // The next offset: after the last batch (offsets are contiguous here).
    next = r->first_offset;
    size_t at = 0;
    while (at < size_t(n)) {
      protocol::BatchHeaderView h(buf.data() + at);
      next = h.last_offset() + 1;
      at += size_t(h.size_bytes());
    }
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_ReadSequential)->Arg(64 << 10)->Arg(1 << 20)->UseRealTime();

// Baseline for BM_ReadSequential: plain sequential pread of the same kind of
// file (1 GiB written the same way), no storage engine involved.
void BM_PreadBaseline(benchmark::State& state) {
  LogConfig config;
  config.segment_bytes = 1100 << 20;
  BenchLog bl(config);
  Bytes batch = make_batch(16 << 10);
  while (bl.log->size_bytes() < (1u << 30)) {
    if (!bl.log->append(batch, 0, 0).ok()) std::abort();
  }
  auto r = bl.log->read(0, 1, bl.log->log_end_offset(), true);
  int fd = r->region.fd;
  int64_t size = int64_t(bl.log->size_bytes());
  size_t chunk = size_t(state.range(0));
  std::unique_ptr<uint8_t, decltype(&std::free)> buf(
      static_cast<uint8_t*>(std::aligned_alloc(4096, chunk)), &std::free);
  int64_t pos = 0, bytes = 0;
  for (auto _ : state) {
    if (pos + int64_t(chunk) > size) pos = 0;
    ssize_t n = ::pread(fd, buf.get(), chunk, pos);
    if (n != ssize_t(chunk)) state.SkipWithError("short pread");
    pos += n;
    bytes += n;
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_PreadBaseline)->Arg(64 << 10)->Arg(1 << 20)->UseRealTime();

// The cost of locating a fetch alone (no data copied): Log::read at random
// offsets of a 256 MiB log.
void BM_ReadLookup(benchmark::State& state) {
  BenchLog bl;
  Bytes batch = make_batch(2 << 10, 100);
  while (bl.log->size_bytes() < (256u << 20)) {
    if (!bl.log->append(batch, 0, 0).ok()) std::abort();
  }
  int64_t end = bl.log->log_end_offset();
  uint64_t x = 88172645463325252ull;
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    auto r = bl.log->read(int64_t(x % uint64_t(end)), 1 << 20, end, true);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ReadLookup);

}  // namespace
}  // namespace moldau::storage
