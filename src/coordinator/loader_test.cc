// Loading groups and offsets from __consumer_offsets records, and unloading.
#include <gtest/gtest.h>

#include "coordinator/coordinator_test_util.h"

namespace moldau::coordinator {
namespace {

using testing::assigned;
using testing::assignment;
using testing::Bench;
using testing::subscription;

std::optional<ByteSpan> span(const std::optional<Bytes>& v) {
  if (!v) return std::nullopt;
  return ByteSpan(*v);
}

// Replays `records` (in order) into a fresh coordinator that leads every partition.
void reload(GroupCoordinator& into, const std::vector<OffsetsRecord>& records, int64_t now_ms) {
  for (int32_t p = 0; p < into.config().offsets_topic_num_partitions; ++p) into.begin_loading(p);
  for (const auto& r : records) {
    Status s = into.replay(r.partition, r.key, span(r.value));
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  for (int32_t p = 0; p < into.config().offsets_topic_num_partitions; ++p) {
    into.complete_loading(p, now_ms);
  }
}

OffsetCommitRequest commit(const std::string& group, const std::string& topic, int64_t offset,
                           int32_t generation = -1, const std::string& member = "") {
  OffsetCommitRequest r;
  r.group_id = group;
  r.generation_id = generation;
  r.member_id = member;
  OffsetCommitPartition p;
  p.tp = {topic, 0};
  p.offset = offset;
  p.metadata = "meta-" + std::to_string(offset);
  r.partitions.push_back(p);
  return r;
}

TEST(LoaderTest, TheLastRecordOfEachKeyWinsHoweverManyThereAre) {
  GroupCoordinator c(Bench::default_config());
  int32_t p = c.partition_for("g");
  c.begin_loading(p);
  Bytes key = encode_key(OffsetCommitKey{"g", "t", 0});
  Bytes other = encode_key(OffsetCommitKey{"g", "t", 1});
  for (int64_t i = 0; i < 1000; ++i) {
    Bytes v = encode_value(OffsetCommitValue{i, -1, "", 100 + i, -1});
    ASSERT_TRUE(c.replay(p, key, ByteSpan(v)).ok());
    if (i == 500) {
      ASSERT_TRUE(c.replay(p, key, std::nullopt).ok());  // a tombstone midway
    }
    ASSERT_TRUE(c.replay(p, other, ByteSpan(v)).ok());
  }
  ASSERT_TRUE(c.replay(p, other, std::nullopt).ok());  // deleted at the end
  // The group's record, rewritten many times; the last one counts.
  for (int32_t gen = 1; gen <= 300; ++gen) {
    GroupMetadataValue g;
    g.protocol_type = "consumer";
    g.generation = gen;
    g.current_state_timestamp_ms = gen;
    Bytes v = encode_value(g);
    ASSERT_TRUE(c.replay(p, encode_key(GroupMetadataKey{"g"}), ByteSpan(v)).ok());
  }
  // Nothing is visible before the load completes.
  EXPECT_EQ(c.group("g"), nullptr);
  c.complete_loading(p, 5000);
  ASSERT_NE(c.group("g"), nullptr);
  EXPECT_EQ(c.group("g")->generation_id(), 300);
  EXPECT_EQ(c.group("g")->state(), GroupState::kEmpty);
  const OffsetMap& offsets = *c.offsets("g");
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets.at({"t", 0}).offset, 999);
  EXPECT_EQ(offsets.at({"t", 0}).commit_timestamp_ms, 1099);
}

TEST(LoaderTest, GroupTombstonesAndOffsetsWithoutAGroupRecord) {
  GroupCoordinator c(Bench::default_config());
  for (std::string id : {"deleted", "recreated", "offsets-only"}) {
    int32_t p = c.partition_for(id);
    c.begin_loading(p);
    GroupMetadataValue g;
    g.protocol_type = "consumer";
    g.generation = 3;
    Bytes gv = encode_value(g);
    Bytes ov = encode_value(OffsetCommitValue{42, -1, "", 1, -1});
    Bytes gk = encode_key(GroupMetadataKey{id});
    Bytes ok = encode_key(OffsetCommitKey{id, "t", 0});
    if (id == "deleted") {  // as DeleteGroups writes it: offsets, then the group
      ASSERT_TRUE(c.replay(p, gk, ByteSpan(gv)).ok());
      ASSERT_TRUE(c.replay(p, ok, ByteSpan(ov)).ok());
      ASSERT_TRUE(c.replay(p, ok, std::nullopt).ok());
      ASSERT_TRUE(c.replay(p, gk, std::nullopt).ok());
    } else if (id == "recreated") {  // deleted, then used again
      ASSERT_TRUE(c.replay(p, gk, ByteSpan(gv)).ok());
      ASSERT_TRUE(c.replay(p, gk, std::nullopt).ok());
      ASSERT_TRUE(c.replay(p, ok, ByteSpan(ov)).ok());
    } else {
      ASSERT_TRUE(c.replay(p, ok, ByteSpan(ov)).ok());
    }
    c.complete_loading(p, 0);
  }
  EXPECT_EQ(c.group("deleted"), nullptr);
  for (std::string id : {"recreated", "offsets-only"}) {
    ASSERT_NE(c.group(id), nullptr) << id;
    EXPECT_FALSE(c.group(id)->protocol_type().has_value());  // a group that only commits
    EXPECT_EQ(c.offsets(id)->at({"t", 0}).offset, 42);
  }
}

TEST(LoaderTest, OtherRecordKindsAreSkippedAndCorruptRecordsRejected) {
  GroupCoordinator c(Bench::default_config());
  c.begin_loading(0);
  Bytes kip848_key{0, 3, 0, 1, 'g'};
  Bytes kip848_value{0, 0, 0, 0, 0, 1};
  EXPECT_TRUE(c.replay(0, kip848_key, ByteSpan(kip848_value)).ok());
  Bytes key = encode_key(OffsetCommitKey{"g", "t", 0});
  Bytes bad{0, 3, 1, 2};
  auto s = c.replay(0, key, ByteSpan(bad));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kCorruptMessage);
  EXPECT_FALSE(c.replay(0, Bytes{0}, std::nullopt).ok());
  // Only a partition being loaded takes records.
  EXPECT_FALSE(c.replay(1, key, std::nullopt).ok());
}

TEST(LoaderTest, ARestartKeepsGroupsAssignmentsAndOffsets) {
  Bench b;
  // A Stable group of two with assignments and commits.
  std::vector<std::string> ids(2);
  std::vector<RequestHandle> held;
  for (int i = 0; i < 2; ++i) {
    auto req = b.join_request("g", "c" + std::to_string(i), subscription({"orders"}));
    if (i == 1) req.group_instance_id = "static-1";
    held.push_back(i == 0 ? b.join_new(req, &ids[0]) : b.join(req));
  }
  b.advance_until_answered(held[0]);
  b.join_response(held[0]);
  ids[1] = b.join_response(held[1]).member_id;
  RequestHandle s1 = b.sync("g", ids[1], 1, {}, "static-1");
  b.sync("g", ids[0], 1,
         {{ids[0], assignment({{"orders", {0, 1}}})}, {ids[1], assignment({{"orders", {2, 3}}})}});
  b.sync_response(s1);
  for (int64_t o = 1; o <= 51; ++o) b.commit(commit("g", "orders", o, 1, ids[0]));
  // A standalone group, and one that was deleted.
  b.commit(commit("simple", "t", 9));
  b.commit(commit("gone", "t", 1));
  b.delete_groups({"gone"});
  const std::vector<OffsetsRecord>& log = b.records;

  GroupCoordinator restarted(Bench::default_config());
  reload(restarted, log, b.now + 1000);
  EXPECT_EQ(restarted.num_groups(), 2u);
  EXPECT_EQ(restarted.group("gone"), nullptr);
  EXPECT_EQ(restarted.offsets("simple")->at({"t", 0}).offset, 9);

  const Group* g = restarted.group("g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->state(), GroupState::kStable);
  EXPECT_EQ(g->generation_id(), 1);
  EXPECT_EQ(g->protocol_name(), "range");
  EXPECT_EQ(g->leader_id(), ids[0]);
  ASSERT_EQ(g->members().size(), 2u);
  EXPECT_EQ(g->members()[1].group_instance_id, "static-1");
  EXPECT_EQ(g->subscribed_topics(), (std::set<std::string>{"orders"}));
  auto fetched = restarted.fetch_offsets({{"g", std::nullopt}});
  ASSERT_EQ(fetched[0].partitions.size(), 1u);
  EXPECT_EQ(fetched[0].partitions[0].offset, 51);
  EXPECT_EQ(fetched[0].partitions[0].metadata, "meta-51");
}

TEST(LoaderTest, LoadedMembersCarryOnOrExpire) {
  Bench b;
  std::string a, c;
  RequestHandle ha = b.join_new(b.join_request("g", "a"), &a);
  RequestHandle hc = b.join_new(b.join_request("g", "c"), &c);
  b.advance_until_answered(ha);
  b.join_response(ha);
  b.join_response(hc);
  RequestHandle sc = b.sync("g", c, 1);
  b.sync("g", a, 1, {{a, assignment({{"orders", {0}}})}, {c, assignment({{"orders", {1}}})}});
  b.sync_response(sc);

  Bench after(Bench::default_config(), /*load=*/false);
  after.now = b.now + 2000;
  reload(after.coord, b.records, after.now);
  // a carries on in the same generation and gets its assignment back.
  EXPECT_EQ(after.heartbeat("g", a, 1), ErrorCode::kNone);
  auto s = after.sync_response(after.sync("g", a, 1));
  EXPECT_EQ(assigned(s.assignment)[0].partitions, (std::vector<int32_t>{0}));
  // c never comes back: its session, restarted at the load, expires.
  for (int i = 0; i < 3; ++i) {
    after.advance(3000);
    EXPECT_EQ(after.heartbeat("g", a, 1), ErrorCode::kNone);
  }
  after.advance(1000);
  EXPECT_EQ(after.group("g").member(c), nullptr);
  EXPECT_EQ(after.heartbeat("g", a, 1), ErrorCode::kRebalanceInProgress);
}

TEST(LoaderTest, UnloadAnswersHeldRequestsAndForgetsTheGroups) {
  Bench b;
  std::string a;
  RequestHandle h = b.join_new(b.join_request("g", "a"), &a);
  (void)b.coord.commit_offsets(commit("other", "t", 1), b.now);
  int32_t p = b.coord.partition_for("g");
  b.absorb(b.coord.unload(p, b.now));
  auto r = b.join_response(h);
  EXPECT_EQ(r.error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(b.coord.group("g"), nullptr);
  EXPECT_EQ(b.coord.partition_state(p), PartitionState::kNotLeader);
  EXPECT_EQ(b.heartbeat("g", a, 1), ErrorCode::kNotCoordinator);
  // Groups of other partitions are untouched.
  if (b.coord.partition_for("other") != p) {
    EXPECT_NE(b.coord.group("other"), nullptr);
  }
}

}  // namespace
}  // namespace moldau::coordinator
