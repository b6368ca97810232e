// Record batches: walking, validation, decoding, building and in-place
// rewrites (docs/formats.md). Records are walked with a raw-pointer cursor
// that steps over lengths without copying anything.
#include "protocol/record_batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include "base/crc32c.h"
#include "protocol/compression.h"

namespace moldau::protocol {

static_assert(INT_MIN == kDefaultCompressionLevel, "BatchOptions and recompress spell the default level as INT_MIN");

namespace {

Error corrupt(std::string m) { return Error{ErrorCode::kCorruptMessage, std::move(m)}; }
Error invalid(std::string m) { return Error{ErrorCode::kInvalidRecord, std::move(m)}; }

// The exact span of the batch at the start of `buf`, if its frame (BaseOffset,
// Length) is sound and it fits in `buf`.
Result<ByteSpan> batch_frame(ByteSpan buf) {
  if (buf.size() < batch::kLogOverhead)
    return corrupt(fmt::format("record batch of {} bytes is too short for its length field", buf.size()));
  int32_t length = BatchHeaderView(buf.data()).length();
  if (length < batch::kMinLength)
    return corrupt(fmt::format("record batch length {} is less than the minimum {}", length, batch::kMinLength));
  size_t size = size_t(length) + batch::kLogOverhead;
  if (size > buf.size())
    return corrupt(fmt::format("record batch length {} runs past the {} bytes available", length,
                               buf.size() - batch::kLogOverhead));
  return buf.first(size);
}

Status check_magic(const BatchHeaderView& h) {
  int8_t m = h.magic();
  if (m == batch::kMagicV2) return {};
  // Legacy message sets carry their magic at the same offset; Kafka answers
  // them with INVALID_RECORD on produce v3+ (no retry can help).
  if (m == 0 || m == 1) return invalid(fmt::format("record batch has legacy magic {}; only magic 2 is supported", m));
  return corrupt(fmt::format("record batch has unknown magic {}", m));
}

Status check_compression(const BatchHeaderView& h) {
  if (uint8_t(h.compression()) <= uint8_t(Compression::kZstd)) return {};
  return Error{ErrorCode::kUnsupportedCompressionType,
               fmt::format("record batch has unknown compression type {}", int(h.compression()))};
}

// ---------------------------------------------------------------- cursor

enum class VarintResult : uint8_t { kOk, kTruncated, kOverlong };

inline int32_t unzigzag32(uint32_t u) { return int32_t((u >> 1) ^ (~(u & 1) + 1)); }
inline int64_t unzigzag64(uint64_t u) { return int64_t((u >> 1) ^ (~(u & 1) + 1)); }

// Reads the records of a batch: zig-zag varints with Kafka's limits (5 bytes
// for varint, 10 for varlong), rejecting bits past the type's width.
//
// Lengths, deltas and counts of ordinary records take one or two bytes, which
// the inline fast paths decode; anything else (longer, truncated or overlong)
// goes to the byte-at-a-time loops, which decide every error as before.
class Cursor {
 public:
  Cursor(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
  size_t remaining() const { return size_t(end_ - p_); }
  const uint8_t* pos() const { return p_; }

  VarintResult varint(int32_t& out) {
    uint32_t u;
    if (two_byte_fast_path(u)) [[likely]] {
      out = unzigzag32(u);
      return VarintResult::kOk;
    }
    return varint_slow(out);
  }

  VarintResult varlong(int64_t& out) {
    uint32_t u;
    if (two_byte_fast_path(u)) [[likely]] {
      out = unzigzag64(u);
      return VarintResult::kOk;
    }
    return varlong_slow(out);
  }

  bool skip(size_t n) {
    if (n > remaining()) return false;
    p_ += n;
    return true;
  }

 private:
  // A varint of one or two bytes (no width limit can be reached in two).
  bool two_byte_fast_path(uint32_t& u) {
    if (p_ == end_) return false;
    const uint32_t b0 = p_[0];
    if (b0 < 0x80) {
      u = b0;
      p_ += 1;
      return true;
    }
    if (end_ - p_ < 2) return false;
    const uint32_t b1 = p_[1];
    if (b1 >= 0x80) return false;
    u = (b0 & 0x7f) | (b1 << 7);
    p_ += 2;
    return true;
  }
  [[gnu::noinline]] VarintResult varint_slow(int32_t& out) {
    uint32_t u = 0;
    for (int i = 0; i < 5; ++i) {
      if (p_ == end_) return VarintResult::kTruncated;
      uint8_t b = *p_++;
      if (i == 4 && (b & 0xf0)) return VarintResult::kOverlong;
      u |= uint32_t(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) break;
    }
    out = unzigzag32(u);
    return VarintResult::kOk;
  }

  [[gnu::noinline]] VarintResult varlong_slow(int64_t& out) {
    uint64_t u = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return VarintResult::kTruncated;
      uint8_t b = *p_++;
      if (i == 9 && (b & 0xfe)) return VarintResult::kOverlong;
      u |= uint64_t(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) break;
    }
    out = unzigzag64(u);
    return VarintResult::kOk;
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

const char* varint_problem(VarintResult r) {
  return r == VarintResult::kTruncated ? "is truncated" : "is longer than its type allows";
}

// Formats a record error into `error` and returns false. Out of line and cold
// so that the formatting code stays off the per-record path.
template <typename... Args>
[[gnu::noinline, gnu::cold]] bool fail(std::string& error, fmt::format_string<Args...> format, Args&&... args) {
  error = fmt::format(format, std::forward<Args>(args)...);
  return false;
}

// ---------------------------------------------------------------- one record

struct ParsedRecord {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  int32_t key_length = -1;
  const uint8_t* key = nullptr;
  int32_t value_length = -1;
  const uint8_t* value = nullptr;
};

// A nullable length-prefixed field: -1 is null, other negatives are invalid.
inline bool read_bytes_field(Cursor& c, const char* what, int32_t& length, const uint8_t*& data,
                             std::string& error) {
  VarintResult r = c.varint(length);
  if (r != VarintResult::kOk) [[unlikely]]
    return fail(error, "{} length varint {}", what, varint_problem(r));
  if (length < -1) [[unlikely]]
    return fail(error, "{} length {} is negative", what, length);
  data = c.pos();
  if (length > 0 && !c.skip(size_t(length))) [[unlikely]]
    return fail(error, "{} length {} runs past the record's {} remaining bytes", what, length, c.remaining());
  return true;
}

// The headers of a record with at least one (count > 0, checked against the
// bytes left by the caller).
[[gnu::noinline]] bool parse_header_list(Cursor& c, int32_t count, std::vector<RecordHeader>* out,
                                         std::string& error) {
  if (out) out->reserve(size_t(count));
  for (int32_t i = 0; i < count; ++i) {
    int32_t key_length = 0, value_length = 0;
    const uint8_t *key = nullptr, *value = nullptr;
    if (!read_bytes_field(c, "header key", key_length, key, error)) return false;
    if (key_length < 0) [[unlikely]]
      return fail(error, "header key is null");
    if (!read_bytes_field(c, "header value", value_length, value, error)) return false;
    if (out) {
      RecordHeader h;
      h.key = std::string_view(reinterpret_cast<const char*>(key), size_t(key_length));
      if (value_length >= 0) h.value = ByteSpan(value, size_t(value_length));
      out->push_back(h);
    }
  }
  return true;
}

inline bool parse_headers(Cursor& c, std::vector<RecordHeader>* out, std::string& error) {
  int32_t count = 0;
  VarintResult r = c.varint(count);
  if (r != VarintResult::kOk) [[unlikely]]
    return fail(error, "header count varint {}", varint_problem(r));
  if (count == 0) [[likely]]
    return true;
  if (count < 0) [[unlikely]]
    return fail(error, "header count {} is negative", count);
  // Each header takes at least two bytes (two length varints).
  if (size_t(count) > c.remaining() / 2) [[unlikely]]
    return fail(error, "header count {} is more than the record's {} remaining bytes can hold", count, c.remaining());
  return parse_header_list(c, count, out, error);
}

// Parses the record at the cursor; `headers` collects header views when set.
[[gnu::always_inline]] inline bool parse_record(Cursor& c, ParsedRecord& rec, std::vector<RecordHeader>* headers,
                                                std::string& error) {
  int32_t length = 0;
  VarintResult r = c.varint(length);
  if (r != VarintResult::kOk) [[unlikely]]
    return fail(error, "record length varint {}", varint_problem(r));
  if (length < batch::kMinRecordBodySize) [[unlikely]]
    return fail(error, "record length {} is less than the minimum {}", length, batch::kMinRecordBodySize);
  if (size_t(length) > c.remaining()) [[unlikely]]
    return fail(error, "record length {} runs past the {} bytes left in the batch", length, c.remaining());
  const uint8_t* body = c.pos();
  c.skip(size_t(length));
  rec.attributes = int8_t(*body);
  Cursor b(body + 1, body + length);  // length >= kMinRecordBodySize: the attributes byte is there
  if ((r = b.varlong(rec.timestamp_delta)) != VarintResult::kOk) [[unlikely]]
    return fail(error, "timestamp delta varlong {}", varint_problem(r));
  if ((r = b.varint(rec.offset_delta)) != VarintResult::kOk) [[unlikely]]
    return fail(error, "offset delta varint {}", varint_problem(r));
  if (!read_bytes_field(b, "key", rec.key_length, rec.key, error)) return false;
  if (!read_bytes_field(b, "value", rec.value_length, rec.value, error)) return false;
  if (!parse_headers(b, headers, error)) return false;
  if (b.remaining() != 0) [[unlikely]]
    return fail(error, "record length {} leaves {} bytes unread after its fields", length, b.remaining());
  return true;
}

// ---------------------------------------------------------------- all records

// The records section of a batch, decompressed when needed.
struct Section {
  ByteSpan bytes;
  std::shared_ptr<Bytes> owned;
};

Result<Section> records_section(ByteSpan frame, size_t max_decompressed) {
  BatchHeaderView h(frame.data());
  ByteSpan raw = frame.subspan(batch::kHeaderSize);
  Section s;
  if (h.compression() == Compression::kNone || (h.records_count() == 0 && raw.empty())) {
    s.bytes = raw;
    return s;
  }
  Result<Bytes> d = decompress(h.compression(), raw, max_decompressed);
  if (!d.ok()) return d.error();
  s.owned = std::make_shared<Bytes>(std::move(d).value());
  s.bytes = *s.owned;
  return s;
}

Status check_count_fits(int32_t count, size_t section_bytes) {
  if (uint64_t(count) * batch::kMinRecordSize > section_bytes)
    return invalid(fmt::format("record batch declares {} records but its {} bytes of records hold at most {}",
                               count, section_bytes, section_bytes / batch::kMinRecordSize));
  return {};
}

// Reports the first malformed record of a batch.
[[gnu::noinline, gnu::cold]] Status record_failed(int32_t i, const std::string& error,
                                                  std::vector<RecordError>* errors) {
  if (errors) errors->push_back(RecordError{i, error});
  return invalid(fmt::format("record {}: {}", i, error));
}

// Calls visit(index, parsed, headers) for every record after checking its
// structure and offset delta. Stops at the first malformed record and reports
// it in `errors` (when set).
template <typename Visit>
Status walk_records(const BatchHeaderView& h, ByteSpan section, BatchSource source, bool collect_headers,
                    std::vector<RecordError>* errors, Visit&& visit) {
  const int32_t count = h.records_count();
  Cursor c(section.data(), section.data() + section.size());
  ParsedRecord rec;
  std::vector<RecordHeader> headers;
  std::string error;
  int32_t previous_delta = -1;
  const int32_t last_delta = h.last_offset_delta();
  for (int32_t i = 0; i < count; ++i) {
    bool ok = false;
    if (c.remaining() == 0) [[unlikely]] {
      fail(error, "the batch declares {} records but holds only {}", count, i);
    } else if (parse_record(c, rec, collect_headers ? &headers : nullptr, error)) [[likely]] {
      ok = source == BatchSource::kProducer ? rec.offset_delta == i
                                            : rec.offset_delta > previous_delta && rec.offset_delta <= last_delta;
      if (!ok) [[unlikely]] {
        if (source == BatchSource::kProducer)
          fail(error, "offset delta {} where {} was expected", rec.offset_delta, i);
        else
          fail(error, "offset delta {} does not follow {} within last offset delta {}", rec.offset_delta,
               previous_delta, last_delta);
      }
    }
    if (!ok) [[unlikely]]
      return record_failed(i, error, errors);
    previous_delta = rec.offset_delta;
    visit(i, rec, headers);
    headers.clear();
  }
  if (c.remaining() != 0)
    return invalid(fmt::format("{} bytes remain after the last of the batch's {} records", c.remaining(), count));
  return {};
}

// ---------------------------------------------------------------- encoding

size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
uint32_t zigzag32(int32_t v) { return (uint32_t(v) << 1) ^ uint32_t(v >> 31); }
uint64_t zigzag64(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
size_t varint_size(int32_t v) { return uvarint_size(zigzag32(v)); }
size_t varlong_size(int64_t v) { return uvarint_size(zigzag64(v)); }

void put_uvarint(uint8_t*& p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = uint8_t(v | 0x80);
    v >>= 7;
  }
  *p++ = uint8_t(v);
}
void put_bytes(uint8_t*& p, std::optional<ByteSpan> b) {
  if (!b) {
    put_uvarint(p, zigzag32(-1));
    return;
  }
  put_uvarint(p, zigzag32(int32_t(b->size())));
  if (!b->empty()) std::memcpy(p, b->data(), b->size());
  p += b->size();
}
size_t bytes_field_size(std::optional<ByteSpan> b) {
  return b ? varint_size(int32_t(b->size())) + b->size() : 1;
}

void write_header(uint8_t* p, const BatchOptions& o, size_t size, int32_t count, int64_t base_ts, int64_t max_ts) {
  uint16_t attributes = uint16_t(o.compression) & batch::kCompressionMask;
  if (o.timestamp_type == TimestampType::kLogAppendTime) attributes |= batch::kTimestampTypeBit;
  if (o.transactional) attributes |= batch::kTransactionalBit;
  if (o.control) attributes |= batch::kControlBit;
  store_be64(p + batch::kBaseOffset, uint64_t(o.base_offset));
  store_be32(p + batch::kLength, uint32_t(size - batch::kLogOverhead));
  store_be32(p + batch::kPartitionLeaderEpoch, uint32_t(o.partition_leader_epoch));
  p[batch::kMagic] = uint8_t(batch::kMagicV2);
  store_be16(p + batch::kAttributes, attributes);
  store_be32(p + batch::kLastOffsetDelta, uint32_t(count - 1));
  store_be64(p + batch::kBaseTimestamp, uint64_t(base_ts));
  store_be64(p + batch::kMaxTimestamp, uint64_t(max_ts));
  store_be64(p + batch::kProducerId, uint64_t(o.producer_id));
  store_be16(p + batch::kProducerEpoch, uint16_t(o.producer_epoch));
  store_be32(p + batch::kBaseSequence, uint32_t(o.base_sequence));
  store_be32(p + batch::kRecordsCount, uint32_t(count));
  update_crc(p, size);
}

}  // namespace

// ------------------------------------------------------------------ walking

std::optional<BatchSlice> BatchWalker::next() {
  if (end_ != End::kNotYet) return std::nullopt;
  size_t left = buf_.size() - pos_;
  if (left == 0) {
    end_ = End::kClean;
    return std::nullopt;
  }
  if (left < batch::kLogOverhead) {
    end_ = End::kTruncated;
    status_ = corrupt(fmt::format("{} bytes at position {} are too few for a record batch", left, pos_));
    return std::nullopt;
  }
  int32_t length = BatchHeaderView(buf_.data() + pos_).length();
  if (length < batch::kMinLength) {
    end_ = End::kBadLength;
    status_ = corrupt(fmt::format("record batch at position {} has length {}, less than the minimum {}", pos_,
                                  length, batch::kMinLength));
    return std::nullopt;
  }
  size_t size = size_t(length) + batch::kLogOverhead;
  if (size > left) {
    end_ = End::kTruncated;
    status_ = corrupt(fmt::format("record batch at position {} needs {} bytes but {} remain", pos_, size, left));
    return std::nullopt;
  }
  BatchSlice slice{pos_, buf_.subspan(pos_, size)};
  pos_ += size;
  ++count_;
  return slice;
}

// ------------------------------------------------------------------ validation

Status validate_batch_header(ByteSpan buf, BatchSource source) {
  Result<ByteSpan> frame = batch_frame(buf);
  if (!frame.ok()) return frame.error();
  BatchHeaderView h(frame->data());
  if (Status s = check_magic(h); !s) return s;
  uint32_t computed = compute_crc(*frame);
  if (computed != h.crc())
    return corrupt(fmt::format("record batch CRC mismatch: stored {:#010x}, computed {:#010x}", h.crc(), computed));
  if (Status s = check_compression(h); !s) return s;

  const int32_t count = h.records_count();
  const int32_t last_delta = h.last_offset_delta();
  if (count < 0) return invalid(fmt::format("record batch has a negative records count {}", count));
  if (source == BatchSource::kProducer) {
    if (count == 0) return invalid("record batch has no records");
    if (last_delta != count - 1)
      return invalid(fmt::format("record batch last offset delta {} does not match its {} records", last_delta, count));
    if (h.control()) return invalid("clients may not write control batches");
    if (h.has_producer_id() && h.base_sequence() < 0)
      return invalid(fmt::format("record batch with producer id {} has invalid base sequence {}", h.producer_id(),
                                 h.base_sequence()));
    if (h.transactional() && !h.has_producer_id()) return invalid("transactional record batch has no producer id");
  } else {
    if (last_delta < 0 || last_delta < count - 1)
      return invalid(fmt::format("record batch last offset delta {} cannot hold its {} records", last_delta, count));
    if (h.base_offset() < 0) return corrupt(fmt::format("record batch has negative base offset {}", h.base_offset()));
    if (h.base_offset() > INT64_MAX - last_delta)
      return corrupt(fmt::format("record batch offsets overflow: base {} + delta {}", h.base_offset(), last_delta));
  }
  if (h.compression() == Compression::kNone) return check_count_fits(count, frame->size() - batch::kHeaderSize);
  return {};
}

namespace {
[[gnu::noinline, gnu::cold]] std::string timestamp_out_of_range(int64_t ts, int32_t i, int64_t earliest,
                                                                int64_t latest) {
  return fmt::format("timestamp {} of record {} is out of range; it must be within [{}, {}]", ts, i, earliest,
                     latest);
}
}  // namespace

Status validate_records(ByteSpan buf, size_t max_decompressed, const RecordChecks& checks, RecordsSummary* summary) {
  RecordsSummary local;
  RecordsSummary& out = summary ? *summary : local;
  out = RecordsSummary{};
  Result<ByteSpan> frame = batch_frame(buf);
  if (!frame.ok()) return frame.error();
  BatchHeaderView h(frame->data());
  if (Status s = check_magic(h); !s) return s;
  if (Status s = check_compression(h); !s) return s;
  if (h.records_count() < 0) return invalid(fmt::format("record batch has a negative records count {}", h.records_count()));
  Result<Section> section = records_section(*frame, max_decompressed);
  if (!section.ok()) return section.error();
  out.uncompressed_bytes = section->bytes.size();
  if (Status s = check_count_fits(h.records_count(), section->bytes.size()); !s) return s;

  const bool check_time = checks.timestamp_before_max_ms >= 0 || checks.timestamp_after_max_ms >= 0;
  const int64_t earliest = checks.timestamp_before_max_ms >= 0 ? checks.now_ms - checks.timestamp_before_max_ms : INT64_MIN;
  const int64_t latest = checks.timestamp_after_max_ms >= 0 ? checks.now_ms + checks.timestamp_after_max_ms : INT64_MAX;
  const int64_t base_ts = h.base_timestamp();
  size_t policy_errors = 0;
  bool bad_timestamp = false;
  auto note = [&](int32_t index, std::string message) {
    ++policy_errors;
    if (out.record_errors.size() < batch::kMaxRecordErrors) out.record_errors.push_back({index, std::move(message)});
  };
  Status walked = walk_records(
      h, section->bytes, checks.source, false, &out.record_errors,
      [&](int32_t i, const ParsedRecord& rec, const std::vector<RecordHeader>&) {
        int64_t ts = int64_t(uint64_t(base_ts) + uint64_t(rec.timestamp_delta));
        if (out.max_timestamp_offset_delta < 0 || ts > out.max_timestamp) {
          out.max_timestamp = ts;
          out.max_timestamp_offset_delta = rec.offset_delta;
        }
        if (checks.require_key && rec.key_length < 0) [[unlikely]]
          note(i, "compacted topic cannot accept a record without a key");
        if (check_time && ts != batch::kNoTimestamp && (ts < earliest || ts > latest)) [[unlikely]] {
          bad_timestamp = true;
          note(i, timestamp_out_of_range(ts, i, earliest, latest));
        }
      });
  if (!walked) return walked;
  out.records = h.records_count();
  if (policy_errors == 0) return {};
  // Kafka answers INVALID_TIMESTAMP if any record's timestamp is out of range.
  ErrorCode code = bad_timestamp ? ErrorCode::kInvalidTimestamp : ErrorCode::kInvalidRecord;
  return Error{code, fmt::format("{} of {} records failed validation; first: record {}: {}", policy_errors,
                                 h.records_count(), out.record_errors[0].batch_index, out.record_errors[0].message)};
}

// ------------------------------------------------------------------ decoding

Result<std::vector<Record>> decode_records(ByteSpan buf, size_t max_decompressed) {
  if (Status s = validate_batch_header(buf, BatchSource::kLog); !s) return s.error();
  ByteSpan frame = buf.first(size_t(BatchHeaderView(buf.data()).size_bytes()));
  BatchHeaderView h(frame.data());
  Result<Section> section = records_section(frame, max_decompressed);
  if (!section.ok()) return section.error();
  if (Status s = check_count_fits(h.records_count(), section->bytes.size()); !s) return s.error();
  std::vector<Record> records;
  records.reserve(size_t(h.records_count()));
  std::shared_ptr<const Bytes> storage = section->owned;
  const bool log_append = h.log_append_time();
  Status walked = walk_records(h, section->bytes, BatchSource::kLog, true, nullptr,
                               [&](int32_t, const ParsedRecord& rec, const std::vector<RecordHeader>& headers) {
                                 Record r;
                                 r.offset = h.base_offset() + rec.offset_delta;
                                 r.timestamp = log_append ? h.max_timestamp()
                                                          : int64_t(uint64_t(h.base_timestamp()) +
                                                                    uint64_t(rec.timestamp_delta));
                                 r.attributes = rec.attributes;
                                 if (rec.key_length >= 0) r.key = ByteSpan(rec.key, size_t(rec.key_length));
                                 if (rec.value_length >= 0) r.value = ByteSpan(rec.value, size_t(rec.value_length));
                                 r.headers = headers;
                                 r.storage = storage;
                                 records.push_back(std::move(r));
                               });
  if (!walked) return walked.error();
  return records;
}

// ------------------------------------------------------------------ control batches

Result<int16_t> control_record_type(std::optional<ByteSpan> key) {
  if (!key || key->size() < 4)
    return invalid(fmt::format("control record key of {} bytes is too short", key ? key->size() : 0));
  int16_t version = int16_t(load_be16(key->data()));
  if (version < 0) return invalid(fmt::format("control record key has invalid version {}", version));
  return int16_t(load_be16(key->data() + 2));
}

Result<EndTxnMarker> parse_end_txn_marker(const Record& record) {
  Result<int16_t> type = control_record_type(record.key);
  if (!type.ok()) return type.error();
  if (*type != int16_t(ControlType::kAbort) && *type != int16_t(ControlType::kCommit))
    return invalid(fmt::format("control record type {} is not an end-transaction marker", *type));
  if (!record.value || record.value->size() < 6)
    return invalid("end-transaction marker value is too short");
  int16_t version = int16_t(load_be16(record.value->data()));
  if (version < 0) return invalid(fmt::format("end-transaction marker has invalid version {}", version));
  return EndTxnMarker{ControlType(*type), int32_t(load_be32(record.value->data() + 2))};
}

Bytes make_control_batch(int64_t producer_id, int16_t producer_epoch, ControlType type, int32_t coordinator_epoch,
                         int64_t timestamp_ms, int64_t base_offset, int32_t partition_leader_epoch) {
  BatchOptions o;
  o.base_offset = base_offset;
  o.partition_leader_epoch = partition_leader_epoch;
  o.producer_id = producer_id;
  o.producer_epoch = producer_epoch;
  o.transactional = true;
  o.control = true;
  uint8_t key[4], value[6];
  store_be16(key, 0);  // key version
  store_be16(key + 2, uint16_t(type));
  store_be16(value, 0);  // value version
  store_be32(value + 2, uint32_t(coordinator_epoch));
  BatchBuilder b(o);
  b.add(ByteSpan(key), ByteSpan(value), timestamp_ms);
  Result<Bytes> built = b.build();
  assert(built.ok());  // one small uncompressed record cannot fail
  return std::move(built).value();
}

// ------------------------------------------------------------------ building

BatchBuilder::BatchBuilder(BatchOptions options) : options_(options) { buf_.resize(batch::kHeaderSize); }

void BatchBuilder::add(std::optional<ByteSpan> key, std::optional<ByteSpan> value, int64_t timestamp_ms,
                       std::span<const RecordHeader> headers) {
  constexpr size_t kMaxField = INT32_MAX;
  if (count_ == INT32_MAX || (key && key->size() > kMaxField) || (value && value->size() > kMaxField)) {
    too_large_ = true;
    return;
  }
  if (count_ == 0) base_timestamp_ = timestamp_ms;
  const int64_t ts_delta = int64_t(uint64_t(timestamp_ms) - uint64_t(base_timestamp_));
  size_t body = 1 + varlong_size(ts_delta) + varint_size(count_) + bytes_field_size(key) + bytes_field_size(value) +
                varint_size(int32_t(std::min<size_t>(headers.size(), kMaxField)));
  for (const RecordHeader& hd : headers) {
    if (hd.key.size() > kMaxField || (hd.value && hd.value->size() > kMaxField)) {
      too_large_ = true;
      return;
    }
    body += varint_size(int32_t(hd.key.size())) + hd.key.size() + bytes_field_size(hd.value);
  }
  if (body > kMaxField || headers.size() > kMaxField) {
    too_large_ = true;
    return;
  }
  size_t at = buf_.size();
  buf_.resize(at + varint_size(int32_t(body)) + body);
  uint8_t* p = buf_.data() + at;
  put_uvarint(p, zigzag32(int32_t(body)));
  *p++ = 0;  // record attributes: unused
  put_uvarint(p, zigzag64(ts_delta));
  put_uvarint(p, zigzag32(count_));
  put_bytes(p, key);
  put_bytes(p, value);
  put_uvarint(p, zigzag32(int32_t(headers.size())));
  for (const RecordHeader& hd : headers) {
    put_bytes(p, ByteSpan(reinterpret_cast<const uint8_t*>(hd.key.data()), hd.key.size()));
    put_bytes(p, hd.value);
  }
  assert(p == buf_.data() + buf_.size());
  if (count_ == 0 || timestamp_ms > max_timestamp_) max_timestamp_ = timestamp_ms;
  ++count_;
}

Result<Bytes> BatchBuilder::build() {
  if (count_ == 0) return invalid("a record batch needs at least one record");
  if (too_large_) return Error{ErrorCode::kMessageTooLarge, "a record or the batch exceeds Kafka's int32 limits"};
  Bytes out;
  if (options_.compression == Compression::kNone) {
    out = std::move(buf_);
  } else {
    ByteSpan records = ByteSpan(buf_).subspan(batch::kHeaderSize);
    out.reserve(batch::kHeaderSize + records.size() / 2 + 64);
    out.resize(batch::kHeaderSize);
    if (Status s = compress_append(options_.compression, records, out, options_.compression_level); !s)
      return s.error();
  }
  if (out.size() - batch::kLogOverhead > size_t(INT32_MAX))
    return Error{ErrorCode::kMessageTooLarge, fmt::format("record batch of {} bytes is too large", out.size())};
  const bool log_append = options_.timestamp_type == TimestampType::kLogAppendTime;
  write_header(out.data(), options_, out.size(), count_, base_timestamp_,
               log_append ? options_.log_append_time_ms : max_timestamp_);
  buf_.clear();
  buf_.resize(batch::kHeaderSize);
  count_ = 0;
  base_timestamp_ = max_timestamp_ = batch::kNoTimestamp;
  return out;
}

// ------------------------------------------------------------------ in-place rewrites

uint32_t compute_crc(ByteSpan b) {
  size_t size = size_t(BatchHeaderView(b.data()).size_bytes());
  assert(size >= batch::kHeaderSize && size <= b.size());
  return crc32c_extend(0, b.data() + batch::kCrcStart, size - batch::kCrcStart);
}

void update_crc(uint8_t* b, size_t size) {
  store_be32(b + batch::kCrc, crc32c_extend(0, b + batch::kCrcStart, size - batch::kCrcStart));
}

Status set_max_timestamp(uint8_t* b, size_t size, TimestampType type, int64_t max_timestamp_ms) {
  Result<ByteSpan> frame = batch_frame(ByteSpan(b, size));
  if (!frame.ok()) return frame.error();
  BatchHeaderView h(b);
  uint16_t attributes = h.attributes();
  uint16_t wanted = type == TimestampType::kLogAppendTime ? uint16_t(attributes | batch::kTimestampTypeBit)
                                                          : uint16_t(attributes & ~batch::kTimestampTypeBit);
  if (wanted == attributes && h.max_timestamp() == max_timestamp_ms) return {};
  store_be16(b + batch::kAttributes, wanted);
  store_be64(b + batch::kMaxTimestamp, uint64_t(max_timestamp_ms));
  update_crc(b, frame->size());
  return {};
}

Result<Bytes> recompress(ByteSpan buf, Compression target, size_t max_decompressed, int level) {
  Result<ByteSpan> frame = batch_frame(buf);
  if (!frame.ok()) return frame.error();
  BatchHeaderView h(frame->data());
  if (Status s = check_magic(h); !s) return s.error();
  if (Status s = check_compression(h); !s) return s.error();
  Result<Section> section = records_section(*frame, max_decompressed);
  if (!section.ok()) return section.error();
  Bytes out(frame->begin(), frame->begin() + batch::kHeaderSize);
  if (Status s = compress_append(target, section->bytes, out, level); !s) return s.error();
  if (out.size() - batch::kLogOverhead > size_t(INT32_MAX))
    return Error{ErrorCode::kMessageTooLarge, fmt::format("recompressed batch of {} bytes is too large", out.size())};
  uint16_t attributes = uint16_t((h.attributes() & ~batch::kCompressionMask) | uint16_t(target));
  store_be16(out.data() + batch::kAttributes, attributes);
  store_be32(out.data() + batch::kLength, uint32_t(out.size() - batch::kLogOverhead));
  update_crc(out.data(), out.size());
  return out;
}

}  // namespace moldau::protocol
