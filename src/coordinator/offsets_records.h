// The key/value records of the internal topic __consumer_offsets, in Kafka's
// own formats so that Kafka's tools (kafka-console-consumer with the offsets
// formatters, kafka-dump-log --offsets-decoder) read them. docs/groups.md
// lists the layouts field by field.
//
// Every key and every value starts with an int16 version. The key version
// says which record it is:
//   0, 1  OffsetCommitKey     group, topic, partition
//   2     GroupMetadataKey    group
//   3+    KIP-848 and share-group records; not read by this coordinator yet
// A record with a null value is a tombstone: the key is deleted.
//
// Non-flexible versions use int16-length strings and int32-length bytes and
// arrays; flexible versions (value version 4) use compact lengths (unsigned
// varint, length + 1) and end each struct with tagged fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace moldau::coordinator {

// Key versions.
constexpr int16_t kOffsetCommitKeyVersionLegacy = 0;
constexpr int16_t kOffsetCommitKeyVersion = 1;
constexpr int16_t kGroupMetadataKeyVersion = 2;

// Value versions this code reads; what it writes is in the encode functions.
constexpr int16_t kOffsetCommitValueMaxVersion = 4;
constexpr int16_t kGroupMetadataValueMaxVersion = 4;
constexpr int16_t kFirstFlexibleValueVersion = 4;

// Keys and non-flexible values hold strings with an int16 length, so no
// string that reaches a record may be longer: the coordinator rejects longer
// group ids, client ids, hosts and instance ids before they get here.
constexpr size_t kMaxRecordStringBytes = 32767;

struct OffsetCommitKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  bool operator==(const OffsetCommitKey&) const = default;
};

struct GroupMetadataKey {
  std::string group;
  bool operator==(const GroupMetadataKey&) const = default;
};

// A key of a record type this coordinator does not read (KIP-848 consumer
// groups, share groups, ...). Loading skips it.
struct OtherKey {
  int16_t version = 0;
  bool operator==(const OtherKey&) const = default;
};

using RecordKey = std::variant<OffsetCommitKey, GroupMetadataKey, OtherKey>;

struct OffsetCommitValue {
  int64_t offset = 0;
  int32_t leader_epoch = -1;       // v3+; -1: none
  std::string metadata;
  int64_t commit_timestamp_ms = 0;
  int64_t expire_timestamp_ms = -1;  // v1 only; -1: the broker's retention applies
  bool operator==(const OffsetCommitValue&) const = default;
};

struct GroupMemberMetadata {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;  // v1+; a v0 record reads as the session timeout
  int32_t session_timeout_ms = 0;
  Bytes subscription;  // the member's metadata for the group's protocol
  Bytes assignment;
  bool operator==(const GroupMemberMetadata&) const = default;
};

struct GroupMetadataValue {
  std::string protocol_type;  // "" for a group without one
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp_ms = -1;  // v2+; -1: unknown
  std::vector<GroupMemberMetadata> members;
  bool operator==(const GroupMetadataValue&) const = default;
};

Bytes encode_key(const OffsetCommitKey& key);
Bytes encode_key(const GroupMetadataKey& key);

// The version Kafka writes: 1 when the commit carries its own expire
// timestamp (OffsetCommit v1-v4 with a retention time), else 3.
int16_t offset_commit_value_version(const OffsetCommitValue& value);
// REQUIRES: 0 <= version <= kOffsetCommitValueMaxVersion. Fields the version
// lacks are not written.
Bytes encode_value(const OffsetCommitValue& value, int16_t version);
inline Bytes encode_value(const OffsetCommitValue& value) {
  return encode_value(value, offset_commit_value_version(value));
}

// Kafka writes version 3 (every field of the classic group).
constexpr int16_t kGroupMetadataValueWriteVersion = 3;
// REQUIRES: 0 <= version <= kGroupMetadataValueMaxVersion.
Bytes encode_value(const GroupMetadataValue& value, int16_t version);
inline Bytes encode_value(const GroupMetadataValue& value) {
  return encode_value(value, kGroupMetadataValueWriteVersion);
}

// Decoders never trust a length. They fail with kCorruptMessage on a short
// or malformed record and on a version they do not know.
Result<RecordKey> decode_key(ByteSpan bytes);
Result<OffsetCommitValue> decode_offset_commit_value(ByteSpan bytes);
Result<GroupMetadataValue> decode_group_metadata_value(ByteSpan bytes);

}  // namespace moldau::coordinator
