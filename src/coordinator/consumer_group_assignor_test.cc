// The server-side assignors (docs/groups.md, "KIP-848"): every subscribed
// partition assigned exactly once, balanced, and sticky for "uniform".
#include "coordinator/consumer_group_assignor.h"

#include <gtest/gtest.h>

namespace moldau::coordinator {
namespace {

AssignorMember member(std::string id, std::set<std::string, std::less<>> topics) {
  return AssignorMember{std::move(id), std::nullopt, std::move(topics)};
}

// Each partition of the subscribed topics exactly once.
void expect_complete(const AssignorOutput& out, const TopicPartitionCounts& topics) {
  std::map<std::pair<std::string, int32_t>, int> seen;
  for (const auto& [m, ps] : out) {
    for (const auto& [t, parts] : ps) {
      for (int32_t p : parts) ++seen[{t, p}];
    }
  }
  for (const auto& [t, n] : topics) {
    for (int32_t p = 0; p < n; ++p) EXPECT_EQ(seen[std::make_pair(t, p)], 1) << t << "-" << p;
  }
}

TEST(UniformAssignor, BalancedWithinOne) {
  AssignorInput in;
  in.partitions = {{"a", 4}, {"b", 3}};
  for (const char* id : {"m1", "m2", "m3"}) in.members.push_back(member(id, {"a", "b"}));
  auto out = assign_uniform(in);
  expect_complete(out, in.partitions);
  std::multiset<size_t> counts;
  for (const auto& [m, ps] : out) counts.insert(partition_count(ps));
  EXPECT_EQ(counts, (std::multiset<size_t>{2, 2, 3}));
}

TEST(UniformAssignor, StickyWhenAMemberJoins) {
  AssignorInput in;
  in.partitions = {{"t", 6}};
  for (const char* id : {"m1", "m2", "m3"}) in.members.push_back(member(id, {"t"}));
  auto first = assign_uniform(in);
  in.previous = first;
  in.members.push_back(member("m4", {"t"}));
  auto second = assign_uniform(in);
  expect_complete(second, in.partitions);
  size_t moved = 0;
  for (const char* id : {"m1", "m2", "m3"}) {
    for (int32_t p : second[id]["t"]) EXPECT_TRUE(first[id]["t"].contains(p)) << id << " gained " << p;
    moved += first[id]["t"].size() - second[id]["t"].size();
  }
  // Only what the new member needs moves: 6 partitions over 4 members is
  // 2, 2, 1, 1, so one partition moves.
  EXPECT_EQ(moved, 1u);
  EXPECT_EQ(partition_count(second["m4"]), 1u);
}

TEST(UniformAssignor, StickyWhenAMemberLeaves) {
  AssignorInput in;
  in.partitions = {{"t", 6}};
  for (const char* id : {"m1", "m2", "m3"}) in.members.push_back(member(id, {"t"}));
  auto first = assign_uniform(in);
  in.previous = first;
  in.members.pop_back();
  auto second = assign_uniform(in);
  expect_complete(second, in.partitions);
  for (const char* id : {"m1", "m2"}) {
    EXPECT_EQ(second[id]["t"].size(), 3u);
    for (int32_t p : first[id]["t"]) EXPECT_TRUE(second[id]["t"].contains(p));
  }
}

TEST(UniformAssignor, DifferentSubscriptions) {
  AssignorInput in;
  in.partitions = {{"a", 4}, {"b", 4}, {"unsubscribed", 3}};
  in.members = {member("m1", {"a"}), member("m2", {"a", "b"}), member("m3", {"b"})};
  auto out = assign_uniform(in);
  expect_complete(out, {{"a", 4}, {"b", 4}});
  EXPECT_FALSE(out["m1"].contains("b"));
  EXPECT_FALSE(out["m3"].contains("a"));
  for (const auto& [m, ps] : out) EXPECT_FALSE(ps.contains("unsubscribed"));
  // 8 partitions, every member can reach balance: 3/3/2 in some order.
  std::multiset<size_t> counts;
  for (const auto& [m, ps] : out) counts.insert(partition_count(ps));
  EXPECT_EQ(counts, (std::multiset<size_t>{2, 3, 3}));
}

TEST(UniformAssignor, PreviousPartitionsThatNoLongerExistAreDropped) {
  AssignorInput in;
  in.partitions = {{"t", 2}};
  in.members = {member("m1", {"t"})};
  in.previous["m1"]["t"] = {0, 1, 5};
  in.previous["m1"]["gone"] = {0};
  auto out = assign_uniform(in);
  EXPECT_EQ(out["m1"], (PartitionSet{{"t", {0, 1}}}));
}

TEST(RangeAssignor, ConsecutiveRangesPerTopic) {
  AssignorInput in;
  in.partitions = {{"a", 7}, {"b", 2}};
  in.members = {member("m2", {"a", "b"}), member("m1", {"a", "b"}), member("m3", {"a"})};
  auto out = assign_range(in);
  expect_complete(out, in.partitions);
  EXPECT_EQ(out["m1"]["a"], (std::set<int32_t>{0, 1, 2}));
  EXPECT_EQ(out["m2"]["a"], (std::set<int32_t>{3, 4}));
  EXPECT_EQ(out["m3"]["a"], (std::set<int32_t>{5, 6}));
  EXPECT_EQ(out["m1"]["b"], (std::set<int32_t>{0}));
  EXPECT_EQ(out["m2"]["b"], (std::set<int32_t>{1}));
}

TEST(Assignors, Names) {
  EXPECT_EQ(assignor_name("uniform"), "uniform");
  EXPECT_EQ(assignor_name("org.apache.kafka.coordinator.group.assignor.RangeAssignor"), "range");
  EXPECT_EQ(assignor_name("sticky"), std::nullopt);
}

}  // namespace
}  // namespace moldau::coordinator
