// Messages written byte by byte from the Kafka protocol guide, decoded and
// re-encoded by the generated codec (docs/protocol.md).
#include <gtest/gtest.h>

#include <initializer_list>

#include "protocol/msg/api_keys.h"
#include "protocol/msg/api_versions_request.h"
#include "protocol/msg/api_versions_response.h"
#include "protocol/msg/fetch_response.h"
#include "protocol/msg/metadata_request.h"
#include "protocol/msg/produce_request.h"
#include "protocol/msg/produce_response.h"

namespace moldau::protocol {
namespace {

Bytes bytes(std::initializer_list<int> list) {
  Bytes out;
  for (int b : list) out.push_back(uint8_t(b));
  return out;
}

void append(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
void append(Bytes& out, const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }

template <typename T>
Bytes encode(const T& m, int16_t version) {
  ByteWriter w;
  m.encode(w, version);
  return w.flatten();
}

TEST(KnownBytes, ApiVersionsV3RequestAsLibrdkafkaSendsIt) {
  // Request header v2: api key 18, version 3, correlation id 1, ClientId
  // "rdkafka" as a classic int16-length string, empty tagged section.
  Bytes frame = bytes({0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07});
  append(frame, "rdkafka");
  frame.push_back(0x00);
  const size_t header_size = frame.size();
  // Body v3: compact strings (length + 1) and an empty tagged section.
  frame.push_back(0x0b);
  append(frame, "librdkafka");
  frame.push_back(0x06);
  append(frame, "2.0.2");
  frame.push_back(0x00);

  ByteReader r(frame);
  RequestHeader header;
  ASSERT_EQ(request_header_version(18, 3), 2);
  ASSERT_TRUE(header.decode(r, 2));
  EXPECT_EQ(header.request_api_key, 18);
  EXPECT_EQ(header.request_api_version, 3);
  EXPECT_EQ(header.correlation_id, 1);
  EXPECT_EQ(header.client_id, "rdkafka");
  EXPECT_EQ(frame.size() - r.remaining(), header_size);

  ApiVersionsRequest body;
  ASSERT_TRUE(body.decode(r, 3));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(body.client_software_name, "librdkafka");
  EXPECT_EQ(body.client_software_version, "2.0.2");

  Bytes again = encode(header, 2);
  append(again, encode(body, 3));
  EXPECT_EQ(again, frame);
}

TEST(KnownBytes, MetadataV0AndV1Requests) {
  // v0: [topics] as int32 count + int16-length strings.
  Bytes v0 = bytes({0, 0, 0, 2, 0, 3, 'f', 'o', 'o', 0, 3, 'b', 'a', 'r'});
  MetadataRequest m;
  ByteReader r(v0);
  ASSERT_TRUE(m.decode(r, 0));
  ASSERT_TRUE(m.topics.has_value());
  ASSERT_EQ(m.topics->size(), 2u);
  EXPECT_EQ((*m.topics)[0].name, "foo");
  EXPECT_EQ((*m.topics)[1].name, "bar");
  EXPECT_TRUE(m.allow_auto_topic_creation);  // JSON default, absent before v4
  EXPECT_EQ(encode(m, 0), v0);
  EXPECT_EQ(encode(m, 1), v0);  // v1 has the same layout

  // v1: a null array (-1) means "all topics"; v0 cannot carry it.
  Bytes v1_all = bytes({0xff, 0xff, 0xff, 0xff});
  ByteReader r1(v1_all);
  ASSERT_TRUE(m.decode(r1, 1));
  EXPECT_FALSE(m.topics.has_value());
  EXPECT_EQ(encode(m, 1), v1_all);
  // Encoding null at v0 sends an empty array (documented: v0 has no null).
  EXPECT_EQ(encode(m, 0), bytes({0, 0, 0, 0}));
  ByteReader r0(v1_all);
  EXPECT_FALSE(m.decode(r0, 0));

  // v4 adds AllowAutoTopicCreation.
  Bytes v4 = bytes({0xff, 0xff, 0xff, 0xff, 0x00});
  ByteReader r4(v4);
  ASSERT_TRUE(m.decode(r4, 4));
  EXPECT_FALSE(m.allow_auto_topic_creation);
  EXPECT_EQ(encode(m, 4), v4);
}

TEST(KnownBytes, RequestHeaderV2WithNullClientIdAndATaggedField) {
  // Metadata v12, correlation id 42, ClientId null (int16 -1, not compact),
  // one tagged field: tag 3, 2 bytes ab cd.
  Bytes b = bytes({0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x2a, 0xff, 0xff,
                   0x01, 0x03, 0x02, 0xab, 0xcd});
  RequestHeader h;
  ByteReader r(b);
  ASSERT_TRUE(h.decode(r, 2));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(h.request_api_key, 3);
  EXPECT_EQ(h.request_api_version, 12);
  EXPECT_EQ(h.correlation_id, 42);
  EXPECT_FALSE(h.client_id.has_value());
  ASSERT_EQ(h.unknown_tagged_fields.size(), 1u);
  EXPECT_EQ(h.unknown_tagged_fields[0].tag, 3u);
  EXPECT_EQ(h.unknown_tagged_fields[0].data, bytes({0xab, 0xcd}));
  EXPECT_EQ(encode(h, 2), b);
  // Header v1 has no tagged section.
  Bytes v1(b.begin(), b.begin() + 10);
  EXPECT_EQ(encode(h, 1), v1);
}

TEST(KnownBytes, ProduceV9RequestBorrowsItsRecords) {
  Bytes records;
  for (int i = 0; i < 10; ++i) records.push_back(uint8_t(0x30 + i));
  Bytes b = bytes({0x00,                     // TransactionalId: null compact string
                   0xff, 0xff,               // Acks -1
                   0x00, 0x00, 0x75, 0x30,   // TimeoutMs 30000
                   0x02,                     // 1 topic
                   0x02, 't',                // Name "t"
                   0x02,                     // 1 partition
                   0x00, 0x00, 0x00, 0x00,   // Index 0
                   0x0b});                   // Records: 10 bytes
  const size_t records_at = b.size();
  append(b, records);
  append(b, bytes({0x00, 0x00, 0x00}));  // tagged sections: partition, topic, request

  ProduceRequest p;
  ByteReader r(b);
  ASSERT_TRUE(p.decode(r, 9));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(p.transactional_id.has_value());
  EXPECT_EQ(p.acks, -1);
  EXPECT_EQ(p.timeout_ms, 30000);
  ASSERT_EQ(p.topic_data.size(), 1u);
  EXPECT_EQ(p.topic_data[0].name, "t");
  ASSERT_EQ(p.topic_data[0].partition_data.size(), 1u);
  const Records& rec = p.topic_data[0].partition_data[0].records;
  ASSERT_FALSE(rec.is_null);
  EXPECT_EQ(rec.bytes.data(), b.data() + records_at);  // no copy
  EXPECT_EQ(rec.bytes.size(), records.size());
  EXPECT_EQ(encode(p, 9), b);
}

TEST(KnownBytes, ProduceV0To2HaveNoTransactionalId) {
  // Produce v0-2 (widened from Kafka 4's 3-13, docs/protocol.md): acks,
  // timeout, [topic [partition records]] with classic lengths.
  Bytes b = bytes({0x00, 0x01, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
                   'x', 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                   0x01, 0x07});
  for (int16_t v = 0; v <= 2; ++v) {
    ProduceRequest p;
    ByteReader r(b);
    ASSERT_TRUE(p.decode(r, v));
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(p.acks, 1);
    EXPECT_EQ(p.timeout_ms, 1000);
    EXPECT_EQ(p.topic_data.at(0).partition_data.at(0).index, 2);
    EXPECT_EQ(encode(p, v), b);
  }
  // v3 reads a TransactionalId first, so the same bytes mean something else.
  ProduceRequest p3;
  ByteReader r3(b);
  EXPECT_FALSE(p3.decode(r3, 3) && r3.remaining() == 0);
}

TEST(KnownBytes, ProduceResponseVersionsAddThrottleAndAppendTime) {
  ProduceResponse resp;
  auto& t = resp.responses.emplace_back();
  t.name = "t";
  auto& p = t.partition_responses.emplace_back();
  p.index = 0;
  p.base_offset = 5;
  p.log_append_time_ms = 7;
  resp.throttle_time_ms = 9;
  const Bytes prefix = bytes({0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                              0, 0, 0, 0, 0, 0, 0, 5});
  Bytes v0 = prefix;
  EXPECT_EQ(encode(resp, 0), v0);
  Bytes v1 = prefix;
  append(v1, bytes({0, 0, 0, 9}));
  EXPECT_EQ(encode(resp, 1), v1);
  Bytes v2 = prefix;
  append(v2, bytes({0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9}));
  EXPECT_EQ(encode(resp, 2), v2);
}

TEST(KnownBytes, UnknownTaggedFieldsSurviveARoundTrip) {
  // ApiVersionsResponse v3: ErrorCode 0, ApiKeys [{18, 0, 3, tags {7: ff}}],
  // ThrottleTimeMs 0, tags {1: FinalizedFeaturesEpoch = 5 (known), 9: de ad (unknown)}.
  Bytes b = bytes({0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03,
                   0x01, 0x07, 0x01, 0xff,
                   0x00, 0x00, 0x00, 0x00,
                   0x02, 0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 5, 0x09, 0x02, 0xde, 0xad});
  ApiVersionsResponse m;
  ByteReader r(b);
  ASSERT_TRUE(m.decode(r, 3));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(m.finalized_features_epoch, 5);
  ASSERT_EQ(m.unknown_tagged_fields.size(), 1u);
  EXPECT_EQ(m.unknown_tagged_fields[0].tag, 9u);
  ASSERT_EQ(m.api_keys.size(), 1u);
  ASSERT_EQ(m.api_keys[0].unknown_tagged_fields.size(), 1u);
  EXPECT_EQ(m.api_keys[0].unknown_tagged_fields[0].tag, 7u);
  EXPECT_EQ(encode(m, 3), b);

  // A known tagged field at its default is not written; known and unknown
  // fields go out in tag order.
  m.finalized_features_epoch = -1;
  m.unknown_tagged_fields = {TaggedField{0x04, bytes({0x01})}};
  m.zk_migration_ready = true;  // tag 3
  Bytes expect(b.begin(), b.begin() + 17);
  append(expect, bytes({0x02, 0x03, 0x01, 0x01, 0x04, 0x01, 0x01}));
  EXPECT_EQ(encode(m, 3), expect);
}

TEST(KnownBytes, KnownTaggedFieldIsWrittenOnlyWhenNotDefault) {
  ProduceResponse resp;
  auto& p = resp.responses.emplace_back().partition_responses.emplace_back();
  Bytes plain = encode(resp, 10);
  p.current_leader.leader_id = 3;
  p.current_leader.leader_epoch = 4;
  Bytes tagged = encode(resp, 10);
  // The partition's tagged section grows from 00 to 01 00 09 <i32 3><i32 4><00>.
  EXPECT_EQ(tagged.size(), plain.size() + 11);
  ProduceResponse back;
  ByteReader r(tagged);
  ASSERT_TRUE(back.decode(r, 10));
  EXPECT_EQ(back.responses[0].partition_responses[0].current_leader.leader_id, 3);
  EXPECT_EQ(back.responses[0].partition_responses[0].current_leader.leader_epoch, 4);
  EXPECT_TRUE(back.unknown_tagged_fields.empty());
}

TEST(KnownBytes, MalformedInputsFail) {
  struct Case {
    const char* what;
    Bytes bytes;
    int16_t version;
  };
  const Case cases[] = {
      {"huge classic array count", bytes({0x7f, 0xff, 0xff, 0xff, 0, 0}), 0},
      {"negative array count", bytes({0xff, 0xff, 0xff, 0xfe}), 1},
      {"huge compact array count", bytes({0xff, 0xff, 0xff, 0xff, 0x0f, 0}), 9},
      {"string longer than the input", bytes({0, 0, 0, 1, 0x7f, 0xff, 'a'}), 0},
      {"string length below -1", bytes({0, 0, 0, 1, 0xff, 0xfe}), 0},
      {"uvarint longer than 5 bytes", bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), 9},
      {"tagged field count beyond input", bytes({0x01, 0x01, 0x00, 0x7f}), 12},
      {"tagged field size beyond input", bytes({0x01, 0x01, 0x00, 0x01, 0x00, 0x09}), 12},
  };
  for (const auto& c : cases) {
    MetadataRequest m;
    ByteReader r(c.bytes);
    EXPECT_FALSE(m.decode(r, c.version)) << c.what;
    EXPECT_FALSE(r.ok()) << c.what;
  }
}

TEST(RecordsField, FileRegionsAreSentAsFileChunksAndLargeBuffersBorrowed) {
  FetchResponse f;
  auto& part = f.responses.emplace_back().partitions.emplace_back();
  FileRegion region;
  region.fd = 7;
  region.offset = 100;
  region.length = 1 << 20;
  part.records = Records::of_file(region);
  ByteWriter w;
  f.encode(w, 12);
  auto chunks = w.chunks();
  size_t files = 0;
  for (const auto& c : chunks) {
    if (c.kind == ByteWriter::Chunk::Kind::kFile) {
      ++files;
      EXPECT_EQ(c.file.fd, 7);
      EXPECT_EQ(c.file.offset, 100);
      EXPECT_EQ(c.file.length, 1 << 20);
    }
  }
  EXPECT_EQ(files, 1u);

  static const Bytes big(wire::kBorrowRecordsBytes, 0x5a);
  part.records = Records::of(big);
  ByteWriter wb;
  f.encode(wb, 12);
  size_t borrowed = 0;
  for (const auto& c : wb.chunks()) {
    if (c.kind == ByteWriter::Chunk::Kind::kBorrowed) {
      ++borrowed;
      EXPECT_EQ(c.borrowed.data(), big.data());
    }
  }
  EXPECT_EQ(borrowed, 1u);

  static const Bytes small(16, 0x5a);
  part.records = Records::of(small);
  ByteWriter ws;
  f.encode(ws, 12);
  EXPECT_FALSE(ws.has_external());
}

}  // namespace
}  // namespace moldau::protocol
