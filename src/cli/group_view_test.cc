#include <gtest/gtest.h>

#include "cli/group_cmd.h"

namespace moldau::cli {
namespace {

TEST(GroupTopicSpec, TopicAloneOrWithPartitionsAndRanges) {
  auto all = parse_topic_spec("orders");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->topic, "orders");
  EXPECT_TRUE(all->partitions.empty());
  auto some = parse_topic_spec("orders:5,0,2-3,2");
  ASSERT_TRUE(some);
  EXPECT_EQ(some->partitions, (std::vector<int32_t>{0, 2, 3, 5}));
  // A topic name may not contain ':', so the last one splits.
  EXPECT_FALSE(parse_topic_spec(":1"));
  EXPECT_FALSE(parse_topic_spec("orders:"));
  EXPECT_FALSE(parse_topic_spec("orders:x"));
  EXPECT_FALSE(parse_topic_spec("orders:-1"));
  EXPECT_FALSE(parse_topic_spec("orders:3-1"));
  EXPECT_FALSE(parse_topic_spec("orders:1,,2"));
  auto huge = parse_topic_spec("orders:0-999999");
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("too many partitions"), std::string::npos);
}

TEST(GroupState, AnyCaseIsCanonical) {
  EXPECT_EQ(canonical_group_state("stable"), "Stable");
  EXPECT_EQ(canonical_group_state("PREPARINGREBALANCE"), "PreparingRebalance");
  EXPECT_EQ(canonical_group_state("running"), std::nullopt);
}

TEST(GroupList, TableAndJson) {
  std::vector<GroupListing> groups = {{"billing", "Stable", "consumer", "classic"},
                                      {"offsets-only", "Empty", "", "classic"}};
  EXPECT_EQ(render_group_list(groups),
            "GROUP         STATE   PROTOCOL-TYPE  TYPE\n"
            "billing       Stable  consumer       classic\n"
            "offsets-only  Empty   -              classic\n");
  EXPECT_EQ(group_list_json({groups[0]}).dump(-1),
            R"([{"group":"billing","state":"Stable","protocol_type":"consumer","type":"classic"}])");
  EXPECT_EQ(render_group_list({}), "No groups.\n");
  // Before ListGroups v5 there is no type column.
  EXPECT_EQ(render_group_list({{"g", "Empty", "consumer", ""}}),
            "GROUP  STATE  PROTOCOL-TYPE\n"
            "g      Empty  consumer\n");
}

GroupDescription two_members() {
  GroupDescription d;
  d.group_id = "billing";
  d.state = "Stable";
  d.protocol_type = "consumer";
  d.protocol = "range";
  d.members.push_back({"c1-aaa", std::nullopt, "c1", "/10.0.0.1",
                       std::vector<AssignedPartitions>{{"orders", {0, 1}}}});
  d.members.push_back({"c2-bbb", std::nullopt, "c2", "/10.0.0.2",
                       std::vector<AssignedPartitions>{{"orders", {2}}}});
  // orders:1 has nothing committed yet; old:0 is committed but unassigned.
  collect_partitions(d, {{{"orders", 0}, 40}, {{"orders", 2}, 7}, {{"old", 0}, 3}});
  for (auto& p : d.partitions) {
    if (p.topic == "orders") p.end = p.partition == 0 ? 50 : p.partition == 1 ? 9 : 7;
  }
  d.partitions[0].error = "UNKNOWN_TOPIC_OR_PARTITION";  // old:0
  return d;
}

TEST(GroupDescribe, UnionOfCommittedAndAssignedWithLag) {
  GroupDescription d = two_members();
  ASSERT_EQ(d.partitions.size(), 4u);
  EXPECT_EQ(d.partitions[0].topic, "old");
  EXPECT_EQ(d.partitions[0].owner, -1);
  EXPECT_EQ(d.partitions[1].owner, 0);
  EXPECT_EQ(d.partitions[2].owner, 0);
  EXPECT_EQ(d.partitions[3].owner, 1);
  EXPECT_EQ(lag_of(d.partitions[1]), 10);
  EXPECT_EQ(lag_of(d.partitions[2]), std::nullopt);  // nothing committed
  EXPECT_EQ(lag_of(d.partitions[3]), 0);
  PartitionLag ahead{"t", 0, 12, 10, {}, -1};  // committed past the end (truncated log)
  EXPECT_EQ(lag_of(ahead), 0);
  EXPECT_EQ(render_group_describe(d),
            "Group: billing\n"
            "State: Stable, protocol: consumer (range), members: 2\n"
            "\n"
            "MEMBER-ID  CLIENT-ID  HOST       PARTITIONS\n"
            "c1-aaa     c1         /10.0.0.1  orders:0-1\n"
            "c2-bbb     c2         /10.0.0.2  orders:2\n"
            "\n"
            "TOPIC   PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST       "
            "CLIENT-ID  ERROR\n"
            "old     0          3               -               -    -            -          "
            "-          UNKNOWN_TOPIC_OR_PARTITION\n"
            "orders  0          40              50              10   c1-aaa       /10.0.0.1  c1\n"
            "orders  1          -               9               -    c1-aaa       /10.0.0.1  c1\n"
            "orders  2          7               7               0    c2-bbb       /10.0.0.2  c2\n"
            "Total lag: 10\n");
}

