// Expiry of committed offsets (offsets.retention.minutes) and of the empty
// groups they leave, driven by the coordinator's tick.
#include <gtest/gtest.h>

#include "coordinator/coordinator_test_util.h"

namespace moldau::coordinator {
namespace {

using testing::assignment;
using testing::Bench;
using testing::subscription;

constexpr int64_t kHour = 3600 * 1000;

CoordinatorConfig config() {
  auto c = Bench::default_config();
  c.offsets_retention_ms = 24 * kHour;
  // Check at every tick, so that the tests see the exact expiry times.
  c.offsets_retention_check_interval_ms = 1;
  return c;
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
  r.partitions.push_back(p);
  return r;
}

bool has_offset(Bench& b, const std::string& group, const std::string& topic) {
  const OffsetMap* m = b.coord.offsets(group);
  return m && m->count({topic, 0});
}

TEST(OffsetsExpiryTest, StandaloneCommitsExpireRetentionAfterTheCommit) {
  Bench b(config());
  b.advance(0);  // arms the expiry check
  (void)b.coord.commit_offsets(commit("simple", "early", 1), b.now);
  b.advance(2 * kHour);
  (void)b.coord.commit_offsets(commit("simple", "late", 1), b.now);
  b.advance(22 * kHour);  // 24 h after "early"
  EXPECT_FALSE(has_offset(b, "simple", "early"));
  EXPECT_TRUE(has_offset(b, "simple", "late"));
  // The expiry wrote a tombstone.
  auto key = decode_key(b.records.back().key);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(std::get<OffsetCommitKey>(*key).topic, "early");
  EXPECT_FALSE(b.records.back().value.has_value());
  b.advance(2 * kHour);
  // Nothing left: the group itself goes, with a tombstone for its record.
  EXPECT_EQ(b.coord.group("simple"), nullptr);
  EXPECT_TRUE(std::holds_alternative<GroupMetadataKey>(*decode_key(b.records.back().key)));
  EXPECT_FALSE(b.records.back().value.has_value());
}

TEST(OffsetsExpiryTest, EmptyGroupOffsetsExpireRetentionAfterTheGroupBecameEmpty) {
  Bench b(config());
  b.advance(0);
  std::string id;
  auto req = b.join_request("g", "a");
  req.session_timeout_ms = 30 * 60 * 1000;  // the longest allowed: heartbeats every 20 minutes
  RequestHandle h = b.join_new(req, &id);
  b.advance_until_answered(h);
  b.join_response(h);
  b.sync_response(b.sync("g", id, 1, {{id, assignment({{"orders", {0}}})}}));
  (void)b.coord.commit_offsets(commit("g", "orders", 10, 1, id), b.now);
  // The member stays for three days: subscribed offsets of a Stable group never expire.
  for (int i = 0; i < 72 * 3; ++i) {
    b.advance(20 * 60 * 1000);
    ASSERT_EQ(b.heartbeat("g", id, 1), ErrorCode::kNone);
  }
  EXPECT_TRUE(has_offset(b, "g", "orders"));
  b.leave("g", {{id, std::nullopt}});
  ASSERT_EQ(b.group("g").state(), GroupState::kEmpty);
  // Committed three days ago, but the clock starts when the group emptied.
  b.advance(23 * kHour);
  EXPECT_TRUE(has_offset(b, "g", "orders"));
  b.advance(kHour);
  EXPECT_EQ(b.coord.group("g"), nullptr);
}

TEST(OffsetsExpiryTest, StableGroupLosesOffsetsOfTopicsItNoLongerConsumes) {
  Bench b(config());
  b.advance(0);
  std::string id;
  auto req = b.join_request("g", "a", subscription({"orders"}));
  req.session_timeout_ms = 30 * 60 * 1000;
  RequestHandle h = b.join_new(req, &id);
  b.advance_until_answered(h);
  b.join_response(h);
  b.sync_response(b.sync("g", id, 1, {}));
  (void)b.coord.commit_offsets(commit("g", "orders", 1, 1, id), b.now);
  (void)b.coord.commit_offsets(commit("g", "retired", 1, 1, id), b.now);
  for (int i = 0; i < 25 * 3; ++i) {
    b.advance(20 * 60 * 1000);
    ASSERT_EQ(b.heartbeat("g", id, 1), ErrorCode::kNone);
  }
  EXPECT_TRUE(has_offset(b, "g", "orders"));
  EXPECT_FALSE(has_offset(b, "g", "retired"));
  EXPECT_NE(b.coord.group("g"), nullptr);
}

TEST(OffsetsExpiryTest, ExplicitRetentionExpiresAtItsOwnTimestamp) {
  Bench b(config());
  b.advance(0);
  auto req = commit("simple", "t", 1);
  req.retention_time_ms = 2 * kHour;
  (void)b.coord.commit_offsets(req, b.now);
  b.advance(kHour);
  EXPECT_TRUE(has_offset(b, "simple", "t"));
  b.advance(kHour);
  EXPECT_FALSE(has_offset(b, "simple", "t"));
}

TEST(OffsetsExpiryTest, RuleByGroupState) {
  // The pure rule, on groups in each state.
  GroupConfig gc;
  MemberIdGenerator ids(1);
  const int64_t t0 = 1000;
  OffsetMap offsets{{{"t", 0}, CommittedOffset{5, -1, "", t0, std::nullopt}}};

  Group simple("s", 0, gc, ids, t0 + 50 * kHour);  // no protocol type
  auto e = expired_offsets(simple, offsets, t0 + 24 * kHour - 1, 24 * kHour);
  EXPECT_TRUE(e.partitions.empty());
  EXPECT_FALSE(e.all_expired);
  e = expired_offsets(simple, offsets, t0 + 24 * kHour, 24 * kHour);
  EXPECT_EQ(e.partitions.size(), 1u);
  EXPECT_TRUE(e.all_expired);

  // An Empty group loaded from a record without a state timestamp (v0/v1)
  // falls back on the commit time.
  GroupMetadataValue old;
  old.protocol_type = "consumer";
  old.generation = 4;
  old.current_state_timestamp_ms = -1;
  auto loaded = Group::from_record("o", 0, old, gc, ids, t0 + 50 * kHour);
  EXPECT_EQ(expired_offsets(*loaded, offsets, t0 + 24 * kHour, 24 * kHour).partitions.size(), 1u);

  EXPECT_TRUE(expired_offsets(simple, {}, t0, 24 * kHour).all_expired);
}

}  // namespace
}  // namespace moldau::coordinator
