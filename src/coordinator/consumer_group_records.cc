#include "coordinator/consumer_group_records.h"

#include <cassert>

#include <fmt/format.h>

namespace moldau::coordinator {
namespace {

constexpr int16_t kValueVersion = 0;
// A bound on what one value may name, so a corrupt count cannot make us
// allocate: every element takes at least one byte anyway.

Error corrupt(std::string what) { return Error{ErrorCode::kCorruptMessage, std::move(what)}; }

// --- flexible (compact) writing and reading ------------------------------------

void put_string(ByteWriter& w, std::string_view s) {
  w.uvarint(uint32_t(s.size()) + 1);
  w.raw(s.data(), s.size());
}
void put_nullable(ByteWriter& w, const std::optional<std::string>& s) {
  if (s) return put_string(w, *s);
  w.uvarint(0);
}
void put_partitions(ByteWriter& w, const PartitionSet& set, const TopicIdOf& id_of) {
  std::vector<std::pair<RecordTopicId, const std::set<int32_t>*>> topics;
  for (const auto& [name, ps] : set) {
    if (ps.empty()) continue;
    if (auto id = id_of(name)) topics.emplace_back(*id, &ps);
  }
  w.uvarint(uint32_t(topics.size()) + 1);
  for (const auto& [id, ps] : topics) {
    w.i64(int64_t(id.hi));
    w.i64(int64_t(id.lo));
    w.uvarint(uint32_t(ps->size()) + 1);
    for (int32_t p : *ps) w.i32(p);
    w.uvarint(0);  // no tagged fields
  }
}

class Reader {
 public:
  explicit Reader(ByteSpan b) : r_(b) {}
  ByteReader& raw() { return r_; }
  bool ok() const { return r_.ok(); }
  void fail() { r_.fail(); }

  std::optional<std::string> nullable_string() {
    int64_t len = int64_t(r_.uvarint()) - 1;
    if (!r_.ok() || len < 0) return std::nullopt;
    const uint8_t* p = r_.take(size_t(len));
    if (!p) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(p), size_t(len));
  }
  std::string string() {
    auto s = nullable_string();
    if (!s) r_.fail();
    return s ? std::move(*s) : std::string();
  }
  // Non-null array length, checked against the bytes left.
  size_t array_length() {
    int64_t n = int64_t(r_.uvarint()) - 1;
    if (!r_.ok() || n < 0 || size_t(n) > r_.remaining()) {
      r_.fail();
      return 0;
    }
    return size_t(n);
  }
  // Tagged fields: `on_tag(tag, bytes)` for each, which may read them.
  template <typename F>
  void tagged(F&& on_tag) {
    uint32_t n = r_.uvarint();
    if (n > r_.remaining()) return r_.fail();
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      uint32_t tag = r_.uvarint();
      uint32_t size = r_.uvarint();
      const uint8_t* p = r_.take(size);
      if (p) on_tag(tag, ByteSpan(p, size));
    }
  }
  void skip_tagged() {
    tagged([](uint32_t, ByteSpan) {});
  }
  PartitionSet partitions(const TopicNameOf& name_of) {
    PartitionSet out;
    size_t n = array_length();
    for (size_t i = 0; i < n && r_.ok(); ++i) {
      RecordTopicId id{uint64_t(r_.i64()), uint64_t(r_.i64())};
      size_t np = array_length();
      std::set<int32_t> ps;
      for (size_t j = 0; j < np && r_.ok(); ++j) {
        int32_t p = r_.i32();
        if (p < 0) r_.fail();
        ps.insert(p);
      }
      skip_tagged();
      if (!r_.ok()) break;
      if (auto name = name_of(id); name && !ps.empty()) out[*name].insert(ps.begin(), ps.end());
    }
    return out;
  }
  bool at_end() const { return r_.remaining() == 0; }

 private:
  ByteReader r_;
};

}  // namespace

ConsumerRecordType record_type_of(const ConsumerRecordValue& v) {
  switch (v.index()) {
    case 0: return ConsumerRecordType::kGroupMetadata;
    case 1: return ConsumerRecordType::kMemberMetadata;
    case 2: return ConsumerRecordType::kTargetAssignmentMetadata;
    case 3: return ConsumerRecordType::kTargetAssignmentMember;
    default: return ConsumerRecordType::kCurrentMemberAssignment;
  }
}

static bool has_member(ConsumerRecordType t) {
  return t == ConsumerRecordType::kMemberMetadata || t == ConsumerRecordType::kTargetAssignmentMember ||
         t == ConsumerRecordType::kCurrentMemberAssignment;
}

Bytes encode_key(const ConsumerRecordKey& key) {
  assert(key.group_id.size() <= 32767 && key.member_id.size() <= 32767);
  ByteWriter w;
  w.i16(int16_t(key.type));
  w.i16(int16_t(key.group_id.size()));
  w.raw(key.group_id.data(), key.group_id.size());
  if (has_member(key.type)) {
    w.i16(int16_t(key.member_id.size()));
    w.raw(key.member_id.data(), key.member_id.size());
  }
  return std::move(w.buffer());
}

