#include "metadata/records.h"

#include <gtest/gtest.h>

namespace moldau::metadata {
namespace {

std::vector<Record> samples() {
  TopicId id = TopicId::from_halves(0x1234, 0x5678);
  return {
      RegisterBrokerRecord{1, {{"PLAINTEXT", "localhost", 9092, SecurityProtocol::kPlaintext},
                               {"SSL", "h", 9093, SecurityProtocol::kSsl}}, "rack-a"},
      RegisterBrokerRecord{2, {}, std::nullopt},
      TopicRecord{"orders", id},
      PartitionRecord{id, 3, {1, 2, 3}, {1, 2}, 1, 7, 9},
      PartitionRecord{id, 0, {}, {}, -1, 0, 0},
      RemoveTopicRecord{id},
      ConfigRecord{ConfigResourceType::kTopic, "orders", "retention.ms", "1000"},
      ConfigRecord{ConfigResourceType::kBroker, "", "log.retention.ms", std::nullopt},
      ConfigRecord{ConfigResourceType::kBroker, "1", "empty", std::string()},
      ProducerIdsRecord{1, 42, 1000},
  };
}

TEST(Records, RoundTrip) {
  for (const Record& r : samples()) {
    Bytes b = encode_record(r);
    auto d = decode_record(b);
    ASSERT_TRUE(d.ok()) << to_string(r) << ": " << d.error().message;
    EXPECT_EQ(d.value(), r) << to_string(r);
  }
}

TEST(Records, NullAndEmptyConfigValueDiffer) {
  auto a = decode_record(encode_record(ConfigRecord{ConfigResourceType::kBroker, "", "x", std::nullopt}));
  auto b = decode_record(encode_record(ConfigRecord{ConfigResourceType::kBroker, "", "x", ""}));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(std::get<ConfigRecord>(a.value()).value.has_value());
  EXPECT_EQ(std::get<ConfigRecord>(b.value()).value, std::string());
}

TEST(Records, HeaderCarriesTypeAndVersion) {
  Bytes b = encode_record(TopicRecord{"t", TopicId::from_halves(1, 2)});
  ASSERT_GE(b.size(), 4u);
  EXPECT_EQ(load_be16(b.data()), 2);  // TopicRecord, as in Kafka
  EXPECT_EQ(load_be16(b.data() + 2), kRecordVersion);
}

TEST(Records, EveryTruncationIsCorrupt) {
  for (const Record& r : samples()) {
    Bytes b = encode_record(r);
    for (size_t n = 0; n < b.size(); ++n) {
      auto d = decode_record(ByteSpan(b.data(), n));
      ASSERT_FALSE(d.ok()) << to_string(r) << " truncated to " << n;
      EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
    }
  }
}

TEST(Records, TrailingBytesAreCorrupt) {
  Bytes b = encode_record(RemoveTopicRecord{TopicId::from_halves(1, 2)});
  b.push_back(0);
  auto d = decode_record(b);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
  EXPECT_NE(d.error().message.find("RemoveTopicRecord"), std::string::npos);
}

TEST(Records, HugeLengthIsRefusedBeforeAllocating) {
  ByteWriter w;
  w.u16(uint16_t(RecordType::kTopic));
  w.u16(0);
  w.uvarint(0x7fffffff);  // name length far beyond the data
  auto d = decode_record(w.buffer());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
  ByteWriter p;
  p.u16(uint16_t(RecordType::kPartition));
  p.u16(0);
  p.raw(TopicId::from_halves(1, 1).bytes().data(), 16);
  p.i32(0);
  p.uvarint(1000000);  // replica count
  auto e = decode_record(p.buffer());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kCorruptMessage);
}

TEST(Records, NewerVersionAndUnknownTypeAreUnsupported) {
  Bytes b = encode_record(RemoveTopicRecord{TopicId::from_halves(1, 2)});
  store_be16(b.data() + 2, kRecordVersion + 1);
  auto d = decode_record(b);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnsupportedVersion);
  store_be16(b.data() + 2, kRecordVersion);
  store_be16(b.data(), 999);
  auto u = decode_record(b);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::kUnsupportedVersion);
}

}  // namespace
}  // namespace moldau::metadata
