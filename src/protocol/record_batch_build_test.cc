// Record batches: BatchBuilder, decoding, recompression and in-place rewrites.
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
