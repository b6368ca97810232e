// OffsetCommit, OffsetFetch and OffsetDelete through GroupCoordinator.
#include <gtest/gtest.h>

#include "coordinator/coordinator_test_util.h"

namespace moldau::coordinator {
namespace {

using testing::assignment;
using testing::Bench;
using testing::subscription;

OffsetCommitRequest commit(const std::string& group, std::vector<OffsetCommitPartition> parts,
                           int32_t generation = -1, const std::string& member = "") {
  OffsetCommitRequest r;
  r.group_id = group;
  r.generation_id = generation;
  r.member_id = member;
  r.partitions = std::move(parts);
  return r;
}

OffsetCommitPartition at(const std::string& topic, int32_t partition, int64_t offset,
                         std::optional<std::string> metadata = std::nullopt) {
  OffsetCommitPartition p;
  p.tp = {topic, partition};
  p.offset = offset;
  p.metadata = std::move(metadata);
  return p;
}

// A Stable "consumer" group "g" whose one member subscribes to "orders".
std::string stable_member(Bench& b) {
  std::string id;
  RequestHandle h = b.join_new(b.join_request("g", "a", subscription({"orders"})), &id);
  b.advance_until_answered(h);
  b.join_response(h);
  b.sync_response(b.sync("g", id, 1, {{id, assignment({{"orders", {0}}})}}));
  return id;
}

TEST(OffsetsTest, StandaloneCommitCreatesASimpleGroupAndFetchReadsItBack) {
  Bench b;
  auto res = b.coord.commit_offsets(
      commit("simple", {at("orders", 0, 100, "m0"), at("orders", 1, 200)}), b.now);
  ASSERT_EQ(res.partitions.size(), 2u);
  EXPECT_EQ(res.partitions[0].error, ErrorCode::kNone);
  EXPECT_EQ(res.partitions[1].error, ErrorCode::kNone);
  // One record per partition, in the group's partition of __consumer_offsets.
  ASSERT_EQ(res.records.size(), 2u);
  EXPECT_EQ(res.records[0].partition, partition_for("simple", 50));
  auto key = decode_key(res.records[0].key);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(std::get<OffsetCommitKey>(*key), (OffsetCommitKey{"simple", "orders", 0}));
  auto value = decode_offset_commit_value(*res.records[0].value);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->offset, 100);
  EXPECT_EQ(value->metadata, "m0");
  EXPECT_EQ(value->commit_timestamp_ms, b.now);

  const Group& g = b.group("simple");
  EXPECT_EQ(g.state(), GroupState::kEmpty);
  EXPECT_FALSE(g.protocol_type().has_value());

  auto fetched = b.coord.fetch_offsets(
      {{"simple", std::vector<TopicPartition>{{"orders", 1}, {"orders", 7}, {"other", 0}}}});
  ASSERT_EQ(fetched.size(), 1u);
  EXPECT_EQ(fetched[0].error, ErrorCode::kNone);
  ASSERT_EQ(fetched[0].partitions.size(), 3u);
  EXPECT_EQ(fetched[0].partitions[0].offset, 200);
  EXPECT_EQ(fetched[0].partitions[0].metadata, "");  // a null metadata is stored as ""
  EXPECT_EQ(fetched[0].partitions[1].offset, -1);    // nothing committed
  EXPECT_EQ(fetched[0].partitions[2].offset, -1);
  EXPECT_EQ(fetched[0].partitions[2].error, ErrorCode::kNone);

