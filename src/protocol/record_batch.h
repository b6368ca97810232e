// Record batches (magic 2): layout, walking, validation, decoding, building
// and the in-place rewrites a broker makes. The format, what is validated and
// what the broker rewrites are written down in docs/formats.md; every field
// offset below is Kafka's ("Record batch" there).
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/endian.h"
#include "base/error.h"

namespace moldau::protocol {

namespace batch {
constexpr size_t kBaseOffset = 0;
constexpr size_t kLength = 8;
constexpr size_t kPartitionLeaderEpoch = 12;
constexpr size_t kMagic = 16;
constexpr size_t kCrc = 17;
constexpr size_t kAttributes = 21;
constexpr size_t kLastOffsetDelta = 23;
constexpr size_t kBaseTimestamp = 27;
constexpr size_t kMaxTimestamp = 35;
constexpr size_t kProducerId = 43;
constexpr size_t kProducerEpoch = 51;
constexpr size_t kBaseSequence = 53;
constexpr size_t kRecordsCount = 57;
constexpr size_t kHeaderSize = 61;
// Bytes before the Length field's coverage begins: BaseOffset + Length.
constexpr size_t kLogOverhead = 12;
// The CRC covers [kAttributes, end).
constexpr size_t kCrcStart = kAttributes;

constexpr uint16_t kCompressionMask = 0x07;
constexpr uint16_t kTimestampTypeBit = 0x08;   // 1 = LogAppendTime
constexpr uint16_t kTransactionalBit = 0x10;
constexpr uint16_t kControlBit = 0x20;
constexpr uint16_t kDeleteHorizonBit = 0x40;

constexpr int8_t kMagicV2 = 2;
// The smallest Length a batch can have: a header and no records.
constexpr int32_t kMinLength = int32_t(kHeaderSize - kLogOverhead);
// The smallest encoded record: seven one-byte fields (length, attributes,
// timestamp delta, offset delta, key length, value length, header count).
constexpr size_t kMinRecordSize = 7;
// The smallest record body (what a record's Length counts).
constexpr int32_t kMinRecordBodySize = int32_t(kMinRecordSize - 1);

// "Absent" values of header fields, as Kafka writes them.
constexpr int64_t kNoProducerId = -1;
constexpr int16_t kNoProducerEpoch = -1;
constexpr int32_t kNoSequence = -1;
constexpr int32_t kNoPartitionLeaderEpoch = -1;
constexpr int64_t kNoTimestamp = -1;

// At most this many per-record errors are reported for one batch (KIP-467's
// record_errors), so a bad batch cannot make an unbounded response.
constexpr size_t kMaxRecordErrors = 128;

static_assert(kRecordsCount + 4 == kHeaderSize);
static_assert(kCrc + 4 == kAttributes);
}  // namespace batch

enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };
enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

// Where a batch comes from decides how strict validation is.
enum class BatchSource : uint8_t {
  // A client's produce request: Kafka's LogValidator rules. At least one
  // record, offset deltas exactly 0..n-1, no control batches, a producer id
  // implies a sequence.
  kProducer,
  // Bytes already in a log (segment recovery, replica fetch, consumers):
  // compaction may have removed records, so deltas only increase, a batch may
  // be empty, and control batches are normal.
  kLog,
};

