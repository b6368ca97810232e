// libFuzzer target: arbitrary bytes through the batch walker, header and
// record validation, decoding and the in-place rewrites. Built with clang when
// MOLDAU_FUZZ=ON (scripts/fuzz.sh).
//
// The first input byte picks options; the rest is the buffer. Half of the
// inputs get their CRCs repaired so the fuzzer reaches the record checks
// behind them instead of stopping at CORRUPT_MESSAGE.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "protocol/record_batch.h"

namespace {

using moldau::Bytes;
using moldau::ByteSpan;
using namespace moldau::protocol;

// Small enough that a bomb is caught quickly, large enough for real batches.
constexpr size_t kMaxDecompressed = 1 << 20;

void check(bool condition) {
  if (!condition) std::abort();
}

void exercise(ByteSpan batch, uint8_t flags) {
  const BatchSource source = (flags & 2) ? BatchSource::kLog : BatchSource::kProducer;
  moldau::Status header = validate_batch_header(batch, source);

  RecordChecks checks;
  checks.source = source;
  checks.require_key = flags & 4;
  if (flags & 8) {
    checks.now_ms = 1'700'000'000'000;
    checks.timestamp_before_max_ms = 3'600'000;
    checks.timestamp_after_max_ms = 3'600'000;
  }
  RecordsSummary summary;
  moldau::Status records = validate_records(batch, kMaxDecompressed, checks, &summary);
  check(summary.record_errors.size() <= batch::kMaxRecordErrors);
  if (records.ok()) check(summary.uncompressed_bytes <= kMaxDecompressed || summary.records == 0);

  moldau::Result<std::vector<Record>> decoded = decode_records(batch, kMaxDecompressed);
  if (decoded.ok()) {
    check(decoded->size() == size_t(BatchHeaderView(batch.data()).records_count()));
    for (const Record& r : *decoded) {
      if (r.key) check(r.key->size() <= batch.size() + kMaxDecompressed);
      (void)parse_end_txn_marker(r);
    }
  }

  if (header.ok() && (flags & 16)) {
    Bytes copy(batch.begin(), batch.end());
    check(stamp_log_append_time(copy.data(), copy.size(), 42).ok());
    check(validate_batch_header(copy, source).ok());
    moldau::Result<Bytes> re = recompress(batch, Compression::kLz4, kMaxDecompressed);
    if (re.ok()) check(validate_batch_header(*re, BatchSource::kLog).ok() || source == BatchSource::kProducer);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  Bytes buf(data + 1, data + size);

  // Repair CRCs first (the walker only reads Length, so this is safe).
  if (flags & 1) {
    BatchWalker fixer(buf);
    while (auto b = fixer.next()) update_crc(buf.data() + b->position, b->bytes.size());
  }

  BatchWalker walker(buf);
  size_t walked = 0;
  while (auto b = walker.next()) {
    check(b->position == walked && b->bytes.size() >= batch::kHeaderSize);
    walked += b->bytes.size();
    exercise(b->bytes, flags);
  }
  check(walker.valid_bytes() == walked && walked <= buf.size());
  check(walker.status().ok() == (walker.end() == BatchWalker::End::kClean));

  // The functions must also be safe on bytes the walker would not accept.
  exercise(buf, flags);
  return 0;
}