  // All partitions of the group.
  auto all = b.coord.fetch_offsets({{"simple", std::nullopt}});
  ASSERT_EQ(all[0].partitions.size(), 2u);
  EXPECT_EQ(all[0].partitions[0].tp, (TopicPartition{"orders", 0}));
  EXPECT_EQ(all[0].partitions[0].metadata, "m0");
}

TEST(OffsetsTest, FetchSeveralGroupsAtOnceIncludingUnknownOnes) {
  Bench b;
  (void)b.coord.commit_offsets(commit("g1", {at("t", 0, 5)}), b.now);
  (void)b.coord.commit_offsets(commit("g2", {at("t", 0, 6)}), b.now);
  auto r = b.coord.fetch_offsets({{"g1", std::nullopt},
                                  {"g2", std::vector<TopicPartition>{{"t", 0}}},
                                  {"nobody", std::nullopt},
                                  {"nobody", std::vector<TopicPartition>{{"t", 0}}}});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].partitions.at(0).offset, 5);
  EXPECT_EQ(r[1].partitions.at(0).offset, 6);
  EXPECT_TRUE(r[2].partitions.empty());
  EXPECT_EQ(r[3].partitions.at(0).offset, -1);
}

TEST(OffsetsTest, LaterCommitsReplaceEarlierOnes) {
  Bench b;
  (void)b.coord.commit_offsets(commit("g", {at("t", 0, 5)}), b.now);
  auto p = at("t", 0, 9);
  p.leader_epoch = 3;
  (void)b.coord.commit_offsets(commit("g", {p}), b.now + 10);
  auto r = b.coord.fetch_offsets({{"g", std::nullopt}});
  ASSERT_EQ(r[0].partitions.size(), 1u);
  EXPECT_EQ(r[0].partitions[0].offset, 9);
  EXPECT_EQ(r[0].partitions[0].leader_epoch, 3);
  EXPECT_EQ(b.coord.offsets("g")->at({"t", 0}).commit_timestamp_ms, b.now + 10);
}

TEST(OffsetsTest, MetadataLargerThanOffsetMetadataMaxBytesIsRefusedPerPartition) {
  Bench b;
  auto res = b.coord.commit_offsets(
      commit("g", {at("t", 0, 1, std::string(4096, 'm')), at("t", 1, 1, std::string(4097, 'm'))}),
      b.now);
  EXPECT_EQ(res.partitions[0].error, ErrorCode::kNone);
  EXPECT_EQ(res.partitions[1].error, ErrorCode::kOffsetMetadataTooLarge);
  EXPECT_EQ(res.records.size(), 1u);
  EXPECT_EQ(b.coord.offsets("g")->size(), 1u);
}

TEST(OffsetsTest, CommitsFromGroupMembersAreCheckedAgainstTheGeneration) {
  Bench b;
  std::string id = stable_member(b);
  auto ok = b.coord.commit_offsets(commit("g", {at("orders", 0, 1)}, 1, id), b.now);
  EXPECT_EQ(ok.partitions[0].error, ErrorCode::kNone);
  EXPECT_EQ(b.coord.commit_offsets(commit("g", {at("orders", 0, 1)}, 0, id), b.now).partitions[0].error,
            ErrorCode::kIllegalGeneration);
  EXPECT_EQ(b.coord.commit_offsets(commit("g", {at("orders", 0, 1)}, 1, "stranger"), b.now)
                .partitions[0].error,
            ErrorCode::kUnknownMemberId);
  // Generation -1 and no member id: only for a group with no members.
  EXPECT_EQ(b.coord.commit_offsets(commit("g", {at("orders", 0, 1)}), b.now).partitions[0].error,
            ErrorCode::kUnknownMemberId);
  // A generation for a group this coordinator does not know.
  EXPECT_EQ(b.coord.commit_offsets(commit("lost", {at("orders", 0, 1)}, 3, "m"), b.now)
                .partitions[0].error,
            ErrorCode::kIllegalGeneration);
  EXPECT_EQ(b.coord.group("lost"), nullptr);
  // Once the group is empty again, anyone may commit (the admin client resetting offsets).
  b.leave("g", {{id, std::nullopt}});
  EXPECT_EQ(b.coord.commit_offsets(commit("g", {at("orders", 0, 0)}), b.now).partitions[0].error,
            ErrorCode::kNone);
}

