// The server-side assignors of the consumer rebalance protocol (KIP-848):
// given the members' subscriptions, the topics' partition counts and the
// previous target assignment, the next target assignment. Pure functions.
// docs/groups.md, "KIP-848", says how they behave.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace moldau::coordinator {

// Partitions by topic name.
using PartitionSet = std::map<std::string, std::set<int32_t>, std::less<>>;
// Partition counts by topic name (the topics that exist).
using TopicPartitionCounts = std::map<std::string, int32_t, std::less<>>;

size_t partition_count(const PartitionSet& s);

struct AssignorMember {
  std::string member_id;
  std::optional<std::string> rack_id;
  std::set<std::string, std::less<>> topics;  // subscribed topics that exist
};

struct AssignorInput {
  std::vector<AssignorMember> members;  // any order; member ids unique
  TopicPartitionCounts partitions;
  // The previous target assignment by member id (stickiness).
  std::map<std::string, PartitionSet, std::less<>> previous;
};

using AssignorOutput = std::map<std::string, PartitionSet, std::less<>>;

// "uniform" (the default): every partition of a subscribed topic goes to
// one member subscribed to it; counts differ by at most one among members
// with the same subscriptions; partitions stay where they were when that
// keeps the balance.
AssignorOutput assign_uniform(const AssignorInput& in);
// "range": per topic, the members subscribed to it in member-id order get
// consecutive ranges, the first (count % members) one partition more.
AssignorOutput assign_range(const AssignorInput& in);

// "uniform" or "range"; Kafka's class names (…assignor.UniformAssignor,
// …assignor.RangeAssignor) are accepted for them. nullopt: unknown.
std::optional<std::string> assignor_name(std::string_view configured);
// REQUIRES: name is "uniform" or "range".
AssignorOutput run_assignor(std::string_view name, const AssignorInput& in);

}  // namespace moldau::coordinator
