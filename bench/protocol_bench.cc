// Costs of the record-batch hot path: CRC-32C, header and record validation,
// building, decoding, the in-place rewrites and the codecs. Batches are
// 16 KiB of 100-byte values (JSON-like text, so codecs see realistic data);
// BM_Validate64KiB uses a 64 KiB batch, the shape of the broker's produce profile.
// Figures measured on the project machine are in docs/formats.md.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "base/crc32c.h"
#include "protocol/compression.h"
#include "protocol/record_batch.h"

namespace moldau::protocol {
namespace {

constexpr size_t kBatchBytes = 16 * 1024;
constexpr size_t kValueBytes = 100;
constexpr size_t kMaxDecompressed = 8 << 20;

std::string value_for(std::mt19937& rng, int i) {
  std::string v = "{\"id\":" + std::to_string(i) + ",\"user\":\"u" + std::to_string(rng() % 100000) +
                  "\",\"amount\":" + std::to_string(rng() % 1000000) + ",\"tags\":[\"a\",\"b\"]";
  while (v.size() < kValueBytes - 1) v += char('a' + rng() % 26);
  return v + "}";
}

// A 16 KiB (uncompressed; `batch_bytes` when given) batch of 100-byte values
// with 10-byte keys.
Bytes make_batch(Compression c, int* count_out = nullptr, size_t batch_bytes = kBatchBytes) {
  std::mt19937 rng(42);
  BatchBuilder b(BatchOptions{.compression = c, .producer_id = 1000, .producer_epoch = 0, .base_sequence = 0});
  int i = 0;
  while (b.size_bytes() + kValueBytes + 20 <= batch_bytes) {
    std::string key = "key-" + std::to_string(100000 + i);
    std::string value = value_for(rng, i);
    b.add(ByteSpan(reinterpret_cast<const uint8_t*>(key.data()), key.size()),
          ByteSpan(reinterpret_cast<const uint8_t*>(value.data()), value.size()), 1'700'000'000'000 + i);
    ++i;
  }
  if (count_out) *count_out = i;
  return b.build().value();
}

Bytes records_section() {
  Bytes batch = make_batch(Compression::kNone);
  return Bytes(batch.begin() + batch::kHeaderSize, batch.end());
}

void set_counters(benchmark::State& state, size_t bytes, int64_t records) {
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
  state.counters["records/s"] =
      benchmark::Counter(double(state.iterations()) * double(records), benchmark::Counter::kIsRate);
}

// ------------------------------------------------------------------ CRC

void BM_Crc32c(benchmark::State& state) {
  Bytes data(size_t(state.range(0)), 0x5a);
  for (auto _ : state) benchmark::DoNotOptimize(crc32c(data));
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(64)->Arg(1 << 10)->Arg(4 << 10)->Arg(16 << 10)->Arg(64 << 10)->Arg(1 << 20);

// ------------------------------------------------------------------ validation

void BM_ValidateBatchHeader(benchmark::State& state) {
  int records = 0;
  Bytes batch = make_batch(Compression(state.range(0)), &records);
  for (auto _ : state) {
    Status s = validate_batch_header(batch);
    if (!s) state.SkipWithError(s.error().message.c_str());
  }
  set_counters(state, batch.size(), records);
  state.SetLabel(std::string(compression_name(Compression(state.range(0)))) + " " + std::to_string(batch.size()) +
                 " B");
}
BENCHMARK(BM_ValidateBatchHeader)->Arg(int(Compression::kNone))->Arg(int(Compression::kLz4));

void BM_ValidateRecords(benchmark::State& state) {
  int records = 0;
  Bytes batch = make_batch(Compression(state.range(0)), &records);
  for (auto _ : state) {
    Status s = validate_records(batch, kMaxDecompressed);
    if (!s) state.SkipWithError(s.error().message.c_str());
  }
  set_counters(state, batch.size(), records);
  state.SetLabel(std::string(compression_name(Compression(state.range(0)))) + " " + std::to_string(batch.size()) +
                 " B");
}
BENCHMARK(BM_ValidateRecords)
    ->Arg(int(Compression::kNone))
    ->Arg(int(Compression::kLz4))
    ->Arg(int(Compression::kSnappy))
    ->Arg(int(Compression::kZstd))
    ->Arg(int(Compression::kGzip));

// What a broker does per produced batch when it must look inside.
void BM_ValidateHeaderAndRecords(benchmark::State& state) {
  int records = 0;
  Bytes batch = make_batch(Compression(state.range(0)), &records);
  for (auto _ : state) {
    Status h = validate_batch_header(batch);
    Status r = validate_records(batch, kMaxDecompressed);
    if (!h || !r) state.SkipWithError("invalid");
  }
  set_counters(state, batch.size(), records);
}
BENCHMARK(BM_ValidateHeaderAndRecords)->Arg(int(Compression::kNone))->Arg(int(Compression::kLz4));

// The produce path's shape in the broker profile: one uncompressed 64 KiB
// batch of 100 B records, header + CRC then the record walk.
void BM_Validate64KiB(benchmark::State& state) {
  int records = 0;
  Bytes batch = make_batch(Compression::kNone, &records, 64 << 10);
  const int mode = int(state.range(0));  // 0: header+records, 1: header (CRC), 2: records
  for (auto _ : state) {
    bool ok = true;
    if (mode != 2) ok = bool(validate_batch_header(batch)) && ok;
    if (mode != 1) ok = bool(validate_records(batch, kMaxDecompressed)) && ok;
    if (!ok) state.SkipWithError("invalid");
  }
  set_counters(state, batch.size(), records);
  state.SetLabel(std::string(mode == 0 ? "header+records" : mode == 1 ? "header" : "records") + " " +
                 std::to_string(batch.size()) + " B, " + std::to_string(records) + " records");
}
BENCHMARK(BM_Validate64KiB)->Arg(0)->Arg(1)->Arg(2);

void BM_WalkBatches(benchmark::State& state) {
  Bytes one = make_batch(Compression::kNone);
  Bytes buf;
  while (buf.size() + one.size() <= (1 << 20)) buf.insert(buf.end(), one.begin(), one.end());
  for (auto _ : state) {
    BatchWalker w(buf);
    size_t n = 0;
    while (auto b = w.next()) n += size_t(b->header().records_count());
    benchmark::DoNotOptimize(n);
  }
  // Only headers are read: the figure that matters is time per batch.
  state.counters["batches/s"] = benchmark::Counter(double(state.iterations()) * double(buf.size() / one.size()),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WalkBatches);

// ------------------------------------------------------------------ build / decode

// Builder cost alone: keys and values are prepared outside the loop.
void BM_Build(benchmark::State& state) {
  int records = 0;
  size_t bytes = make_batch(Compression::kNone, &records).size();
  std::mt19937 rng(42);
  std::vector<std::string> keys, values;
  for (int i = 0; i < records; ++i) {
    keys.push_back("key-" + std::to_string(100000 + i));
    values.push_back(value_for(rng, i));
  }
  const BatchOptions options{.compression = Compression(state.range(0))};
  for (auto _ : state) {
    BatchBuilder b(options);
    b.reserve(bytes);
    for (int i = 0; i < records; ++i) {
      b.add(ByteSpan(reinterpret_cast<const uint8_t*>(keys[size_t(i)].data()), keys[size_t(i)].size()),
            ByteSpan(reinterpret_cast<const uint8_t*>(values[size_t(i)].data()), values[size_t(i)].size()),
            1'700'000'000'000 + i);
    }
    benchmark::DoNotOptimize(b.build());
  }
  set_counters(state, bytes, records);
  state.SetLabel(std::string(compression_name(Compression(state.range(0)))));
}
BENCHMARK(BM_Build)->Arg(int(Compression::kNone))->Arg(int(Compression::kLz4))->Arg(int(Compression::kZstd));

void BM_DecodeRecords(benchmark::State& state) {
  int records = 0;
  Bytes batch = make_batch(Compression(state.range(0)), &records);
  for (auto _ : state) {
    auto r = decode_records(batch, kMaxDecompressed);
    benchmark::DoNotOptimize(r);
  }
  set_counters(state, batch.size(), records);
}
BENCHMARK(BM_DecodeRecords)->Arg(int(Compression::kNone))->Arg(int(Compression::kLz4));

// ------------------------------------------------------------------ rewrites

void BM_StampLogAppendTime(benchmark::State& state) {
  Bytes batch = make_batch(Compression::kNone);
  int64_t now = 1;
  for (auto _ : state) {
    Status s = stamp_log_append_time(batch.data(), batch.size(), ++now);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(batch.size()));
}
BENCHMARK(BM_StampLogAppendTime);

void BM_Recompress(benchmark::State& state) {
  int records = 0;
  Bytes batch = make_batch(Compression::kNone, &records);
  for (auto _ : state) benchmark::DoNotOptimize(recompress(batch, Compression(state.range(0)), kMaxDecompressed));
  set_counters(state, batch.size(), records);
  state.SetLabel("none -> " + std::string(compression_name(Compression(state.range(0)))));
}
BENCHMARK(BM_Recompress)->Arg(int(Compression::kLz4))->Arg(int(Compression::kZstd));

// ------------------------------------------------------------------ codecs

void BM_Compress(benchmark::State& state) {
  Bytes in = records_section();
  Compression c = Compression(state.range(0));
  size_t out = 0;
  for (auto _ : state) {
    Bytes compressed = compress(c, in).value();
    out = compressed.size();
    benchmark::DoNotOptimize(compressed);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.size()));
  state.counters["ratio"] = double(in.size()) / double(out);
  state.SetLabel(std::string(compression_name(c)));
}
BENCHMARK(BM_Compress)->DenseRange(int(Compression::kGzip), int(Compression::kZstd));

void BM_Decompress(benchmark::State& state) {
  Bytes in = records_section();
  Compression c = Compression(state.range(0));
  Bytes compressed = compress(c, in).value();
  for (auto _ : state) benchmark::DoNotOptimize(decompress(c, compressed, kMaxDecompressed));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.size()));
  state.SetLabel(std::string(compression_name(c)));
}
BENCHMARK(BM_Decompress)->DenseRange(int(Compression::kGzip), int(Compression::kZstd));

}  // namespace
}  // namespace moldau::protocol
