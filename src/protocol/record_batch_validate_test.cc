// Record batches: walking, header validation (KIP-467) and record validation.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/crc32c.h"
#include "protocol/compression.h"
#include "protocol/record_batch.h"
#include "protocol/record_batch_test_util.h"

namespace moldau::protocol {
namespace {

using namespace batch_test;  // NOLINT: the tests' shared helpers

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
  // One record, changed by `edit`, must be refused as INVALID_RECORD naming `fragment`.
  auto refused = [](void (*edit)(RawRecord&), std::string_view fragment) {
    RawRecord r = rec(0);
    edit(r);
    expect_code(validate_records(with_records(records_of({r}), 1), kMax), ErrorCode::kInvalidRecord, fragment);
  };
  refused([](RawRecord& r) { r.key_length = -2; r.key = ""; }, "key length -2");
  refused([](RawRecord& r) { r.value_length = 40; }, "value length 40");
  refused([](RawRecord& r) { r.trailing = {1, 2, 3}; }, "unread");
  refused([](RawRecord& r) { r.length = 3; }, "less than the minimum");
  refused([](RawRecord& r) { r.length = 500; }, "runs past");
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

}  // namespace
}  // namespace moldau::protocol
