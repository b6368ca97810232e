#include "protocol/record_batch.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/crc32c.h"
#include "protocol/compression.h"

namespace moldau::protocol {
namespace {

constexpr size_t kMax = 1 << 20;  // decompression bound used by the tests
constexpr Compression kAllCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                      Compression::kLz4, Compression::kZstd};

ByteSpan span_of(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
std::string str(std::optional<ByteSpan> b) { return b ? std::string(b->begin(), b->end()) : "<null>"; }

// n records: key "k<i>", a 100-byte value, timestamps 1000 + i.
Bytes make_batch(int n, Compression c = Compression::kNone, BatchOptions o = {}) {
  o.compression = c;
  BatchBuilder b(o);
  for (int i = 0; i < n; ++i) {
    std::string key = "k" + std::to_string(i);
    std::string value(100, char('a' + i % 26));
    b.add(span_of(key), span_of(value), 1000 + i);
  }
  return b.build().value();
}

BatchHeaderView header(const Bytes& b) { return BatchHeaderView(b.data()); }
void fix_crc(Bytes& b) { update_crc(b.data(), b.size()); }

// A record written field by field, so tests can break any one of them.
struct RawRecord {
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  int32_t key_length = 1;
  std::string key = "k";
  int32_t value_length = 1;
  std::string value = "v";
  Bytes headers = {0};          // encoded header count + headers
  std::optional<int32_t> length;  // overrides the computed body length
  Bytes trailing;                 // extra bytes inside the body
};

Bytes encode(const RawRecord& r) {
  ByteWriter body;
  body.i8(0);
  body.varlong(r.timestamp_delta);
  body.varint(r.offset_delta);
  body.varint(r.key_length);
  body.raw(span_of(r.key));
  body.varint(r.value_length);
  body.raw(span_of(r.value));
  body.raw(r.headers);
  body.raw(r.trailing);
  ByteWriter rec;
  rec.varint(r.length.value_or(int32_t(body.size())));
  rec.raw(body.buffer());
  return rec.buffer();
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A batch with a valid header and CRC around an arbitrary records section.
Bytes with_records(ByteSpan records, int32_t count, Compression c = Compression::kNone,
                   std::optional<int32_t> last_offset_delta = std::nullopt) {
  Bytes b = make_batch(1);
  b.resize(batch::kHeaderSize);
  if (c == Compression::kNone) {
    b.insert(b.end(), records.begin(), records.end());
  } else {
    EXPECT_TRUE(compress_append(c, records, b).ok());
  }
  store_be16(b.data() + batch::kAttributes, uint16_t(c));
  store_be32(b.data() + batch::kLength, uint32_t(b.size() - batch::kLogOverhead));
  store_be32(b.data() + batch::kRecordsCount, uint32_t(count));
  store_be32(b.data() + batch::kLastOffsetDelta, uint32_t(last_offset_delta.value_or(count - 1)));
  fix_crc(b);
  return b;
}

Bytes records_of(std::initializer_list<RawRecord> recs) {
  Bytes out;
  int32_t i = 0;
  for (RawRecord r : recs) {
    Bytes e = encode(r);
    out.insert(out.end(), e.begin(), e.end());
    ++i;
  }
  return out;
}

RawRecord rec(int32_t offset_delta) {
  RawRecord r;
  r.offset_delta = offset_delta;
  return r;
}

void expect_code(const Status& s, ErrorCode code, std::string_view fragment = {}) {
  ASSERT_FALSE(s.ok()) << "expected " << error_name(code);
  EXPECT_EQ(s.error().code, code) << s.error().message;
  if (!fragment.empty()) {
    EXPECT_NE(s.error().message.find(fragment), std::string::npos) << s.error().message;
  }
}

// ============================================================ walker

TEST(BatchWalker, WalksConcatenatedBatchesToACleanEnd) {
  Bytes a = make_batch(1), b = make_batch(5, Compression::kLz4), c = make_batch(3);
  Bytes all = concat({a, b, c});
  BatchWalker w(all);
  std::vector<BatchSlice> seen;
  while (auto s = w.next()) seen.push_back(*s);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].position, 0u);
  EXPECT_EQ(seen[1].position, a.size());
  EXPECT_EQ(seen[2].position, a.size() + b.size());
  EXPECT_EQ(seen[1].bytes.size(), b.size());
  EXPECT_EQ(seen[1].header().records_count(), 5);
  EXPECT_EQ(w.end(), BatchWalker::End::kClean);
  EXPECT_TRUE(w.status().ok());
  EXPECT_EQ(w.valid_bytes(), all.size());
  EXPECT_EQ(w.batches(), 3u);
  EXPECT_FALSE(w.next());  // stays ended
}

TEST(BatchWalker, EmptyBufferIsClean) {
  BatchWalker w(ByteSpan{});
  EXPECT_FALSE(w.next());
  EXPECT_EQ(w.end(), BatchWalker::End::kClean);
}

TEST(BatchWalker, TruncatedTailStopsAfterTheLastWholeBatch) {
  Bytes a = make_batch(2), b = make_batch(4);
  Bytes all = concat({a, b});
  for (size_t cut : {size_t(1), size_t(11), size_t(12), size_t(60), b.size() - 1}) {
    BatchWalker w(ByteSpan(all.data(), a.size() + cut));
    ASSERT_TRUE(w.next());
    EXPECT_FALSE(w.next());
    EXPECT_EQ(w.end(), BatchWalker::End::kTruncated) << cut;
    EXPECT_EQ(w.valid_bytes(), a.size());
    expect_code(w.status(), ErrorCode::kCorruptMessage);
  }
}

TEST(BatchWalker, ZeroFilledOrNegativeLengthIsABadLength) {
  Bytes a = make_batch(2);
  Bytes zeros = concat({a, Bytes(4096, 0)});
  BatchWalker w(zeros);
  ASSERT_TRUE(w.next());
  EXPECT_FALSE(w.next());
  EXPECT_EQ(w.end(), BatchWalker::End::kBadLength);
  EXPECT_EQ(w.valid_bytes(), a.size());

  Bytes neg = a;
  store_be32(neg.data() + batch::kLength, uint32_t(-5));
  BatchWalker w2(neg);
  EXPECT_FALSE(w2.next());
  EXPECT_EQ(w2.end(), BatchWalker::End::kBadLength);
  expect_code(w2.status(), ErrorCode::kCorruptMessage, "-5");
}

// ============================================================ header validation

TEST(ValidateBatchHeader, BuiltBatchesAreValidForEveryCodecAndSource) {
  for (Compression c : kAllCodecs) {
    Bytes b = make_batch(10, c);
    EXPECT_TRUE(validate_batch_header(b).ok()) << compression_name(c);
    EXPECT_TRUE(validate_batch_header(b, BatchSource::kLog).ok()) << compression_name(c);
    EXPECT_EQ(header(b).compression(), c);
  }
}

TEST(ValidateBatchHeader, ValidatesOnlyTheFirstBatchOfALongerBuffer) {
  Bytes b = concat({make_batch(2), Bytes{1, 2, 3}});
  EXPECT_TRUE(validate_batch_header(b).ok());
}

TEST(ValidateBatchHeader, BaseOffsetAndLeaderEpochAreOutsideTheCrc) {
  Bytes b = make_batch(3);
  set_base_offset(b.data(), 123456789);
  set_partition_leader_epoch(b.data(), 42);
  EXPECT_TRUE(validate_batch_header(b).ok());
  EXPECT_EQ(header(b).base_offset(), 123456789);
  EXPECT_EQ(header(b).last_offset(), 123456791);
  EXPECT_EQ(header(b).partition_leader_epoch(), 42);
}

TEST(ValidateBatchHeader, BadCrcIsCorrupt) {
  Bytes b = make_batch(3);
  b[b.size() - 1] ^= 0x01;  // a record byte
  expect_code(validate_batch_header(b), ErrorCode::kCorruptMessage, "CRC");
  Bytes c = make_batch(3);
  c[batch::kCrc] ^= 0x80;  // the stored CRC itself
  expect_code(validate_batch_header(c), ErrorCode::kCorruptMessage, "CRC");
  Bytes d = make_batch(3);
  d[batch::kMaxTimestamp] ^= 0x01;  // a header field inside the CRC
  expect_code(validate_batch_header(d), ErrorCode::kCorruptMessage, "CRC");
}

TEST(ValidateBatchHeader, MagicOtherThanTwo) {
  Bytes b = make_batch(1);
  b[batch::kMagic] = 3;
  expect_code(validate_batch_header(b), ErrorCode::kCorruptMessage, "magic");
  b[batch::kMagic] = 0xff;
  expect_code(validate_batch_header(b), ErrorCode::kCorruptMessage, "magic");
  b[batch::kMagic] = 1;  // a legacy message set
  expect_code(validate_batch_header(b), ErrorCode::kInvalidRecord, "legacy");
}

TEST(ValidateBatchHeader, LengthProblemsAreCorrupt) {
  Bytes b = make_batch(2);
  expect_code(validate_batch_header(ByteSpan(b.data(), 11)), ErrorCode::kCorruptMessage, "too short");
  expect_code(validate_batch_header(ByteSpan(b.data(), b.size() - 1)), ErrorCode::kCorruptMessage, "past");
  Bytes neg = b;
  store_be32(neg.data() + batch::kLength, 0x80000000u);
  expect_code(validate_batch_header(neg), ErrorCode::kCorruptMessage, "less than the minimum");
  Bytes small = b;
  store_be32(small.data() + batch::kLength, uint32_t(batch::kMinLength - 1));
  expect_code(validate_batch_header(small), ErrorCode::kCorruptMessage, "less than the minimum");
  Bytes huge = b;
  store_be32(huge.data() + batch::kLength, 0x7fffffffu);
  expect_code(validate_batch_header(huge), ErrorCode::kCorruptMessage, "past");
}

TEST(ValidateBatchHeader, RecordsCountMustMatchLastOffsetDelta) {
  Bytes b = make_batch(5);
  store_be32(b.data() + batch::kLastOffsetDelta, 3);
  fix_crc(b);
  expect_code(validate_batch_header(b), ErrorCode::kInvalidRecord, "last offset delta");
  // A log batch may have lost records to compaction: a larger delta is fine.
  Bytes log = make_batch(5);
  store_be32(log.data() + batch::kLastOffsetDelta, 9);
  fix_crc(log);
  expect_code(validate_batch_header(log), ErrorCode::kInvalidRecord);
  EXPECT_TRUE(validate_batch_header(log, BatchSource::kLog).ok());
  store_be32(log.data() + batch::kLastOffsetDelta, 3);  // but not a smaller one
  fix_crc(log);
  expect_code(validate_batch_header(log, BatchSource::kLog), ErrorCode::kInvalidRecord);
}

TEST(ValidateBatchHeader, NegativeOrOversizedRecordsCount) {
  Bytes b = make_batch(2);
  store_be32(b.data() + batch::kRecordsCount, uint32_t(-1));
  fix_crc(b);
  expect_code(validate_batch_header(b), ErrorCode::kInvalidRecord, "negative");
  expect_code(validate_batch_header(b, BatchSource::kLog), ErrorCode::kInvalidRecord, "negative");
  Bytes many = make_batch(2);
  store_be32(many.data() + batch::kRecordsCount, 100000);
  store_be32(many.data() + batch::kLastOffsetDelta, 99999);
  fix_crc(many);
  expect_code(validate_batch_header(many), ErrorCode::kInvalidRecord, "hold at most");
}

TEST(ValidateBatchHeader, EmptyBatchesOnlyInTheLog) {
  Bytes b = with_records({}, 0, Compression::kNone, 4);  // what compaction leaves
  expect_code(validate_batch_header(b), ErrorCode::kInvalidRecord, "no records");
  EXPECT_TRUE(validate_batch_header(b, BatchSource::kLog).ok());
  RecordsSummary s;
  EXPECT_TRUE(validate_records(b, kMax, {.source = BatchSource::kLog}, &s).ok());
  EXPECT_EQ(s.records, 0);
  EXPECT_EQ(s.max_timestamp, batch::kNoTimestamp);
}

TEST(ValidateBatchHeader, UnknownCompressionType) {
  Bytes b = make_batch(1);
  store_be16(b.data() + batch::kAttributes, 5);
  fix_crc(b);
  expect_code(validate_batch_header(b), ErrorCode::kUnsupportedCompressionType);
  expect_code(validate_records(b, kMax), ErrorCode::kUnsupportedCompressionType);
}

TEST(ValidateBatchHeader, ProducerRules) {
  BatchOptions idempotent;
  idempotent.producer_id = 7;
  idempotent.producer_epoch = 0;
  idempotent.base_sequence = 0;
  EXPECT_TRUE(validate_batch_header(make_batch(2, Compression::kNone, idempotent)).ok());

  BatchOptions no_seq = idempotent;
  no_seq.base_sequence = -1;
  expect_code(validate_batch_header(make_batch(2, Compression::kNone, no_seq)), ErrorCode::kInvalidRecord, "sequence");

  BatchOptions txn_no_pid;
  txn_no_pid.transactional = true;
  expect_code(validate_batch_header(make_batch(2, Compression::kNone, txn_no_pid)), ErrorCode::kInvalidRecord,
              "producer id");

  Bytes control = make_control_batch(7, 0, ControlType::kCommit, 3, 5000);
  expect_code(validate_batch_header(control), ErrorCode::kInvalidRecord, "control");
  EXPECT_TRUE(validate_batch_header(control, BatchSource::kLog).ok());
}

TEST(ValidateBatchHeader, LogBatchesNeedAValidBaseOffset) {
  Bytes b = make_batch(2);
  set_base_offset(b.data(), -1);
  EXPECT_TRUE(validate_batch_header(b).ok());  // the broker assigns it on produce
  expect_code(validate_batch_header(b, BatchSource::kLog), ErrorCode::kCorruptMessage, "base offset");
  set_base_offset(b.data(), INT64_MAX);
  expect_code(validate_batch_header(b, BatchSource::kLog), ErrorCode::kCorruptMessage, "overflow");
}

// ============================================================ record validation

TEST(ValidateRecords, SummaryOfAValidBatchForEveryCodec) {
  for (Compression c : kAllCodecs) {
    BatchBuilder b(BatchOptions{.compression = c});
    b.add(span_of("a"), span_of("1"), 500);
    b.add(span_of("b"), std::nullopt, 900);  // a tombstone
    b.add(std::nullopt, span_of("3"), 700);
    Bytes batch = b.build().value();
    RecordsSummary s;
    ASSERT_TRUE(validate_records(batch, kMax, {}, &s).ok()) << compression_name(c);
    EXPECT_EQ(s.records, 3);
    EXPECT_EQ(s.max_timestamp, 900);
    EXPECT_EQ(s.max_timestamp_offset_delta, 1);
    EXPECT_TRUE(s.record_errors.empty());
    EXPECT_GT(s.uncompressed_bytes, 0u);
  }
}

TEST(ValidateRecords, TruncatedRecord) {
  Bytes recs = records_of({rec(0), rec(1), rec(2)});
  recs.resize(recs.size() - 3);
  Bytes b = with_records(recs, 3);
  RecordsSummary s;
  expect_code(validate_records(b, kMax, {}, &s), ErrorCode::kInvalidRecord, "record 2");
  ASSERT_EQ(s.record_errors.size(), 1u);
  EXPECT_EQ(s.record_errors[0].batch_index, 2);
}

TEST(ValidateRecords, FewerRecordsThanDeclared) {
  RawRecord r0 = rec(0), r1 = rec(1);
  r0.value = r1.value = std::string(30, 'v');  // room for 3 minimal records
  r0.value_length = r1.value_length = 30;
  Bytes b = with_records(records_of({r0, r1}), 3);
  expect_code(validate_records(b, kMax), ErrorCode::kInvalidRecord, "holds only 2");
}

TEST(ValidateRecords, BytesLeftAfterTheLastRecord) {
  Bytes recs = concat({records_of({rec(0), rec(1)}), records_of({rec(2)})});
  Bytes b = with_records(recs, 2);
  expect_code(validate_records(b, kMax), ErrorCode::kInvalidRecord, "remain after");
}

TEST(ValidateRecords, OverlongVarints) {
  // Record length as a 6-byte varint.
  Bytes length6 = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  Bytes b = with_records(concat({length6, Bytes(20, 0)}), 1);
  RecordsSummary s;
  expect_code(validate_records(b, kMax, {}, &s), ErrorCode::kInvalidRecord, "longer than its type allows");
  EXPECT_EQ(s.record_errors.at(0).batch_index, 0);
  // A 5-byte varint whose last byte has bits past 32.
  Bytes length5 = {0x80, 0x80, 0x80, 0x80, 0x10};
  expect_code(validate_records(with_records(concat({length5, Bytes(20, 0)}), 1), kMax), ErrorCode::kInvalidRecord,
              "longer than its type allows");
  // An 11-byte timestamp delta varlong inside an otherwise sound record.
  Bytes body = {0x00};
  for (int i = 0; i < 10; ++i) body.push_back(0xff);
  body.insert(body.end(), {0x01, 0x00, 0x01, 0x01, 0x00});
  ByteWriter w;
  w.varint(int32_t(body.size()));
  w.raw(body);
  expect_code(validate_records(with_records(w.buffer(), 1), kMax), ErrorCode::kInvalidRecord, "timestamp delta");
}

TEST(ValidateRecords, OffsetDeltaGapsAndOrder) {
  Bytes gap = with_records(records_of({rec(0), rec(2)}), 2);
  RecordsSummary s;
  expect_code(validate_records(gap, kMax, {}, &s), ErrorCode::kInvalidRecord, "offset delta 2 where 1");
  EXPECT_EQ(s.record_errors.at(0).batch_index, 1);
  // As a compacted log batch with LastOffsetDelta 2, the gap is fine...
  Bytes compacted = with_records(records_of({rec(0), rec(2)}), 2, Compression::kNone, 2);
  EXPECT_TRUE(validate_records(compacted, kMax, {.source = BatchSource::kLog}).ok());
  // ...but deltas must still increase and stay within LastOffsetDelta.
  Bytes backwards = with_records(records_of({rec(1), rec(0)}), 2, Compression::kNone, 2);
  expect_code(validate_records(backwards, kMax, {.source = BatchSource::kLog}), ErrorCode::kInvalidRecord);
  Bytes beyond = with_records(records_of({rec(0), rec(5)}), 2, Compression::kNone, 2);
  expect_code(validate_records(beyond, kMax, {.source = BatchSource::kLog}), ErrorCode::kInvalidRecord);
}

TEST(ValidateRecords, HeaderCountTooLarge) {
  RawRecord r = rec(0);
  ByteWriter h;
  h.varint(1000000);
  r.headers = h.buffer();
  expect_code(validate_records(with_records(records_of({r}), 1), kMax), ErrorCode::kInvalidRecord,
              "header count 1000000");
}

TEST(ValidateRecords, MalformedHeaders) {
  auto with_headers = [](Bytes headers) {
    RawRecord r = rec(0);
    r.headers = std::move(headers);
    return with_records(records_of({r}), 1);
  };
  ByteWriter negative;
  negative.varint(-1);
  expect_code(validate_records(with_headers(negative.buffer()), kMax), ErrorCode::kInvalidRecord, "negative");
  ByteWriter null_key;  // one header with a null key
  null_key.varint(1);
  null_key.varint(-1);
  null_key.varint(-1);
  expect_code(validate_records(with_headers(null_key.buffer()), kMax), ErrorCode::kInvalidRecord, "null");
  ByteWriter long_key;  // a key longer than the record
  long_key.varint(1);
  long_key.varint(50);
  long_key.varint(-1);
  expect_code(validate_records(with_headers(long_key.buffer()), kMax), ErrorCode::kInvalidRecord, "header key");
  ByteWriter good;  // and one that is fine: key "h", null value
  good.varint(1);
  good.varint(1);
  good.raw(span_of("h"));
  good.varint(-1);
  EXPECT_TRUE(validate_records(with_headers(good.buffer()), kMax).ok());
}

TEST(ValidateRecords, MalformedKeyValueAndLength) {
  RawRecord neg_key = rec(0);
  neg_key.key_length = -2;
  neg_key.key = "";
  expect_code(validate_records(with_records(records_of({neg_key}), 1), kMax), ErrorCode::kInvalidRecord,
              "key length -2");
  RawRecord long_value = rec(0);
  long_value.value_length = 40;
  expect_code(validate_records(with_records(records_of({long_value}), 1), kMax), ErrorCode::kInvalidRecord,
              "value length 40");
  RawRecord leftover = rec(0);
  leftover.trailing = {1, 2, 3};
  expect_code(validate_records(with_records(records_of({leftover}), 1), kMax), ErrorCode::kInvalidRecord,
              "unread");
  RawRecord too_small = rec(0);
  too_small.length = 3;
  expect_code(validate_records(with_records(records_of({too_small}), 1), kMax), ErrorCode::kInvalidRecord,
              "less than the minimum");
  RawRecord too_long = rec(0);
  too_long.length = 500;
  expect_code(validate_records(with_records(records_of({too_long}), 1), kMax), ErrorCode::kInvalidRecord,
              "runs past");
}

TEST(ValidateRecords, CompressedGarbage) {
  // Decompresses fine, but to bytes that are not records.
  Bytes garbage(300, 0xff);
  Bytes b = with_records(garbage, 2, Compression::kZstd);
  EXPECT_TRUE(validate_batch_header(b).ok());
  expect_code(validate_records(b, kMax), ErrorCode::kInvalidRecord);
  // Does not decompress at all.
  Bytes bad = make_batch(5, Compression::kLz4);
  for (size_t i = batch::kHeaderSize + 8; i < bad.size(); ++i) bad[i] ^= 0x5a;
  fix_crc(bad);
  EXPECT_TRUE(validate_batch_header(bad).ok());
  expect_code(validate_records(bad, kMax), ErrorCode::kCorruptMessage, "lz4");
}

TEST(ValidateRecords, DecompressionBomb) {
  Bytes zeros(64 << 20, 0);
  for (Compression c : {Compression::kGzip, Compression::kSnappy, Compression::kLz4, Compression::kZstd}) {
    Bytes b = with_records(zeros, 1, c);
    ASSERT_LT(b.size(), size_t(4 << 20));
    expect_code(validate_records(b, kMax), ErrorCode::kCorruptMessage, "limit");
    EXPECT_FALSE(decode_records(b, kMax).ok());
    EXPECT_FALSE(recompress(b, Compression::kNone, kMax).ok());
  }
}

TEST(ValidateRecords, CompactedTopicsNeedKeys) {
  BatchBuilder b;
  b.add(span_of("a"), span_of("1"), 1);
  b.add(std::nullopt, span_of("2"), 1);
  b.add(span_of("c"), std::nullopt, 1);
  b.add(std::nullopt, std::nullopt, 1);
  Bytes batch = b.build().value();
  EXPECT_TRUE(validate_records(batch, kMax).ok());
  RecordsSummary s;
  expect_code(validate_records(batch, kMax, {.require_key = true}, &s), ErrorCode::kInvalidRecord, "2 of 4");
  ASSERT_EQ(s.record_errors.size(), 2u);
  EXPECT_EQ(s.record_errors[0].batch_index, 1);
  EXPECT_EQ(s.record_errors[1].batch_index, 3);
  EXPECT_NE(s.record_errors[0].message.find("key"), std::string::npos);
}

TEST(ValidateRecords, TimestampsOutOfRange) {
  const int64_t now = 1'700'000'000'000;
  BatchBuilder b;
  b.add(span_of("a"), span_of("1"), now - 10'000);  // too old for a 5 s bound
  b.add(span_of("b"), span_of("2"), now);
  b.add(span_of("c"), span_of("3"), now + 60'000);  // too far ahead
  b.add(span_of("d"), span_of("4"), -1);            // no timestamp: not checked
  Bytes batch = b.build().value();
  RecordChecks checks{.now_ms = now, .timestamp_before_max_ms = 5'000, .timestamp_after_max_ms = 5'000};
  RecordsSummary s;
  expect_code(validate_records(batch, kMax, checks, &s), ErrorCode::kInvalidTimestamp, "out of range");
  ASSERT_EQ(s.record_errors.size(), 2u);
  EXPECT_EQ(s.record_errors[0].batch_index, 0);
  EXPECT_EQ(s.record_errors[1].batch_index, 2);
  RecordChecks wide{.now_ms = now, .timestamp_before_max_ms = 3'600'000, .timestamp_after_max_ms = 3'600'000};
  EXPECT_TRUE(validate_records(batch, kMax, wide).ok());
}

TEST(ValidateRecords, RecordErrorsAreCapped) {
  BatchBuilder b;
  for (int i = 0; i < 1000; ++i) b.add(std::nullopt, span_of("v"), 1);
  Bytes batch = b.build().value();
  RecordsSummary s;
  expect_code(validate_records(batch, kMax, {.require_key = true}, &s), ErrorCode::kInvalidRecord, "1000 of 1000");
  EXPECT_EQ(s.record_errors.size(), batch::kMaxRecordErrors);
}

TEST(ValidateRecords, BrokenFrameIsCorruptEvenWithoutHeaderValidation) {
  Bytes b = make_batch(3);
  expect_code(validate_records(ByteSpan(b.data(), b.size() - 1), kMax), ErrorCode::kCorruptMessage);
  expect_code(validate_records(ByteSpan(b.data(), 5), kMax), ErrorCode::kCorruptMessage);
}

// ============================================================ builder and decoding

TEST(BatchBuilder, EncodesARecordExactlyAsTheFormatSays) {
  BatchBuilder b;
  b.add(std::nullopt, span_of("v"), 1234);
  Bytes batch = b.build().value();
  // Length 7 (zig-zag 0x0e), attributes 0, timestamp delta 0, offset delta 0,
  // key null (-1 -> 0x01), value length 1 (0x02) "v", no headers.
  Bytes expected = {0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00};
  ASSERT_EQ(batch.size(), batch::kHeaderSize + expected.size());
  EXPECT_EQ(Bytes(batch.begin() + batch::kHeaderSize, batch.end()), expected);
  EXPECT_EQ(header(batch).length(), int32_t(batch.size() - 12));
  EXPECT_EQ(header(batch).magic(), 2);
  EXPECT_EQ(header(batch).crc(), crc32c(ByteSpan(batch).subspan(batch::kCrcStart)));
  EXPECT_EQ(header(batch).base_timestamp(), 1234);
  EXPECT_EQ(header(batch).max_timestamp(), 1234);
  EXPECT_EQ(header(batch).producer_id(), -1);
  EXPECT_EQ(header(batch).producer_epoch(), -1);
  EXPECT_EQ(header(batch).base_sequence(), -1);
  EXPECT_EQ(header(batch).partition_leader_epoch(), -1);
  EXPECT_EQ(header(batch).attributes(), 0);
}

TEST(BatchBuilder, HeaderFieldsFromOptions) {
  BatchOptions o;
  o.compression = Compression::kSnappy;
  o.base_offset = 1000;
  o.partition_leader_epoch = 7;
  o.producer_id = 99;
  o.producer_epoch = 3;
  o.base_sequence = 50;
  o.transactional = true;
  BatchBuilder b(o);
  b.add(span_of("x"), span_of("1"), 300);
  b.add(span_of("y"), span_of("2"), 100);  // timestamps need not increase
  b.add(span_of("z"), span_of("3"), 200);
  Bytes batch = b.build().value();
  BatchHeaderView h = header(batch);
  EXPECT_EQ(h.base_offset(), 1000);
  EXPECT_EQ(h.last_offset_delta(), 2);
  EXPECT_EQ(h.last_offset(), 1002);
  EXPECT_EQ(h.partition_leader_epoch(), 7);
  EXPECT_EQ(h.producer_id(), 99);
  EXPECT_EQ(h.producer_epoch(), 3);
  EXPECT_EQ(h.base_sequence(), 50);
  EXPECT_TRUE(h.transactional());
  EXPECT_FALSE(h.control());
  EXPECT_EQ(h.compression(), Compression::kSnappy);
  EXPECT_EQ(h.base_timestamp(), 300);
  EXPECT_EQ(h.max_timestamp(), 300);
  EXPECT_EQ(h.records_count(), 3);
  EXPECT_TRUE(validate_batch_header(batch).ok());
  EXPECT_TRUE(validate_records(batch, kMax).ok());
}

TEST(BatchBuilder, EmptyFailsAndTheBuilderIsReusable) {
  BatchBuilder b;
  b.reserve(4096);
  EXPECT_EQ(b.size_bytes(), batch::kHeaderSize);
  EXPECT_FALSE(b.build().ok());
  b.add(span_of("a"), span_of("1"), 1);
  EXPECT_EQ(b.record_count(), 1);
  Bytes first = b.build().value();
  EXPECT_TRUE(b.empty());
  b.add(span_of("b"), span_of("2"), 2);
  Bytes second = b.build().value();
  auto r = decode_records(second, kMax).value();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(str(r[0].key), "b");
  EXPECT_EQ(r[0].offset, 0);
}

class RoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(RoundTrip, BuildValidateDecode) {
  BatchOptions o;
  o.compression = GetParam();
  o.base_offset = 500;
  BatchBuilder b(o);
  const std::string big(70000, 'q');
  RecordHeader hs[] = {{"trace", span_of("abc")}, {"empty", ByteSpan{}}, {"nullv", std::nullopt}};
  b.add(span_of("key-0"), span_of("value-0"), 10'000, hs);
  b.add(std::nullopt, span_of(big), 10'005);
  b.add(span_of(""), std::nullopt, 9'999);
  for (int i = 3; i < 200; ++i) b.add(span_of("k" + std::to_string(i)), span_of(std::to_string(i * i)), 10'000 + i);
  Bytes batch = b.build().value();
  ASSERT_TRUE(validate_batch_header(batch).ok());
  RecordsSummary s;
  ASSERT_TRUE(validate_records(batch, kMax, {}, &s).ok());
  EXPECT_EQ(s.records, 200);
  EXPECT_EQ(s.max_timestamp, 10'199);

  auto decoded = decode_records(batch, kMax);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const std::vector<Record>& r = *decoded;
  ASSERT_EQ(r.size(), 200u);
  EXPECT_EQ(r[0].offset, 500);
  EXPECT_EQ(r[0].timestamp, 10'000);
  EXPECT_EQ(str(r[0].key), "key-0");
  EXPECT_EQ(str(r[0].value), "value-0");
  ASSERT_EQ(r[0].headers.size(), 3u);
  EXPECT_EQ(r[0].headers[0].key, "trace");
  EXPECT_EQ(str(r[0].headers[0].value), "abc");
  EXPECT_EQ(str(r[0].headers[1].value), "");
  EXPECT_FALSE(r[0].headers[2].value);
  EXPECT_FALSE(r[1].key);
  EXPECT_EQ(str(r[1].value), big);
  EXPECT_EQ(r[1].timestamp, 10'005);
  EXPECT_EQ(str(r[2].key), "");
  EXPECT_FALSE(r[2].value);
  EXPECT_EQ(r[2].timestamp, 9'999);
  EXPECT_EQ(r[199].offset, 699);
  EXPECT_EQ(str(r[199].value), std::to_string(199 * 199));
  EXPECT_EQ(r[0].storage != nullptr, GetParam() != Compression::kNone);
}

// Uncompressed records are views of the batch; compressed ones share the
// decompressed section, which they keep alive.
TEST(DecodeRecords, RecordsOfACompressedBatchOutliveIt) {
  for (Compression c : {Compression::kGzip, Compression::kSnappy, Compression::kLz4, Compression::kZstd}) {
    std::vector<Record> records;
    {
      Bytes batch = make_batch(20, c);
      records = decode_records(batch, kMax).value();
    }
    ASSERT_EQ(records.size(), 20u);
    EXPECT_EQ(str(records[19].key), "k19");
    EXPECT_EQ(str(records[19].value), std::string(100, char('a' + 19)));
  }
}

TEST_P(RoundTrip, RecompressToEveryCodec) {
  BatchOptions o;
  o.compression = GetParam();
  o.base_offset = 77;
  o.producer_id = 5;
  o.producer_epoch = 1;
  o.base_sequence = 10;
  Bytes original = make_batch(50, GetParam(), o);
  auto before = decode_records(original, kMax).value();
  for (Compression target : kAllCodecs) {
    Result<Bytes> re = recompress(original, target, kMax);
    ASSERT_TRUE(re.ok()) << re.error().message;
    BatchHeaderView h = header(*re);
    EXPECT_EQ(h.compression(), target);
    EXPECT_EQ(h.base_offset(), 77);
    EXPECT_EQ(h.producer_id(), 5);
    EXPECT_EQ(h.base_sequence(), 10);
    EXPECT_EQ(h.records_count(), 50);
    EXPECT_EQ(h.max_timestamp(), header(original).max_timestamp());
    ASSERT_TRUE(validate_batch_header(*re).ok()) << compression_name(target);
    ASSERT_TRUE(validate_records(*re, kMax).ok()) << compression_name(target);
    auto after = decode_records(*re, kMax).value();
    ASSERT_EQ(after.size(), before.size());
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(after[i].offset, before[i].offset);
      EXPECT_EQ(after[i].timestamp, before[i].timestamp);
      EXPECT_EQ(str(after[i].value), str(before[i].value));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, RoundTrip, ::testing::ValuesIn(kAllCodecs),
                         [](const auto& info) { return std::string(compression_name(info.param)); });

TEST(DecodeRecords, ChecksTheCrcAndStructure) {
  Bytes b = make_batch(3);
  b[b.size() - 2] ^= 1;
  EXPECT_EQ(decode_records(b, kMax).error().code, ErrorCode::kCorruptMessage);
  Bytes gap = with_records(records_of({rec(0), rec(0)}), 2);
  EXPECT_EQ(decode_records(gap, kMax).error().code, ErrorCode::kInvalidRecord);
}

TEST(DecodeRecords, LogAppendTimeRecordsCarryTheBatchTimestamp) {
  BatchOptions o;
  o.timestamp_type = TimestampType::kLogAppendTime;
  o.log_append_time_ms = 99'000;
  Bytes b = make_batch(3, Compression::kNone, o);
  EXPECT_TRUE(header(b).log_append_time());
  EXPECT_EQ(header(b).max_timestamp(), 99'000);
  std::vector<Record> records = decode_records(b, kMax).value();
  ASSERT_EQ(records.size(), 3u);
  for (const Record& r : records) EXPECT_EQ(r.timestamp, 99'000);
}

// ============================================================ control batches

TEST(ControlBatch, CommitAndAbortMarkers) {
  for (ControlType type : {ControlType::kCommit, ControlType::kAbort}) {
    Bytes b = make_control_batch(4242, 7, type, 13, 1'000'000, 900, 5);
    BatchHeaderView h = header(b);
    EXPECT_TRUE(h.control());
    EXPECT_TRUE(h.transactional());
    EXPECT_EQ(h.producer_id(), 4242);
    EXPECT_EQ(h.producer_epoch(), 7);
    EXPECT_EQ(h.base_sequence(), -1);
    EXPECT_EQ(h.base_offset(), 900);
    EXPECT_EQ(h.partition_leader_epoch(), 5);
    EXPECT_EQ(h.records_count(), 1);
    EXPECT_EQ(h.compression(), Compression::kNone);
    ASSERT_TRUE(validate_batch_header(b, BatchSource::kLog).ok());
    auto records = decode_records(b, kMax).value();
    ASSERT_EQ(records.size(), 1u);
    // Key: version 0, type; value: version 0, coordinator epoch.
    Bytes key(records[0].key->begin(), records[0].key->end());
    EXPECT_EQ(key, (Bytes{0, 0, 0, uint8_t(type)}));
    Bytes value(records[0].value->begin(), records[0].value->end());
    EXPECT_EQ(value, (Bytes{0, 0, 0, 0, 0, 13}));
    EXPECT_EQ(records[0].timestamp, 1'000'000);
    EndTxnMarker m = parse_end_txn_marker(records[0]).value();
    EXPECT_EQ(m.type, type);
    EXPECT_EQ(m.coordinator_epoch, 13);
  }
}

TEST(ControlBatch, MalformedControlRecords) {
  EXPECT_FALSE(control_record_type(std::nullopt).ok());
  Bytes short_key = {0, 0, 1};
  EXPECT_EQ(control_record_type(ByteSpan(short_key)).error().code, ErrorCode::kInvalidRecord);
  Bytes negative_version = {0xff, 0xff, 0, 1};
  EXPECT_FALSE(control_record_type(ByteSpan(negative_version)).ok());
  Bytes leader_change = {0, 0, 0, 2};
  EXPECT_EQ(control_record_type(ByteSpan(leader_change)).value(), 2);
  Record r;
  r.key = ByteSpan(leader_change);
  EXPECT_FALSE(parse_end_txn_marker(r).ok());
  Bytes commit = {0, 0, 0, 1}, short_value = {0, 0, 0};
  r.key = ByteSpan(commit);
  r.value = ByteSpan(short_value);
  EXPECT_FALSE(parse_end_txn_marker(r).ok());
}

// ============================================================ in-place rewrites

TEST(StampLogAppendTime, SetsTheTypeAndMaxTimestampAndKeepsTheCrcValid) {
  for (Compression c : kAllCodecs) {
    Bytes b = make_batch(4, c);
    ASSERT_FALSE(header(b).log_append_time());
    ASSERT_TRUE(stamp_log_append_time(b.data(), b.size(), 77'777).ok());
    EXPECT_TRUE(header(b).log_append_time());
    EXPECT_EQ(header(b).max_timestamp(), 77'777);
    EXPECT_EQ(header(b).compression(), c);
    EXPECT_TRUE(validate_batch_header(b).ok()) << compression_name(c);
    std::vector<Record> records = decode_records(b, kMax).value();
    ASSERT_EQ(records.size(), 4u);
    for (const Record& r : records) EXPECT_EQ(r.timestamp, 77'777);
    // And back to CreateTime with the records' own maximum.
    ASSERT_TRUE(set_max_timestamp(b.data(), b.size(), TimestampType::kCreateTime, 1003).ok());
    EXPECT_FALSE(header(b).log_append_time());
    EXPECT_TRUE(validate_batch_header(b).ok());
    EXPECT_EQ(decode_records(b, kMax).value()[3].timestamp, 1003);
  }
}

TEST(StampLogAppendTime, UnchangedBatchIsLeftAlone) {
  Bytes b = make_batch(2);
  ASSERT_TRUE(stamp_log_append_time(b.data(), b.size(), 5).ok());
  Bytes stamped = b;
  // Break the CRC: a second identical stamp must not touch (or repair) it.
  b[batch::kCrc] ^= 1;
  ASSERT_TRUE(stamp_log_append_time(b.data(), b.size(), 5).ok());
  EXPECT_NE(b, stamped);
}

TEST(StampLogAppendTime, RefusesABufferShorterThanTheBatch) {
  Bytes b = make_batch(2);
  expect_code(stamp_log_append_time(b.data(), b.size() - 1, 5), ErrorCode::kCorruptMessage);
  expect_code(stamp_log_append_time(b.data(), 20, 5), ErrorCode::kCorruptMessage);
}

TEST(Recompress, RefusesBrokenInput) {
  Bytes b = make_batch(3, Compression::kGzip);
  b[b.size() - 3] ^= 0xff;
  EXPECT_FALSE(recompress(b, Compression::kLz4, kMax).ok());
  Bytes legacy = make_batch(1);
  legacy[batch::kMagic] = 1;
  EXPECT_FALSE(recompress(legacy, Compression::kLz4, kMax).ok());
}

// ============================================================ robustness

// Random damage to valid batches never crashes, never reads out of bounds
// (run under MOLDAU_SANITIZE to check), and never makes decode succeed with
// records that validation would reject.
TEST(Robustness, MutatedBatchesFailCleanly) {
  std::mt19937 rng(12345);
  std::vector<Bytes> seeds;
  for (Compression c : kAllCodecs) seeds.push_back(make_batch(int(1 + rng() % 20), c));
  seeds.push_back(make_control_batch(1, 0, ControlType::kAbort, 0, 0));
  for (int round = 0; round < 3000; ++round) {
    Bytes b = seeds[rng() % seeds.size()];
    int flips = 1 + int(rng() % 4);
    for (int i = 0; i < flips; ++i) b[rng() % b.size()] ^= uint8_t(1 + rng() % 255);
    if (rng() % 2) fix_crc(b);  // reach the record checks past the CRC
    if (rng() % 8 == 0) b.resize(rng() % b.size());
    BatchWalker w(b);
    while (auto s = w.next()) {
      (void)validate_batch_header(s->bytes);
      Status records = validate_records(s->bytes, 1 << 16, {.source = BatchSource::kLog});
      Result<std::vector<Record>> d = decode_records(s->bytes, 1 << 16);
      if (d.ok() && validate_batch_header(s->bytes, BatchSource::kLog).ok()) {
        EXPECT_TRUE(records.ok());
      }
    }
  }
}

}  // namespace
}  // namespace moldau::protocol
