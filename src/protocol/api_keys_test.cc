#include "protocol/msg/api_keys.h"

#include <gtest/gtest.h>

#include <string_view>

#include "protocol/msg/samples/samples.h"

namespace moldau::protocol {
namespace {

TEST(ApiKeys, TableListsEverySupportedApiInKeyOrder) {
  auto apis = all_apis();
  EXPECT_EQ(apis.size(), 39u);
  for (size_t i = 1; i < apis.size(); ++i) EXPECT_LT(apis[i - 1].key, apis[i].key);
  for (const ApiInfo& a : apis) {
    EXPECT_EQ(api_info(a.key), &a);
    EXPECT_LE(a.min_version, a.max_version);
  }
  EXPECT_EQ(api_info(4), nullptr);   // LeaderAndIsr: removed, no schema
  EXPECT_EQ(api_info(-1), nullptr);
  EXPECT_EQ(api_info(1000), nullptr);
}

TEST(ApiKeys, KnownRanges) {
  const ApiInfo* produce = api_info(api_key::kProduce);
  ASSERT_NE(produce, nullptr);
  EXPECT_EQ(std::string_view(produce->name), "Produce");
  EXPECT_EQ(produce->min_version, 0);  // widened for KAFKA-18659 (docs/protocol.md)
  EXPECT_EQ(produce->max_version, 13);
  EXPECT_EQ(produce->first_flexible_version, 9);
  const ApiInfo* metadata = api_info(api_key::kMetadata);
  ASSERT_NE(metadata, nullptr);
  EXPECT_EQ(metadata->min_version, 0);
  EXPECT_EQ(metadata->max_version, 13);
  EXPECT_EQ(api_info(api_key::kSaslHandshake)->first_flexible_version, 0x7fff);
  EXPECT_EQ(api_info(api_key::kApiVersions)->key, 18);
}

TEST(ApiKeys, HeaderVersions) {
  // ApiVersions: flexible from v3; its response header is always v0 (KIP-511).
  EXPECT_EQ(request_header_version(18, 2), 1);
  EXPECT_EQ(request_header_version(18, 3), 2);
  EXPECT_EQ(response_header_version(18, 3), 0);
  EXPECT_EQ(response_header_version(18, 0), 0);
  // Metadata: flexible from v9.
  EXPECT_EQ(request_header_version(3, 8), 1);
  EXPECT_EQ(request_header_version(3, 9), 2);
  EXPECT_EQ(response_header_version(3, 8), 0);
  EXPECT_EQ(response_header_version(3, 9), 1);
  // SaslHandshake is never flexible.
  EXPECT_EQ(request_header_version(17, 1), 1);
  EXPECT_EQ(response_header_version(17, 1), 0);
  // Unknown keys: v1 / v0, enough to read the correlation id and answer.
  EXPECT_EQ(request_header_version(999, 5), 1);
  EXPECT_EQ(response_header_version(999, 5), 0);
}

TEST(ApiKeys, DecodeRequestHeaderPicksTheHeaderVersion) {
  // Metadata v12 (flexible): header v2 with an empty tagged section.
  const Bytes v2 = {0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 'c', 0x00, 0xee};
  ByteReader r(v2);
  RequestHeader h;
  ASSERT_TRUE(decode_request_header(r, h));
  EXPECT_EQ(h.client_id, "c");
  EXPECT_EQ(r.remaining(), 1u);
  // Metadata v8: header v1, no tagged section.
  const Bytes v1 = {0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 'c', 0xee};
  ByteReader r1(v1);
  ASSERT_TRUE(decode_request_header(r1, h));
  EXPECT_EQ(r1.remaining(), 1u);
  const Bytes short_frame = {0x00, 0x03, 0x00};
  ByteReader r2(short_frame);
  EXPECT_FALSE(decode_request_header(r2, h));
  EXPECT_FALSE(r2.ok());
}

template <typename T>
Bytes sample_bytes(int16_t version) {
  T m;
  fill_sample(m, version, 0);
  ByteWriter w;
  m.encode(w, version);
  return w.flatten();
}

template <typename T>
void check_dispatch(bool request) {
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    Bytes b = sample_bytes<T>(v);
    ByteReader r(b);
    bool ok = request ? decode_request_body(T::kApiKey, v, r)
                      : decode_response_body(T::kApiKey, v, r);
    EXPECT_TRUE(ok) << T::kApiKey << " v" << v;
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_TRUE(request ? request_round_trip_stable(T::kApiKey, v, b)
                        : response_round_trip_stable(T::kApiKey, v, b));
  }
}

TEST(ApiKeys, DispatchDecodesEveryApiAndVersion) {
#define MOLDAU_DISPATCH_request(Type) check_dispatch<Type>(true);
#define MOLDAU_DISPATCH_response(Type) check_dispatch<Type>(false);
#define MOLDAU_DISPATCH_header(Type)
#define MOLDAU_DISPATCH_data(Type)
#define MOLDAU_DISPATCH(Type, kind) MOLDAU_DISPATCH_##kind(Type)
  MOLDAU_PROTOCOL_MESSAGES(MOLDAU_DISPATCH)
#undef MOLDAU_DISPATCH
}

TEST(ApiKeys, DispatchRefusesUnknownKeysAndVersions) {
  Bytes b(16, 0);
  ByteReader r(b);
  EXPECT_FALSE(decode_request_body(4, 0, r));
  EXPECT_FALSE(r.ok());
  ByteReader r2(b);
  EXPECT_FALSE(decode_response_body(3, 14, r2));
  ByteReader r3(b);
  EXPECT_FALSE(decode_request_body(3, -1, r3));
}

}  // namespace
}  // namespace moldau::protocol
