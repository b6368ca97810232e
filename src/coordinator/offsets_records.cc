#include "coordinator/offsets_records.h"

#include <cassert>

#include <fmt/format.h>

namespace moldau::coordinator {
namespace {

// --- writing -----------------------------------------------------------------

class Writer {
 public:
  explicit Writer(bool flexible) : flexible_(flexible) {}

  void string(std::string_view s) {
    if (flexible_) {
      w_.uvarint(uint32_t(s.size()) + 1);
    } else {
      assert(s.size() <= kMaxRecordStringBytes);
      w_.i16(int16_t(s.size()));
    }
    w_.raw(s.data(), s.size());
  }
  void nullable_string(const std::optional<std::string>& s) {
    if (s) return string(*s);
    if (flexible_) {
      w_.uvarint(0);
    } else {
      w_.i16(-1);
    }
  }
  void bytes(const Bytes& b) {
    if (flexible_) {
      w_.uvarint(uint32_t(b.size()) + 1);
    } else {
      w_.i32(int32_t(b.size()));
    }
    w_.raw(b.data(), b.size());
  }
  void array_length(size_t n) {
    if (flexible_) {
      w_.uvarint(uint32_t(n) + 1);
    } else {
      w_.i32(int32_t(n));
    }
  }
  // No tagged fields of our own: an empty tag buffer.
  void end_struct() {
    if (flexible_) w_.uvarint(0);
  }
  ByteWriter& raw() { return w_; }
  Bytes take() { return std::move(w_.buffer()); }

 private:
  ByteWriter w_;
  bool flexible_;
};

// --- reading -----------------------------------------------------------------

class Reader {
 public:
  Reader(ByteSpan bytes, bool flexible) : r_(bytes), flexible_(flexible) {}

  bool ok() const { return r_.ok(); }
  ByteReader& raw() { return r_; }

  std::optional<std::string> nullable_string() {
    int64_t len = flexible_ ? int64_t(r_.uvarint()) - 1 : r_.i16();
    if (!r_.ok()) return std::nullopt;
    if (len < 0) {
      if (len < -1) r_.fail();
      return std::nullopt;
    }
    const uint8_t* p = r_.take(size_t(len));
    if (!p) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(p), size_t(len));
  }
  std::string string() {
    auto s = nullable_string();
    if (!s) r_.fail();  // null where the schema has no null
    return s ? std::move(*s) : std::string();
  }
  Bytes bytes() {
    int64_t len = flexible_ ? int64_t(r_.uvarint()) - 1 : r_.i32();
    if (!r_.ok() || len < 0) {
      r_.fail();
      return {};
    }
    const uint8_t* p = r_.take(size_t(len));
    if (!p) return {};
    return Bytes(p, p + len);
  }
  // A count checked against the bytes that remain (every element takes at
  // least one byte), so that a corrupt count cannot make us allocate.
  size_t array_length() {
    int64_t n = flexible_ ? int64_t(r_.uvarint()) - 1 : r_.i32();
    if (!r_.ok() || n < 0 || size_t(n) > r_.remaining()) {
      r_.fail();
      return 0;
    }
    return size_t(n);
  }
  // Skips the tagged fields that end a flexible struct: none are known here.
  void end_struct() {
    if (!flexible_) return;
    uint32_t n = r_.uvarint();
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      r_.uvarint();  // tag
      r_.skip(r_.uvarint());
    }
  }

 private:
  ByteReader r_;
  bool flexible_;
};

Error corrupt(std::string what) { return Error{ErrorCode::kCorruptMessage, std::move(what)}; }

}  // namespace

// --- keys ----------------------------------------------------------------------

Bytes encode_key(const OffsetCommitKey& key) {
  Writer w(false);
  w.raw().i16(kOffsetCommitKeyVersion);
  w.string(key.group);
  w.string(key.topic);
  w.raw().i32(key.partition);
  return w.take();
}

Bytes encode_key(const GroupMetadataKey& key) {
  Writer w(false);
  w.raw().i16(kGroupMetadataKeyVersion);
  w.string(key.group);
  return w.take();
}

Result<RecordKey> decode_key(ByteSpan bytes) {
  Reader r(bytes, false);
  int16_t version = r.raw().i16();
  if (!r.ok()) return corrupt("__consumer_offsets key shorter than its version");
  switch (version) {
    case kOffsetCommitKeyVersionLegacy:
    case kOffsetCommitKeyVersion: {
      OffsetCommitKey key;
      key.group = r.string();
      key.topic = r.string();
      key.partition = r.raw().i32();
      if (!r.ok()) return corrupt("malformed OffsetCommitKey");
      return RecordKey(std::move(key));
    }
    case kGroupMetadataKeyVersion: {
      GroupMetadataKey key;
      key.group = r.string();
      if (!r.ok()) return corrupt("malformed GroupMetadataKey");
      return RecordKey(std::move(key));
    }
    default:
      if (version < 0) return corrupt(fmt::format("negative key version {}", version));
      return RecordKey(OtherKey{version});
  }
}

