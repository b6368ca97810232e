// Metadata records: the entries of the metadata log (docs/metadata.md).
//
// Cluster state is the result of applying these records in log order
// (ARCHITECTURE.md §2). They are Moldau's own types with Moldau's own binary
// encoding (type, version, fields; see docs/metadata.md "Record encoding"),
// named and numbered after Kafka's KRaft records so that the two are easy to
// compare.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "metadata/topic_id.h"

namespace moldau::metadata {

// Kafka's ConfigResource.Type wire values.
enum class ConfigResourceType : int8_t {
  kUnknown = 0,
  kTopic = 2,
  kBroker = 4,
};

// Kafka's SecurityProtocol ids.
enum class SecurityProtocol : int16_t {
  kPlaintext = 0,
  kSsl = 1,
  kSaslPlaintext = 2,
  kSaslSsl = 3,
};

struct BrokerEndpoint {
  std::string listener;  // listener name, e.g. "PLAINTEXT"
  std::string host;
  uint16_t port = 0;
  SecurityProtocol security_protocol = SecurityProtocol::kPlaintext;
  friend bool operator==(const BrokerEndpoint&, const BrokerEndpoint&) = default;
};

// A broker announces itself (node id, where clients reach it). A later record
// for the same node id replaces the earlier one; the offset of the record is
// the broker's epoch.
struct RegisterBrokerRecord {
  int32_t node_id = -1;
  std::vector<BrokerEndpoint> endpoints;
  std::optional<std::string> rack;
  friend bool operator==(const RegisterBrokerRecord&, const RegisterBrokerRecord&) = default;
};

// A topic comes into being. Its partitions follow as PartitionRecords.
struct TopicRecord {
  std::string name;
  TopicId topic_id;
  friend bool operator==(const TopicRecord&, const TopicRecord&) = default;
};

// The full state of one partition. A PartitionRecord for a partition that
// already exists replaces it (leader or ISR changes are written this way until
// a smaller change record is worth having).
struct PartitionRecord {
  TopicId topic_id;
  int32_t partition = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int32_t leader = -1;  // -1: no leader
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  friend bool operator==(const PartitionRecord&, const PartitionRecord&) = default;
};

// A topic, its partitions and its config overrides go away.
struct RemoveTopicRecord {
  TopicId topic_id;
  friend bool operator==(const RemoveTopicRecord&, const RemoveTopicRecord&) = default;
};

// Sets (value present) or deletes (value absent) one dynamic config. For a
// broker resource the name is the node id as text, or "" for the cluster-wide
// default.
struct ConfigRecord {
  ConfigResourceType resource_type = ConfigResourceType::kUnknown;
  std::string resource_name;
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const ConfigRecord&, const ConfigRecord&) = default;
};

// A block of producer ids handed out: the next block starts at next_producer_id.
struct ProducerIdsRecord {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  int64_t next_producer_id = 0;
  friend bool operator==(const ProducerIdsRecord&, const ProducerIdsRecord&) = default;
};

using Record = std::variant<RegisterBrokerRecord, TopicRecord, PartitionRecord, RemoveTopicRecord,
                            ConfigRecord, ProducerIdsRecord>;

// Type numbers on disk; the same numbers as Kafka's metadata record types.
enum class RecordType : uint16_t {
  kRegisterBroker = 0,
  kTopic = 2,
  kPartition = 3,
  kConfig = 4,
  kRemoveTopic = 10,
  kProducerIds = 15,
};

// The version each type is written with; a decoder reads this and older.
inline constexpr uint16_t kRecordVersion = 0;

// Limits checked when decoding (ARCHITECTURE.md §5), also asserted on encode.
inline constexpr size_t kMaxNameBytes = 32767;          // topic, listener, config names
inline constexpr size_t kMaxConfigValueBytes = 1 << 20;  // one config value
inline constexpr size_t kMaxReplicas = 65536;            // replicas or ISR of one partition
inline constexpr size_t kMaxEndpoints = 1024;

RecordType record_type(const Record& record);
std::string_view record_type_name(RecordType type);

// Appends type, version and fields of `record` to `out`.
void encode_record(const Record& record, ByteWriter& out);
Bytes encode_record(const Record& record);
// Decodes exactly one record occupying all of `data`. CORRUPT_MESSAGE for
// malformed bytes, UNSUPPORTED_VERSION for a type or version this build does
// not know (written by a newer Moldau).
Result<Record> decode_record(ByteSpan data);

// One line for logs and test failures.
std::string to_string(const Record& record);

}  // namespace moldau::metadata
