// libFuzzer target for the generated message codec (docs/protocol.md).
//
// Input: 2 bytes pick the API (index into all_apis(), modulo), 2 bytes the
// version (modulo its range), then a request header and a body. The body is
// decoded as that API's request and response, and a body that decodes must
// encode to bytes that decode and encode to the same bytes again. The same
// body is then fed to every API's request and response decoder, so one
// target covers every schema. Seeds: protocol_fuzz_corpus (scripts/fuzz.sh).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "protocol/msg/api_keys.h"
#include "protocol/msg/consumer_protocol_assignment.h"
#include "protocol/msg/consumer_protocol_subscription.h"

namespace {

using namespace moldau;
using namespace moldau::protocol;

template <typename T>
void check_stable(ByteSpan in, int16_t version) {
  T a;
  ByteReader r(in);
  if (!a.decode(r, version)) return;
  ByteWriter w1;
  a.encode(w1, version);
  Bytes first = w1.flatten();
  T b;
  ByteReader r2(first);
  if (!b.decode(r2, version) || r2.remaining() != 0) __builtin_trap();
  ByteWriter w2;
  b.encode(w2, version);
  if (w2.flatten() != first) __builtin_trap();
}

int16_t pick_version(uint16_t raw, int16_t lo, int16_t hi) {
  return int16_t(lo + raw % uint16_t(hi - lo + 1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const auto apis = all_apis();
  const ApiInfo& api = apis[load_be16(data) % apis.size()];
  const uint16_t raw_version = load_be16(data + 2);
  const int16_t version = pick_version(raw_version, api.min_version, api.max_version);
  const ByteSpan rest(data + 4, size - 4);

  // Header, then the body as the chosen API's request and response.
  const int16_t header_version = request_header_version(api.key, version);
  ByteReader r(rest);
  RequestHeader header;
  ByteSpan body = rest;
  if (header.decode(r, header_version)) {
    check_stable<RequestHeader>(rest.first(rest.size() - r.remaining()), header_version);
    body = ByteSpan(r.position(), r.remaining());
  }
  if (!request_round_trip_stable(api.key, version, body)) __builtin_trap();
  if (!response_round_trip_stable(api.key, version, body)) __builtin_trap();
  check_stable<ResponseHeader>(rest, response_header_version(api.key, version));

  // Every decoder sees the body, at the nearest version it has.
  for (const ApiInfo& a : apis) {
    const int16_t v = std::clamp(version, a.min_version, a.max_version);
    ByteReader q(body);
    (void)decode_request_body(a.key, v, q);
    ByteReader p(body);
    (void)decode_response_body(a.key, v, p);
  }
  check_stable<ConsumerProtocolSubscription>(
      body, pick_version(raw_version, ConsumerProtocolSubscription::kMinVersion,
                         ConsumerProtocolSubscription::kMaxVersion));
  check_stable<ConsumerProtocolAssignment>(
      body, pick_version(raw_version, ConsumerProtocolAssignment::kMinVersion,
                         ConsumerProtocolAssignment::kMaxVersion));
  return 0;
}