// --- OffsetCommitValue ---------------------------------------------------------

int16_t offset_commit_value_version(const OffsetCommitValue& value) {
  return value.expire_timestamp_ms >= 0 ? 1 : 3;
}

Bytes encode_value(const OffsetCommitValue& value, int16_t version) {
  assert(version >= 0 && version <= kOffsetCommitValueMaxVersion);
  Writer w(version >= kFirstFlexibleValueVersion);
  w.raw().i16(version);
  w.raw().i64(value.offset);
  if (version >= 3) w.raw().i32(value.leader_epoch);
  w.string(value.metadata);
  w.raw().i64(value.commit_timestamp_ms);
  if (version == 1) w.raw().i64(value.expire_timestamp_ms);
  w.end_struct();
  return w.take();
}

Result<OffsetCommitValue> decode_offset_commit_value(ByteSpan bytes) {
  int16_t version = ByteReader(bytes).i16();
  if (bytes.size() < 2 || version < 0 || version > kOffsetCommitValueMaxVersion) {
    return corrupt(fmt::format("unknown OffsetCommitValue version {}", version));
  }
  Reader r(bytes, version >= kFirstFlexibleValueVersion);
  r.raw().skip(2);
  OffsetCommitValue v;
  v.offset = r.raw().i64();
  if (version >= 3) v.leader_epoch = r.raw().i32();
  v.metadata = r.string();
  v.commit_timestamp_ms = r.raw().i64();
  if (version == 1) v.expire_timestamp_ms = r.raw().i64();
  r.end_struct();
  if (!r.ok()) return corrupt(fmt::format("malformed OffsetCommitValue v{}", version));
  return v;
}

// --- GroupMetadataValue --------------------------------------------------------

Bytes encode_value(const GroupMetadataValue& value, int16_t version) {
  assert(version >= 0 && version <= kGroupMetadataValueMaxVersion);
  Writer w(version >= kFirstFlexibleValueVersion);
  w.raw().i16(version);
  w.string(value.protocol_type);
  w.raw().i32(value.generation);
  w.nullable_string(value.protocol);
  w.nullable_string(value.leader);
  if (version >= 2) w.raw().i64(value.current_state_timestamp_ms);
  w.array_length(value.members.size());
  for (const auto& m : value.members) {
    w.string(m.member_id);
    if (version >= 3) w.nullable_string(m.group_instance_id);
    w.string(m.client_id);
    w.string(m.client_host);
    if (version >= 1) w.raw().i32(m.rebalance_timeout_ms);
    w.raw().i32(m.session_timeout_ms);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
    w.end_struct();
  }
  w.end_struct();
  return w.take();
}

Result<GroupMetadataValue> decode_group_metadata_value(ByteSpan bytes) {
  int16_t version = ByteReader(bytes).i16();
  if (bytes.size() < 2 || version < 0 || version > kGroupMetadataValueMaxVersion) {
    return corrupt(fmt::format("unknown GroupMetadataValue version {}", version));
  }
  Reader r(bytes, version >= kFirstFlexibleValueVersion);
  r.raw().skip(2);
  GroupMetadataValue v;
  v.protocol_type = r.string();
  v.generation = r.raw().i32();
  v.protocol = r.nullable_string();
  v.leader = r.nullable_string();
  if (version >= 2) v.current_state_timestamp_ms = r.raw().i64();
  size_t n = r.array_length();
  v.members.reserve(n);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    GroupMemberMetadata m;
    m.member_id = r.string();
    if (version >= 3) m.group_instance_id = r.nullable_string();
    m.client_id = r.string();
    m.client_host = r.string();
    if (version >= 1) m.rebalance_timeout_ms = r.raw().i32();
    m.session_timeout_ms = r.raw().i32();
    // Version 0 has no rebalance timeout: Kafka reads it as the session timeout.
    if (version == 0) m.rebalance_timeout_ms = m.session_timeout_ms;
    m.subscription = r.bytes();
    m.assignment = r.bytes();
    r.end_struct();
    v.members.push_back(std::move(m));
  }
  r.end_struct();
  if (!r.ok()) return corrupt(fmt::format("malformed GroupMetadataValue v{}", version));
  return v;
}

}  // namespace moldau::coordinator