TEST(OffsetsTest, CommitGroupStatusErrors) {
  Bench b(Bench::default_config(), false);
  auto r = b.coord.commit_offsets(commit("g", {at("t", 0, 1), at("t", 1, 1)}), b.now);
  ASSERT_EQ(r.partitions.size(), 2u);
  EXPECT_EQ(r.partitions[1].error, ErrorCode::kNotCoordinator);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(b.coord.fetch_offsets({{"g", std::nullopt}})[0].error, ErrorCode::kNotCoordinator);
  // The empty group id is legal for offsets (old consumers use it).
  b.coord.begin_loading(partition_for("", 50));
  EXPECT_EQ(b.coord.fetch_offsets({{"", std::nullopt}})[0].error,
            ErrorCode::kCoordinatorLoadInProgress);
  b.coord.complete_loading(partition_for("", 50), b.now);
  EXPECT_EQ(b.coord.commit_offsets(commit("", {at("t", 0, 1)}), b.now).partitions[0].error,
            ErrorCode::kNone);
}

TEST(OffsetsTest, ExplicitRetentionTimeIsStoredAsAnExpireTimestamp) {
  Bench b;
  auto req = commit("g", {at("t", 0, 1)});
  req.retention_time_ms = 60000;
  auto r = b.coord.commit_offsets(req, b.now);
  auto v = decode_offset_commit_value(*r.records.at(0).value);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->expire_timestamp_ms, b.now + 60000);
  EXPECT_EQ(ByteReader(*r.records[0].value).i16(), 1);  // value version 1 carries it
}

TEST(OffsetsTest, OffsetDelete) {
  Bench b;
  std::string id = stable_member(b);
  (void)b.coord.commit_offsets(commit("g", {at("orders", 0, 5), at("old-topic", 0, 7)}, 1, id), b.now);
  // The group consumes "orders": its offsets stay.
  auto r = b.coord.delete_offsets("g", {{"orders", 0}, {"old-topic", 0}, {"never", 3}});
  EXPECT_EQ(r.error, ErrorCode::kNone);
  ASSERT_EQ(r.partitions.size(), 3u);
  EXPECT_EQ(r.partitions[0].error, ErrorCode::kGroupSubscribedToTopic);
  EXPECT_EQ(r.partitions[1].error, ErrorCode::kNone);
  EXPECT_EQ(r.partitions[2].error, ErrorCode::kNone);
  ASSERT_EQ(r.records.size(), 1u);  // a tombstone for old-topic 0 only
  EXPECT_FALSE(r.records[0].value.has_value());
  EXPECT_EQ(std::get<OffsetCommitKey>(*decode_key(r.records[0].key)).topic, "old-topic");
  EXPECT_EQ(b.coord.offsets("g")->size(), 1u);

  // Empty: everything may go.
  b.leave("g", {{id, std::nullopt}});
  EXPECT_EQ(b.coord.delete_offsets("g", {{"orders", 0}}).partitions.at(0).error, ErrorCode::kNone);
  EXPECT_TRUE(b.coord.offsets("g")->empty());
  EXPECT_EQ(b.coord.delete_offsets("nobody", {{"orders", 0}}).error, ErrorCode::kGroupIdNotFound);
}

TEST(OffsetsTest, OffsetDeleteInANonConsumerGroupWithMembers) {
  Bench b;
  auto req = b.join_request("connect-cluster", "worker");
  req.protocol_type = "connect";
  req.api_version = 3;
  RequestHandle h = b.join(req);
  b.advance_until_answered(h);
  auto j = b.join_response(h);
  b.sync_response(b.sync("connect-cluster", j.member_id, 1, {}));
  EXPECT_EQ(b.coord.delete_offsets("connect-cluster", {{"t", 0}}).error, ErrorCode::kNonEmptyGroup);
}

