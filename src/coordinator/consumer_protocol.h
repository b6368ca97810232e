// The embedded consumer protocol ("consumer" protocol type): what consumers
// put in JoinGroup metadata (ConsumerProtocolSubscription) and what the
// leader hands out in SyncGroup (ConsumerProtocolAssignment). The broker
// treats both as opaque bytes except for two things: the subscribed topics
// (OffsetDelete answers GROUP_SUBSCRIBED_TO_TOPIC, offsets of subscribed
// topics of a Stable group do not expire) and showing assignments to people.
//
// Both start with an int16 version and are non-flexible in every version:
//   Subscription v0: topics [string], user_data nullable bytes
//                v1: + owned_partitions [topic string, partitions [int32]]
//                v2: + generation_id int32      v3: + rack_id nullable string
//   Assignment   v0-3: assigned_partitions [topic, partitions [int32]],
//                      user_data nullable bytes
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace moldau::coordinator {

inline constexpr std::string_view kConsumerProtocolType = "consumer";

struct TopicPartitions {
  std::string topic;
  std::vector<int32_t> partitions;
  bool operator==(const TopicPartitions&) const = default;
};

struct ConsumerSubscription {
  int16_t version = 3;
  std::vector<std::string> topics;
  std::optional<Bytes> user_data;
  std::vector<TopicPartitions> owned_partitions;  // v1+
  int32_t generation_id = -1;                     // v2+
  std::optional<std::string> rack_id;             // v3+
  bool operator==(const ConsumerSubscription&) const = default;
};

struct ConsumerAssignment {
  int16_t version = 3;
  std::vector<TopicPartitions> partitions;
  std::optional<Bytes> user_data;
  bool operator==(const ConsumerAssignment&) const = default;
};

// The topics of a subscription of any version, read with the version-0
// layout that prefixes every version (as Kafka does, so that a newer client
// version does not break the broker). nullopt when malformed.
std::optional<std::vector<std::string>> subscription_topics(ByteSpan metadata);

Bytes encode_subscription(const ConsumerSubscription& s);
Result<ConsumerSubscription> decode_subscription(ByteSpan bytes);
Bytes encode_assignment(const ConsumerAssignment& a);
Result<ConsumerAssignment> decode_assignment(ByteSpan bytes);

}  // namespace moldau::coordinator