// A read-only view of one batch's header. The caller guarantees at least
// batch::kHeaderSize bytes (or kLogOverhead for base_offset/length).
class BatchHeaderView {
 public:
  explicit BatchHeaderView(const uint8_t* p) : p_(p) {}
  int64_t base_offset() const { return int64_t(load_be64(p_ + batch::kBaseOffset)); }
  int32_t length() const { return int32_t(load_be32(p_ + batch::kLength)); }
  // Whole batch size on the wire / on disk.
  int64_t size_bytes() const { return int64_t(length()) + int64_t(batch::kLogOverhead); }
  int32_t partition_leader_epoch() const { return int32_t(load_be32(p_ + batch::kPartitionLeaderEpoch)); }
  int8_t magic() const { return int8_t(p_[batch::kMagic]); }
  uint32_t crc() const { return load_be32(p_ + batch::kCrc); }
  uint16_t attributes() const { return load_be16(p_ + batch::kAttributes); }
  Compression compression() const { return Compression(attributes() & batch::kCompressionMask); }
  bool log_append_time() const { return attributes() & batch::kTimestampTypeBit; }
  TimestampType timestamp_type() const {
    return log_append_time() ? TimestampType::kLogAppendTime : TimestampType::kCreateTime;
  }
  bool transactional() const { return attributes() & batch::kTransactionalBit; }
  bool control() const { return attributes() & batch::kControlBit; }
  bool has_producer_id() const { return producer_id() >= 0; }
  int32_t last_offset_delta() const { return int32_t(load_be32(p_ + batch::kLastOffsetDelta)); }
  int64_t last_offset() const { return base_offset() + last_offset_delta(); }
  int64_t base_timestamp() const { return int64_t(load_be64(p_ + batch::kBaseTimestamp)); }
  int64_t max_timestamp() const { return int64_t(load_be64(p_ + batch::kMaxTimestamp)); }
  int64_t producer_id() const { return int64_t(load_be64(p_ + batch::kProducerId)); }
  int16_t producer_epoch() const { return int16_t(load_be16(p_ + batch::kProducerEpoch)); }
  int32_t base_sequence() const { return int32_t(load_be32(p_ + batch::kBaseSequence)); }
  int32_t records_count() const { return int32_t(load_be32(p_ + batch::kRecordsCount)); }

 private:
  const uint8_t* p_;
};

// Writers for the fields a broker changes (BaseOffset and PartitionLeaderEpoch
// lie outside the CRC; MaxTimestamp and attributes do not: recompute the CRC).
inline void set_base_offset(uint8_t* batch_start, int64_t v) {
  store_be64(batch_start + batch::kBaseOffset, uint64_t(v));
}
inline void set_partition_leader_epoch(uint8_t* batch_start, int32_t v) {
  store_be32(batch_start + batch::kPartitionLeaderEpoch, uint32_t(v));
}

// ------------------------------------------------------------------ walking

// One complete batch found in a buffer.
struct BatchSlice {
  size_t position = 0;  // where the batch starts in the walked buffer
  ByteSpan bytes;       // the whole batch: size_bytes() long, >= kHeaderSize
  BatchHeaderView header() const { return BatchHeaderView(bytes.data()); }
};

// Walks a buffer of concatenated batches using only their BaseOffset and
// Length fields (nothing else is checked: use validate_batch_header). Used by
// produce validation and by storage recovery:
//
//   BatchWalker w(buf);
//   while (auto b = w.next()) { ... b->bytes, b->header() ... }
//   if (!w.status()) { truncate at w.valid_bytes() }
class BatchWalker {
 public:
  enum class End : uint8_t {
    kNotYet,     // next() has not returned nullopt yet
    kClean,      // the buffer ended exactly after a batch
    kTruncated,  // a partial batch at the tail: fewer bytes than it needs
    kBadLength,  // a Length below kMinLength (or negative): no batch can start here
  };

  explicit BatchWalker(ByteSpan buffer) : buf_(buffer) {}

  // The next complete batch, or nullopt at the end of the buffer or at a
  // tail that is not a complete batch (see end() and status()).
  std::optional<BatchSlice> next();

  End end() const { return end_; }
  // OK while walking and after a clean end; kCorruptMessage describing the
  // tail otherwise.
  const Status& status() const { return status_; }
  // Bytes covered by the complete batches returned so far (where a torn or
  // corrupt tail starts).
  size_t valid_bytes() const { return pos_; }
  size_t batches() const { return count_; }

 private:
  ByteSpan buf_;
  size_t pos_ = 0;
  size_t count_ = 0;
  End end_ = End::kNotYet;
  Status status_;
};

// ------------------------------------------------------------------ validation

