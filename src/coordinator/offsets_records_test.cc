// The record formats of __consumer_offsets, byte for byte.
#include "coordinator/offsets_records.h"

#include <gtest/gtest.h>

namespace moldau::coordinator {
namespace {

Bytes bytes(std::initializer_list<int> v) {
  Bytes out;
  for (int b : v) out.push_back(uint8_t(b));
  return out;
}

TEST(OffsetsRecordsTest, OffsetCommitKeyLayout) {
  // version 1 | group "g" | topic "t" | partition 3
  Bytes expected = bytes({0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3});
  EXPECT_EQ(encode_key(OffsetCommitKey{"g", "t", 3}), expected);
  auto k = decode_key(expected);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(std::get<OffsetCommitKey>(*k), (OffsetCommitKey{"g", "t", 3}));
  // Version 0 keys (Kafka before 0.10) have the same layout.
  Bytes legacy = expected;
  legacy[1] = 0;
  EXPECT_EQ(std::get<OffsetCommitKey>(*decode_key(legacy)), (OffsetCommitKey{"g", "t", 3}));
}

TEST(OffsetsRecordsTest, GroupMetadataKeyLayout) {
  Bytes expected = bytes({0, 2, 0, 2, 'g', '1'});
  EXPECT_EQ(encode_key(GroupMetadataKey{"g1"}), expected);
  EXPECT_EQ(std::get<GroupMetadataKey>(*decode_key(expected)).group, "g1");
}

TEST(OffsetsRecordsTest, OtherKeysAreRecognisedNotRead) {
  auto k = decode_key(bytes({0, 3, 0, 1, 'g'}));  // a KIP-848 ConsumerGroupMetadataKey
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(std::get<OtherKey>(*k).version, 3);
  EXPECT_FALSE(decode_key(bytes({0xff, 0xff})).ok());
  EXPECT_FALSE(decode_key(bytes({0})).ok());
  EXPECT_FALSE(decode_key(bytes({0, 1, 0, 5, 'g'})).ok());  // short string
}

TEST(OffsetsRecordsTest, OffsetCommitValueVersion3Layout) {
  OffsetCommitValue v{100, 5, "m", 1000, -1};
  Bytes expected = bytes({0, 3,                          // version
                          0, 0, 0, 0, 0, 0, 0, 100,      // offset
                          0, 0, 0, 5,                    // leader epoch
                          0, 1, 'm',                     // metadata
                          0, 0, 0, 0, 0, 0, 0x03, 0xe8});  // commit timestamp
  EXPECT_EQ(offset_commit_value_version(v), 3);
  EXPECT_EQ(encode_value(v), expected);
  auto d = decode_offset_commit_value(expected);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, v);
}

TEST(OffsetsRecordsTest, OffsetCommitValueVersion1CarriesTheExpireTimestamp) {
  OffsetCommitValue v{7, -1, "", 10, 20};
  EXPECT_EQ(offset_commit_value_version(v), 1);
  Bytes expected = bytes({0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10,
                          0, 0, 0, 0, 0, 0, 0, 20});
  EXPECT_EQ(encode_value(v), expected);
  EXPECT_EQ(*decode_offset_commit_value(expected), v);
}

TEST(OffsetsRecordsTest, OffsetCommitValueRoundTripsInEveryVersion) {
  OffsetCommitValue full{123456789012, 9, "metadata", 1700000000000, 1800000000000};
  for (int16_t version = 0; version <= kOffsetCommitValueMaxVersion; ++version) {
    auto d = decode_offset_commit_value(encode_value(full, version));
    ASSERT_TRUE(d.ok()) << version;
    EXPECT_EQ(d->offset, full.offset);
    EXPECT_EQ(d->metadata, full.metadata);
    EXPECT_EQ(d->commit_timestamp_ms, full.commit_timestamp_ms);
    EXPECT_EQ(d->leader_epoch, version >= 3 ? 9 : -1) << version;
    EXPECT_EQ(d->expire_timestamp_ms, version == 1 ? full.expire_timestamp_ms : -1) << version;
  }
}

GroupMetadataValue sample_group() {
  GroupMetadataValue v;
  v.protocol_type = "consumer";
  v.generation = 2;
  v.protocol = "range";
  v.leader = "m1";
  v.current_state_timestamp_ms = 7;
  v.members.push_back({"m1", std::nullopt, "c", "/h", 300, 100, {1, 2}, {3}});
  return v;
}

TEST(OffsetsRecordsTest, GroupMetadataValueVersion3Layout) {
  Bytes expected = bytes({0, 3,                                        // version
                          0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',  // protocol type
                          0, 0, 0, 2,                                  // generation
                          0, 5, 'r', 'a', 'n', 'g', 'e',               // protocol
                          0, 2, 'm', '1',                              // leader
                          0, 0, 0, 0, 0, 0, 0, 7,                      // current state timestamp
                          0, 0, 0, 1,                                  // one member:
                          0, 2, 'm', '1',                              //   member id
                          0xff, 0xff,                                  //   no instance id
                          0, 1, 'c',                                   //   client id
                          0, 2, '/', 'h',                              //   client host
                          0, 0, 1, 0x2c,                               //   rebalance timeout
                          0, 0, 0, 100,                                //   session timeout
                          0, 0, 0, 2, 1, 2,                            //   subscription
                          0, 0, 0, 1, 3});                             //   assignment
  EXPECT_EQ(encode_value(sample_group()), expected);
  auto d = decode_group_metadata_value(expected);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, sample_group());
}