Result<ConsumerRecordKey> decode_consumer_key(ByteSpan bytes) {
  ByteReader r(bytes);
  int16_t type = r.i16();
  if (!r.ok() || !is_consumer_record_type(type)) return corrupt(fmt::format("not a consumer group key ({})", type));
  auto str = [&r]() -> std::optional<std::string> {
    int16_t len = r.i16();
    if (!r.ok() || len < 0) return std::nullopt;
    const uint8_t* p = r.take(size_t(len));
    if (!p) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(p), size_t(len));
  };
  ConsumerRecordKey key;
  key.type = ConsumerRecordType(type);
  auto g = str();
  if (!g) return corrupt("malformed consumer group key");
  key.group_id = std::move(*g);
  if (has_member(key.type)) {
    auto m = str();
    if (!m) return corrupt("malformed consumer group member key");
    key.member_id = std::move(*m);
  }
  if (r.remaining() != 0) return corrupt("trailing bytes after a consumer group key");
  return key;
}

Bytes encode_value(const ConsumerRecordValue& value, const TopicIdOf& id_of) {
  ByteWriter w;
  w.i16(kValueVersion);
  if (auto* v = std::get_if<ConsumerGroupMetadataValue>(&value)) {
    w.i32(v->epoch);
    if (v->metadata_hash != 0) {
      w.uvarint(1);  // one tagged field: MetadataHash (tag 0, int64)
      w.uvarint(0);
      w.uvarint(8);
      w.i64(v->metadata_hash);
    } else {
      w.uvarint(0);
    }
  } else if (auto* v = std::get_if<ConsumerMemberMetadataValue>(&value)) {
    put_nullable(w, v->instance_id);
    put_nullable(w, v->rack_id);
    put_string(w, v->client_id);
    put_string(w, v->client_host);
    w.uvarint(uint32_t(v->subscribed_topic_names.size()) + 1);
    for (const auto& t : v->subscribed_topic_names) put_string(w, t);
    put_nullable(w, v->subscribed_topic_regex);
    w.i32(v->rebalance_timeout_ms);
    put_nullable(w, v->server_assignor);
    w.uvarint(0);
  } else if (auto* v = std::get_if<ConsumerTargetAssignmentMetadataValue>(&value)) {
    w.i32(v->assignment_epoch);
    w.uvarint(0);
  } else if (auto* v = std::get_if<ConsumerTargetAssignmentMemberValue>(&value)) {
    put_partitions(w, v->partitions, id_of);
    w.uvarint(0);
  } else if (auto* v = std::get_if<ConsumerCurrentAssignmentValue>(&value)) {
    w.i32(v->member_epoch);
    w.i32(v->previous_member_epoch);
    w.i8(v->state);
    put_partitions(w, v->assigned, id_of);
    put_partitions(w, v->pending_revocation, id_of);
    w.uvarint(0);
  }
  return std::move(w.buffer());
}

Result<ConsumerRecordValue> decode_consumer_value(ConsumerRecordType type, ByteSpan bytes,
                                                  const TopicNameOf& name_of) {
  Reader r(bytes);
  int16_t version = r.raw().i16();
  if (!r.ok() || version != kValueVersion) {
    return corrupt(fmt::format("unknown consumer group value version {} (type {})", version, int(type)));
  }
  ConsumerRecordValue out;
  switch (type) {
    case ConsumerRecordType::kGroupMetadata: {
      ConsumerGroupMetadataValue v;
      v.epoch = r.raw().i32();
      r.tagged([&](uint32_t tag, ByteSpan b) {
        if (tag != 0) return;
        if (b.size() != 8) return r.fail();
        v.metadata_hash = ByteReader(b).i64();
      });
      out = v;
      break;
    }
    case ConsumerRecordType::kMemberMetadata: {
      ConsumerMemberMetadataValue v;
      v.instance_id = r.nullable_string();
      v.rack_id = r.nullable_string();
      v.client_id = r.string();
      v.client_host = r.string();
      size_t n = r.array_length();
      for (size_t i = 0; i < n && r.ok(); ++i) v.subscribed_topic_names.push_back(r.string());
      v.subscribed_topic_regex = r.nullable_string();
      v.rebalance_timeout_ms = r.raw().i32();
      v.server_assignor = r.nullable_string();
      r.skip_tagged();  // tag 0: classic member metadata, not used here
      out = std::move(v);
      break;
    }
    case ConsumerRecordType::kTargetAssignmentMetadata: {
      ConsumerTargetAssignmentMetadataValue v;
      v.assignment_epoch = r.raw().i32();
      r.skip_tagged();
      out = v;
      break;
    }
    case ConsumerRecordType::kTargetAssignmentMember: {
      ConsumerTargetAssignmentMemberValue v;
      v.partitions = r.partitions(name_of);
      r.skip_tagged();
      out = std::move(v);
      break;
    }
    case ConsumerRecordType::kCurrentMemberAssignment: {
      ConsumerCurrentAssignmentValue v;
      v.member_epoch = r.raw().i32();
      v.previous_member_epoch = r.raw().i32();
      v.state = r.raw().i8();
      v.assigned = r.partitions(name_of);
      v.pending_revocation = r.partitions(name_of);
      r.skip_tagged();
      out = std::move(v);
      break;
    }
    default:
      return corrupt(fmt::format("consumer group record type {} is not read", int(type)));
  }
  if (!r.ok()) return corrupt(fmt::format("malformed consumer group value (type {})", int(type)));
  if (!r.at_end()) return corrupt(fmt::format("trailing bytes after a consumer group value (type {})", int(type)));
  return out;
}

}  // namespace moldau::coordinator