TEST(OffsetsTest, DeleteGroups) {
  Bench b;
  std::string id = stable_member(b);
  (void)b.coord.commit_offsets(commit("g", {at("orders", 0, 5)}, 1, id), b.now);
  (void)b.coord.commit_offsets(commit("simple", {at("t", 0, 1), at("t", 1, 2)}), b.now);
  auto r = b.coord.delete_groups({"g", "simple", "nobody", ""}, b.now);
  ASSERT_EQ(r.groups.size(), 4u);
  EXPECT_EQ(r.groups[0].second, ErrorCode::kNonEmptyGroup);
  EXPECT_EQ(r.groups[1].second, ErrorCode::kNone);
  EXPECT_EQ(r.groups[2].second, ErrorCode::kGroupIdNotFound);
  EXPECT_EQ(r.groups[3].second, ErrorCode::kInvalidGroupId);
  // Tombstones for both offsets, then for the group.
  ASSERT_EQ(r.records.size(), 3u);
  for (const auto& rec : r.records) EXPECT_FALSE(rec.value.has_value());
  EXPECT_TRUE(std::holds_alternative<GroupMetadataKey>(*decode_key(r.records[2].key)));
  EXPECT_EQ(b.coord.group("simple"), nullptr);
  EXPECT_EQ(b.coord.fetch_offsets({{"simple", std::nullopt}})[0].partitions.size(), 0u);
  EXPECT_NE(b.coord.group("g"), nullptr);
}

TEST(OffsetsTest, ListGroupsWithStatesFilterAndDescribeGroups) {
  Bench b;
  std::string id = stable_member(b);
  (void)b.coord.commit_offsets(commit("simple", {at("t", 0, 1)}), b.now);
  std::string other;
  b.join_new(b.join_request("forming", "x"), &other);

  auto all = b.coord.list_groups({});
  EXPECT_EQ(all.error, ErrorCode::kNone);
  ASSERT_EQ(all.groups.size(), 3u);
  EXPECT_EQ(all.groups[0].group_id, "forming");
  EXPECT_EQ(all.groups[0].state, "PreparingRebalance");
  EXPECT_EQ(all.groups[1].group_id, "g");
  EXPECT_EQ(all.groups[1].protocol_type, "consumer");
  EXPECT_EQ(all.groups[2].protocol_type, "");
  auto some = b.coord.list_groups({"stable", "EMPTY"});
  ASSERT_EQ(some.groups.size(), 2u);
  EXPECT_EQ(some.groups[0].group_id, "g");
  EXPECT_EQ(some.groups[1].group_id, "simple");
  EXPECT_TRUE(b.coord.list_groups({"Dead"}).groups.empty());

  auto d = b.coord.describe_groups({"g", "forming", "nobody"});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_TRUE(d[0].exists);
  EXPECT_EQ(d[0].state, "Stable");
  EXPECT_EQ(d[0].protocol_type, "consumer");
  EXPECT_EQ(d[0].protocol, "range");
  ASSERT_EQ(d[0].members.size(), 1u);
  EXPECT_EQ(d[0].members[0].member_id, id);
  EXPECT_EQ(d[0].members[0].client_id, "a");
  EXPECT_EQ(d[0].members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(d[0].members[0].metadata, subscription({"orders"}));
  EXPECT_EQ(d[0].members[0].assignment, assignment({{"orders", {0}}}));
  // Not Stable: members without metadata or assignment, no protocol.
  EXPECT_EQ(d[1].state, "PreparingRebalance");
  EXPECT_EQ(d[1].protocol, "");
  ASSERT_EQ(d[1].members.size(), 1u);
  EXPECT_TRUE(d[1].members[0].metadata.empty());
  // Unknown: Dead, no error.
  EXPECT_FALSE(d[2].exists);
  EXPECT_EQ(d[2].state, "Dead");
  EXPECT_EQ(d[2].error, ErrorCode::kNone);
}

}  // namespace
}  // namespace moldau::coordinator
