// The records of consumer-protocol groups (KIP-848) in __consumer_offsets,
// in Kafka's formats (its key "versions" 3 to 8 name the record type).
// docs/groups.md, "KIP-848", lists them field by field.
//
// Keys are non-flexible: int16 record type, then int16-length strings.
// Values are flexible: int16 version (0), compact strings/arrays (length + 1
// as unsigned varint), each struct ending with tagged fields. Partitions are
// named by topic id in the records and by topic name here: encoding and
// decoding take the mapping (a topic that no longer exists is left out when
// decoding).
//
// A record with a null value is a tombstone: the key is deleted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "coordinator/consumer_group_assignor.h"

namespace moldau::coordinator {

enum class ConsumerRecordType : int16_t {
  kGroupMetadata = 3,             // ConsumerGroupMetadata: group epoch
  kPartitionMetadata = 4,         // ConsumerGroupPartitionMetadata: not written, skipped when read
  kMemberMetadata = 5,            // ConsumerGroupMemberMetadata
  kTargetAssignmentMetadata = 6,  // ConsumerGroupTargetAssignmentMetadata: assignment epoch
  kTargetAssignmentMember = 7,    // ConsumerGroupTargetAssignmentMember
  kCurrentMemberAssignment = 8,   // ConsumerGroupCurrentMemberAssignment
};

// Whether a key version is one of the types above.
constexpr bool is_consumer_record_type(int16_t v) { return v >= 3 && v <= 8; }

struct ConsumerRecordKey {
  ConsumerRecordType type = ConsumerRecordType::kGroupMetadata;
  std::string group_id;
  std::string member_id;  // types 5, 7, 8 only
  bool operator==(const ConsumerRecordKey&) const = default;
};

struct ConsumerGroupMetadataValue {
  int32_t epoch = 0;
  int64_t metadata_hash = 0;  // tag 0: our hash of the subscribed topics' partition counts
  bool operator==(const ConsumerGroupMetadataValue&) const = default;
};

struct ConsumerMemberMetadataValue {
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::string> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  int32_t rebalance_timeout_ms = -1;
  std::optional<std::string> server_assignor;
  bool operator==(const ConsumerMemberMetadataValue&) const = default;
};

struct ConsumerTargetAssignmentMetadataValue {
  int32_t assignment_epoch = 0;
  bool operator==(const ConsumerTargetAssignmentMetadataValue&) const = default;
};

struct ConsumerTargetAssignmentMemberValue {
  PartitionSet partitions;
  bool operator==(const ConsumerTargetAssignmentMemberValue&) const = default;
};

struct ConsumerCurrentAssignmentValue {
  int32_t member_epoch = 0;
  int32_t previous_member_epoch = 0;
  int8_t state = 0;  // Kafka's MemberState: 0 stable, 1 unrevoked, 2 unreleased partitions
  PartitionSet assigned;
  PartitionSet pending_revocation;
  bool operator==(const ConsumerCurrentAssignmentValue&) const = default;
};

using ConsumerRecordValue =
    std::variant<ConsumerGroupMetadataValue, ConsumerMemberMetadataValue, ConsumerTargetAssignmentMetadataValue,
                 ConsumerTargetAssignmentMemberValue, ConsumerCurrentAssignmentValue>;

// The record type a value belongs to.
ConsumerRecordType record_type_of(const ConsumerRecordValue& v);

// One record a consumer group wants written (the driver encodes it).
struct ConsumerGroupRecord {
  int32_t partition = 0;  // of __consumer_offsets
  ConsumerRecordKey key;
  std::optional<ConsumerRecordValue> value;  // nullopt: tombstone
  bool operator==(const ConsumerGroupRecord&) const = default;
};

// A topic id as two big-endian halves (protocol::Uuid's layout).
struct RecordTopicId {
  uint64_t hi = 0;
  uint64_t lo = 0;
  auto operator<=>(const RecordTopicId&) const = default;
};
using TopicIdOf = std::function<std::optional<RecordTopicId>(std::string_view name)>;
using TopicNameOf = std::function<std::optional<std::string>(const RecordTopicId& id)>;

Bytes encode_key(const ConsumerRecordKey& key);
// Topics `id_of` does not know are left out.
Bytes encode_value(const ConsumerRecordValue& value, const TopicIdOf& id_of);

// kCorruptMessage on a short, malformed or unknown-version record or on a
// key that is not of types 3-8.
Result<ConsumerRecordKey> decode_consumer_key(ByteSpan bytes);
// The value of a key of `type` (not kPartitionMetadata). Topics `name_of`
// does not know are left out.
Result<ConsumerRecordValue> decode_consumer_value(ConsumerRecordType type, ByteSpan bytes, const TopicNameOf& name_of);

}  // namespace moldau::coordinator