// Checks the header of the batch at the start of `batch` (which may extend
// past it) and its CRC. Errors, with Kafka's codes:
//   CORRUPT_MESSAGE    fewer than 12 bytes, Length negative, below the minimum
//                      or past the buffer, magic not 0-2, CRC mismatch, and
//                      (kLog) a negative base offset
//   INVALID_RECORD     magic 0 or 1 (Kafka's answer to legacy formats on
//                      produce v3+), negative records count, records count
//                      not matching LastOffsetDelta, more records than the
//                      bytes can hold; kProducer: an empty batch, a control
//                      batch, a producer id without a sequence, a
//                      transactional batch without a producer id
//   UNSUPPORTED_COMPRESSION_TYPE  compression bits 5-7
Status validate_batch_header(ByteSpan batch, BatchSource source = BatchSource::kProducer);

// One record that made the batch fail: its index in the batch and why
// (KIP-467, ProduceResponse v8+ record_errors).
struct RecordError {
  int32_t batch_index = 0;
  std::string message;
};

// What the topic's configuration asks of records, beyond the format.
struct RecordChecks {
  BatchSource source = BatchSource::kProducer;
  // cleanup.policy contains "compact": every record needs a key.
  bool require_key = false;
  // For message.timestamp.type=CreateTime: a record timestamp must lie in
  // [now_ms - timestamp_before_max_ms, now_ms + timestamp_after_max_ms]
  // (message.timestamp.before.max.ms / after.max.ms). Negative: no check.
  int64_t now_ms = 0;
  int64_t timestamp_before_max_ms = -1;
  int64_t timestamp_after_max_ms = -1;
};

// What validate_records learned about the records.
struct RecordsSummary {
  int32_t records = 0;
  // Max of the records' own timestamps and the offset delta of the record
  // that holds it (first one on ties); kNoTimestamp for an empty batch.
  int64_t max_timestamp = batch::kNoTimestamp;
  int32_t max_timestamp_offset_delta = -1;
  // Size of the records section after decompression.
  size_t uncompressed_bytes = 0;
  // Per-record problems, at most batch::kMaxRecordErrors of them.
  std::vector<RecordError> record_errors;
};

// Walks every record of the batch at the start of `batch`, decompressing the
// records section (at most `max_decompressed` bytes) when the batch is
// compressed. Checks the record count, offset deltas, every length against
// the bytes that remain, varint ranges, header counts and key/value lengths,
// and then the RecordChecks policy. Does not check the CRC: call
// validate_batch_header first. Errors:
//   CORRUPT_MESSAGE   the batch frame is broken, or the compressed section
//                     does not decompress within the bound
//   INVALID_RECORD    a record is malformed (stops at the first one), or a
//                     record has no key where one is required
//   INVALID_TIMESTAMP a record timestamp is out of the configured range
// Record-level problems are listed in summary->record_errors.
Status validate_records(ByteSpan batch, size_t max_decompressed, const RecordChecks& checks = {},
                        RecordsSummary* summary = nullptr);

// ------------------------------------------------------------------ decoding

struct RecordHeader {
  std::string_view key;
  std::optional<ByteSpan> value;  // nullopt = null
};

// A decoded record. Key, value and headers are views: into the batch passed
// to decode_records when it was uncompressed (keep it alive), or into
// `storage`, the decompressed records section that every record of a
// compressed batch shares.
struct Record {
  int64_t offset = 0;      // BaseOffset + OffsetDelta
  int64_t timestamp = 0;   // BaseTimestamp + TimestampDelta; MaxTimestamp for LogAppendTime
  int8_t attributes = 0;   // unused by Kafka so far
  std::optional<ByteSpan> key;
  std::optional<ByteSpan> value;
  std::vector<RecordHeader> headers;
  std::shared_ptr<const Bytes> storage;
};

// Decodes the batch at the start of `batch` after checking it as a log batch
// (validate_batch_header with kLog, CRC included, and the record structure).
Result<std::vector<Record>> decode_records(ByteSpan batch, size_t max_decompressed);

// ------------------------------------------------------------------ control batches

enum class ControlType : int16_t { kAbort = 0, kCommit = 1 };

// The end-transaction marker a control batch carries.
struct EndTxnMarker {
  ControlType type = ControlType::kAbort;
  int32_t coordinator_epoch = 0;
};