TEST(OffsetsRecordsTest, GroupMetadataValueFlexibleVersionSkipsUnknownTaggedFields) {
  Bytes v4 = bytes({0, 4,
                    9, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',  // compact string
                    0, 0, 0, 2,
                    6, 'r', 'a', 'n', 'g', 'e',
                    0,                          // null leader
                    0, 0, 0, 0, 0, 0, 0, 7,
                    2,                          // compact array of one
                    3, 'm', '1',
                    0,                          // null instance id
                    2, 'c',
                    3, '/', 'h',
                    0, 0, 1, 0x2c,
                    0, 0, 0, 100,
                    3, 1, 2,                    // compact bytes
                    2, 3,
                    1, 5, 2, 0xaa, 0xbb,        // member: one tagged field (tag 5, 2 bytes)
                    0});                        // value: no tagged fields
  auto d = decode_group_metadata_value(v4);
  ASSERT_TRUE(d.ok()) << d.error().message;
  GroupMetadataValue want = sample_group();
  want.leader.reset();
  EXPECT_EQ(*d, want);
}

TEST(OffsetsRecordsTest, GroupMetadataValueRoundTripsInEveryVersion) {
  GroupMetadataValue full = sample_group();
  full.members[0].group_instance_id = "instance-1";
  full.members.push_back({"m2", std::nullopt, "c2", "/h2", 500, 200, {}, {}});
  for (int16_t version = 0; version <= kGroupMetadataValueMaxVersion; ++version) {
    auto d = decode_group_metadata_value(encode_value(full, version));
    ASSERT_TRUE(d.ok()) << version;
    GroupMetadataValue want = full;
    if (version < 2) want.current_state_timestamp_ms = -1;
    for (auto& m : want.members) {
      if (version < 3) m.group_instance_id.reset();
      if (version < 1) m.rebalance_timeout_ms = m.session_timeout_ms;  // v0 has none
    }
    EXPECT_EQ(*d, want) << version;
  }
}

TEST(OffsetsRecordsTest, EveryTruncationOfAValueIsAnErrorNotACrash) {
  Bytes g = encode_value(sample_group());
  for (size_t n = 0; n < g.size(); ++n) {
    EXPECT_FALSE(decode_group_metadata_value(ByteSpan(g.data(), n)).ok()) << n;
  }
  Bytes o = encode_value(OffsetCommitValue{1, 2, "xyz", 3, -1});
  for (size_t n = 0; n < o.size(); ++n) {
    EXPECT_FALSE(decode_offset_commit_value(ByteSpan(o.data(), n)).ok()) << n;
  }
}

TEST(OffsetsRecordsTest, CorruptLengthsAndVersionsAreErrors) {
  EXPECT_FALSE(decode_offset_commit_value(bytes({0, 5, 0, 0, 0, 0, 0, 0, 0, 1})).ok());
  EXPECT_FALSE(decode_group_metadata_value(bytes({0, 9})).ok());
  // A member count far larger than the record.
  Bytes g = encode_value(sample_group());
  size_t count_at = 2 + 10 + 4 + 7 + 4 + 8;
  g[count_at] = 0x7f;
  EXPECT_FALSE(decode_group_metadata_value(g).ok());
  // A null where the schema has none (the protocol type).
  EXPECT_FALSE(decode_group_metadata_value(bytes({0, 3, 0xff, 0xff, 0, 0, 0, 0})).ok());
}

}  // namespace
}  // namespace moldau::coordinator