TEST(GroupDescribe, Json) {
  GroupDescription d = two_members();
  std::string j = group_describe_json(d).dump(-1);
  EXPECT_NE(j.find(R"("members":[{"member_id":"c1-aaa","instance_id":null,"client_id":"c1",)"
                   R"("host":"/10.0.0.1","assignment":[{"topic":"orders","partitions":[0,1]}]})"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find(R"({"topic":"orders","partition":0,"committed_offset":40,"log_end_offset":50,)"
                   R"("lag":10,"member_id":"c1-aaa","host":"/10.0.0.1","client_id":"c1"})"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("total_lag":10)"), std::string::npos);
}

TEST(GroupDescribe, EmptyGroupWithoutOffsets) {
  GroupDescription d;
  d.group_id = "g";
  d.state = "Empty";
  d.protocol_type = "consumer";
  collect_partitions(d, {});
  EXPECT_EQ(render_group_describe(d),
            "Group: g\n"
            "State: Empty, protocol: consumer, members: 0\n"
            "\n"
            "No committed offsets and no assigned partitions.\n");
}

std::vector<PartitionOffsets> offsets() {
  // committed 5 of [2, 10); nothing committed of [0, 4); empty partition at 6.
  return {{"t", 0, 5, 2, 10, 8}, {"t", 1, std::nullopt, 0, 4, std::nullopt}, {"t", 2, 6, 6, 6, {}}};
}

std::vector<int64_t> targets(const std::vector<PlannedReset>& plan) {
  std::vector<int64_t> out;
  for (const auto& r : plan) out.push_back(r.target);
  return out;
}

TEST(ResetPlan, EarliestLatestDatetime) {
  auto e = plan_reset({ResetTo::kEarliest, 0}, offsets());
  ASSERT_TRUE(e);
  EXPECT_EQ(targets(*e), (std::vector<int64_t>{2, 0, 6}));
  EXPECT_EQ((*e)[0].current, 5);
  EXPECT_EQ((*e)[1].current, std::nullopt);
  auto l = plan_reset({ResetTo::kLatest, 0}, offsets());
  ASSERT_TRUE(l);
  EXPECT_EQ(targets(*l), (std::vector<int64_t>{10, 4, 6}));
  // No record at or after the time: the end.
  auto d = plan_reset({ResetTo::kDatetime, 0}, offsets());
  ASSERT_TRUE(d);
  EXPECT_EQ(targets(*d), (std::vector<int64_t>{8, 4, 6}));
}

TEST(ResetPlan, OffsetIsClampedWithANote) {
  auto p = plan_reset({ResetTo::kOffset, 3}, offsets());
  ASSERT_TRUE(p);
  EXPECT_EQ(targets(*p), (std::vector<int64_t>{3, 3, 6}));
  EXPECT_EQ((*p)[0].note, "");
  EXPECT_EQ((*p)[2].note, "3 is before the log start; clamped");
  auto far = plan_reset({ResetTo::kOffset, 1000}, offsets());
  ASSERT_TRUE(far);
  EXPECT_EQ(targets(*far), (std::vector<int64_t>{10, 4, 6}));
  EXPECT_EQ((*far)[0].note, "1000 is past the log end; clamped");
}

TEST(ResetPlan, ShiftByNeedsACommittedOffsetAndSaturates) {
  auto missing = plan_reset({ResetTo::kShiftBy, -2}, offsets());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("t:1 has none"), std::string::npos)
      << missing.error().message;
  std::vector<PartitionOffsets> committed = {offsets()[0], offsets()[2]};
  auto back = plan_reset({ResetTo::kShiftBy, -2}, committed);
  ASSERT_TRUE(back);
  EXPECT_EQ(targets(*back), (std::vector<int64_t>{3, 6}));
  auto forward = plan_reset({ResetTo::kShiftBy, INT64_MAX}, committed);
  ASSERT_TRUE(forward);
  EXPECT_EQ(targets(*forward), (std::vector<int64_t>{10, 6}));
  auto backward = plan_reset({ResetTo::kShiftBy, INT64_MIN}, committed);
  ASSERT_TRUE(backward);
  EXPECT_EQ(targets(*backward), (std::vector<int64_t>{2, 6}));
}

TEST(ResetPlan, RenderDryRunAndExecuted) {
  auto p = plan_reset({ResetTo::kOffset, 3}, {offsets()[0], offsets()[1]});
  ASSERT_TRUE(p);
  EXPECT_EQ(render_reset_plan("g", *p, false),
            "TOPIC  PARTITION  CURRENT-OFFSET  NEW-OFFSET\n"
            "t      0          5               3\n"
            "t      1          -               3\n"
            "Dry run: nothing was changed. Add --execute to commit these offsets.\n");
  EXPECT_NE(render_reset_plan("g", *p, true).find("Committed the new offsets of 2 partitions"),
            std::string::npos);
  EXPECT_EQ(reset_plan_json("g", {(*p)[0]}, true).dump(-1),
            R"({"group":"g","executed":true,"partitions":[{"topic":"t","partition":0,)"
            R"("current_offset":5,"new_offset":3}]})");
  EXPECT_EQ(render_reset_plan("g", {}, false), "Group g has no partitions to reset.\n");
}

}  // namespace
}  // namespace moldau::cli