// The control record type in a control record's key (version int16 0 +
// type int16); kInvalidRecord when the key is not that.
Result<int16_t> control_record_type(std::optional<ByteSpan> key);
// Parses a COMMIT/ABORT control record (value: version int16 0 +
// CoordinatorEpoch int32).
Result<EndTxnMarker> parse_end_txn_marker(const Record& record);

// A transactional control batch holding one COMMIT or ABORT marker, as the
// transaction coordinator writes it (docs/formats.md, "Control batches").
Bytes make_control_batch(int64_t producer_id, int16_t producer_epoch, ControlType type,
                         int32_t coordinator_epoch, int64_t timestamp_ms, int64_t base_offset = 0,
                         int32_t partition_leader_epoch = batch::kNoPartitionLeaderEpoch);

// ------------------------------------------------------------------ building

struct BatchOptions {
  Compression compression = Compression::kNone;
  int compression_level = INT_MIN;  // kDefaultCompressionLevel (compression.h)
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = batch::kNoPartitionLeaderEpoch;
  int64_t producer_id = batch::kNoProducerId;
  int16_t producer_epoch = batch::kNoProducerEpoch;
  int32_t base_sequence = batch::kNoSequence;
  bool transactional = false;
  bool control = false;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  // MaxTimestamp of a LogAppendTime batch.
  int64_t log_append_time_ms = batch::kNoTimestamp;
};

// Builds one batch. Records get offset deltas in the order they are added;
// BaseTimestamp is the first record's timestamp.
class BatchBuilder {
 public:
  explicit BatchBuilder(BatchOptions options = {});

  void add(std::optional<ByteSpan> key, std::optional<ByteSpan> value, int64_t timestamp_ms,
           std::span<const RecordHeader> headers = {});

  // Reserves room for `record_bytes` of encoded records (avoids regrowth
  // when the caller knows roughly how much it will add).
  void reserve(size_t record_bytes) { buf_.reserve(batch::kHeaderSize + record_bytes); }

  int32_t record_count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Uncompressed bytes so far, header included: an upper bound of the batch
  // size without compression.
  size_t size_bytes() const { return buf_.size(); }
  const BatchOptions& options() const { return options_; }

  // The finished batch, CRC included. The builder is empty afterwards, with
  // the same options. Fails on an empty builder (kInvalidRecord), on a batch
  // past Kafka's int32 limits (kMessageTooLarge) or a codec error.
  Result<Bytes> build();

 private:
  BatchOptions options_;
  Bytes buf_;  // kHeaderSize bytes reserved, then the encoded records
  int32_t count_ = 0;
  int64_t base_timestamp_ = batch::kNoTimestamp;
  int64_t max_timestamp_ = batch::kNoTimestamp;
  bool too_large_ = false;
};

// ------------------------------------------------------------------ in-place rewrites

// CRC-32C of the batch at the start of `batch` over [kCrcStart, size_bytes).
// REQUIRES: the batch is complete (e.g. from BatchWalker).
uint32_t compute_crc(ByteSpan batch);
// Stores compute_crc() into the CRC field.
void update_crc(uint8_t* batch, size_t size);

// Sets the timestamp type bit and MaxTimestamp and recomputes the CRC (only
// when something changed). `size` bounds the buffer; the batch's Length must
// fit in it (kCorruptMessage otherwise).
Status set_max_timestamp(uint8_t* batch, size_t size, TimestampType type, int64_t max_timestamp_ms);
// For topics with message.timestamp.type=LogAppendTime.
inline Status stamp_log_append_time(uint8_t* batch, size_t size, int64_t now_ms) {
  return set_max_timestamp(batch, size, TimestampType::kLogAppendTime, now_ms);
}

// The same batch with its records section compressed with `target` (for a
// topic whose compression.type differs from the producer's). Header fields are
// kept except the compression bits, Length and CRC.
Result<Bytes> recompress(ByteSpan batch, Compression target, size_t max_decompressed,
                         int level = INT_MIN);

}  // namespace moldau::protocol
