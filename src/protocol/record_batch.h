// Record batch (magic 2) layout and a zero-copy view of a batch header.
// Field offsets are Kafka's (docs/formats.md, "Record batch").
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/endian.h"

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
}  // namespace batch

enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

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
  bool transactional() const { return attributes() & batch::kTransactionalBit; }
  bool control() const { return attributes() & batch::kControlBit; }
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

}  // namespace moldau::protocol
