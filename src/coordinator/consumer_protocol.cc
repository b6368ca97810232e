#include "coordinator/consumer_protocol.h"

#include <fmt/format.h>

namespace moldau::coordinator {
namespace {

void put_string(ByteWriter& w, std::string_view s) {
  w.i16(int16_t(s.size()));
  w.raw(s.data(), s.size());
}
void put_nullable_bytes(ByteWriter& w, const std::optional<Bytes>& b) {
  if (!b) return w.i32(-1);
  w.i32(int32_t(b->size()));
  w.raw(b->data(), b->size());
}
void put_topic_partitions(ByteWriter& w, const std::vector<TopicPartitions>& tps) {
  w.i32(int32_t(tps.size()));
  for (const auto& tp : tps) {
    put_string(w, tp.topic);
    w.i32(int32_t(tp.partitions.size()));
    for (int32_t p : tp.partitions) w.i32(p);
  }
}

std::optional<std::string> get_nullable_string(ByteReader& r) {
  int16_t len = r.i16();
  if (!r.ok() || len < 0) {
    if (len < -1) r.fail();
    return std::nullopt;
  }
  const uint8_t* p = r.take(size_t(len));
  if (!p) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(p), size_t(len));
}
std::string get_string(ByteReader& r) {
  auto s = get_nullable_string(r);
  if (!s) r.fail();
  return s ? std::move(*s) : std::string();
}
std::optional<Bytes> get_nullable_bytes(ByteReader& r) {
  int32_t len = r.i32();
  if (!r.ok() || len < 0) {
    if (len < -1) r.fail();
    return std::nullopt;
  }
  const uint8_t* p = r.take(size_t(len));
  if (!p) return std::nullopt;
  return Bytes(p, p + len);
}
// An array count checked against what remains (each element takes at least
// `min_size` bytes) before anything is allocated.
size_t get_count(ByteReader& r, size_t min_size) {
  int32_t n = r.i32();
  if (!r.ok() || n < 0 || size_t(n) > r.remaining() / min_size) {
    r.fail();
    return 0;
  }
  return size_t(n);
}
std::vector<std::string> get_strings(ByteReader& r) {
  std::vector<std::string> out(get_count(r, 2));
  for (auto& s : out) s = get_string(r);
  return out;
}
std::vector<TopicPartitions> get_topic_partitions(ByteReader& r) {
  std::vector<TopicPartitions> out(get_count(r, 6));
  for (auto& tp : out) {
    tp.topic = get_string(r);
    tp.partitions.resize(get_count(r, 4));
    for (auto& p : tp.partitions) p = r.i32();
  }
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> subscription_topics(ByteSpan metadata) {
  ByteReader r(metadata);
  int16_t version = r.i16();
  if (!r.ok() || version < 0) return std::nullopt;
  auto topics = get_strings(r);
  get_nullable_bytes(r);  // user_data: part of the v0 layout
  if (!r.ok()) return std::nullopt;
  return topics;
}

Bytes encode_subscription(const ConsumerSubscription& s) {
  ByteWriter w;
  w.i16(s.version);
  w.i32(int32_t(s.topics.size()));
  for (const auto& t : s.topics) put_string(w, t);
  put_nullable_bytes(w, s.user_data);
  if (s.version >= 1) put_topic_partitions(w, s.owned_partitions);
  if (s.version >= 2) w.i32(s.generation_id);
  if (s.version >= 3) {
    if (s.rack_id) {
      put_string(w, *s.rack_id);
    } else {
      w.i16(-1);
    }
  }
  return std::move(w.buffer());
}

Result<ConsumerSubscription> decode_subscription(ByteSpan bytes) {
  ByteReader r(bytes);
  ConsumerSubscription s;
  s.version = r.i16();
  if (!r.ok() || s.version < 0) return Error{ErrorCode::kInvalidRequest, "bad subscription version"};
  s.topics = get_strings(r);
  s.user_data = get_nullable_bytes(r);
  if (s.version >= 1) s.owned_partitions = get_topic_partitions(r);
  if (s.version >= 2) s.generation_id = r.i32();
  if (s.version >= 3) s.rack_id = get_nullable_string(r);
  if (!r.ok()) return Error{ErrorCode::kInvalidRequest, fmt::format("malformed subscription v{}", s.version)};
  return s;
}

Bytes encode_assignment(const ConsumerAssignment& a) {
  ByteWriter w;
  w.i16(a.version);
  put_topic_partitions(w, a.partitions);
  put_nullable_bytes(w, a.user_data);
  return std::move(w.buffer());
}

Result<ConsumerAssignment> decode_assignment(ByteSpan bytes) {
  ByteReader r(bytes);
  ConsumerAssignment a;
  a.version = r.i16();
  if (!r.ok() || a.version < 0) return Error{ErrorCode::kInvalidRequest, "bad assignment version"};
  a.partitions = get_topic_partitions(r);
  a.user_data = get_nullable_bytes(r);
  if (!r.ok()) return Error{ErrorCode::kInvalidRequest, fmt::format("malformed assignment v{}", a.version)};
  return a;
}

}  // namespace moldau::coordinator
