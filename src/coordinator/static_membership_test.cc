// Static membership (KIP-345): members with a group.instance.id keep their
// place across restarts without a rebalance, and fence older incarnations.
#include <gtest/gtest.h>

#include "coordinator/coordinator_test_util.h"

namespace moldau::coordinator {
namespace {

using testing::assigned;
using testing::assignment;
using testing::Bench;
using testing::subscription;

struct StaticGroup {
  JoinGroupRequest a, b;  // their JoinGroup requests (without member ids)
  std::string a_id, b_id;
};

// Static members a (instance "a-1", the leader) and b ("b-1"), Stable in
// generation 1; a owns orders 0-2, b owns 3-5.
StaticGroup form(Bench& bench, std::vector<Protocol> a_protocols = {},
                 std::vector<Protocol> b_protocols = {}) {
  StaticGroup g;
  g.a = bench.join_request("g", "client-a");
  g.a.group_instance_id = "a-1";
  if (!a_protocols.empty()) g.a.protocols = a_protocols;
  g.b = bench.join_request("g", "client-b");
  g.b.group_instance_id = "b-1";
  if (!b_protocols.empty()) g.b.protocols = b_protocols;
  RequestHandle ha = bench.join(g.a);  // static members need no MEMBER_ID_REQUIRED round
  RequestHandle hb = bench.join(g.b);
  bench.advance_until_answered(ha);
  auto ja = bench.join_response(ha);
  auto jb = bench.join_response(hb);
  g.a_id = ja.member_id;
  g.b_id = jb.member_id;
  EXPECT_EQ(g.a_id.rfind("a-1-", 0), 0u) << "a static member's id starts with its instance id";
  EXPECT_EQ(ja.leader, g.a_id);
  RequestHandle sb = bench.sync("g", g.b_id, 1, {}, "b-1");
  bench.sync_response(bench.sync("g", g.a_id, 1,
                                 {{g.a_id, assignment({{"orders", {0, 1, 2}}})},
                                  {g.b_id, assignment({{"orders", {3, 4, 5}}})}},
                                 "a-1"));
  bench.sync_response(sb);
  EXPECT_EQ(bench.group("g").state(), GroupState::kStable);
  return g;
}

TEST(StaticMembershipTest, RestartWithinTheSessionTimeoutDoesNotRebalance) {
  Bench b;
  auto g = form(b);
  size_t records = b.records.size();
  b.advance(5000);
  EXPECT_EQ(b.heartbeat("g", g.b_id, 1, "b-1"), ErrorCode::kNone);

  // a restarts: it has lost its member id but not its instance id.
  auto r = b.join_response(b.join(g.a));
  EXPECT_EQ(r.error, ErrorCode::kNone);
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_NE(r.member_id, g.a_id);
  EXPECT_EQ(r.member_id.rfind("a-1-", 0), 0u);
  // Before KIP-814 the old leader id is returned, so that the restarted
  // leader does not compute an assignment nobody would receive.
  EXPECT_EQ(r.leader, g.a_id);
  EXPECT_TRUE(r.members.empty());
  EXPECT_FALSE(r.skip_assignment);
  EXPECT_EQ(b.group("g").state(), GroupState::kStable);
  EXPECT_EQ(b.group("g").generation_id(), 1);
  // The new member id is persisted.
  ASSERT_EQ(b.records.size(), records + 1);
  auto v = decode_group_metadata_value(*b.records.back().value);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->members.at(0).member_id, r.member_id);
  EXPECT_EQ(v->leader, r.member_id);

  // It gets its partitions back.
  auto s = b.sync_response(b.sync("g", r.member_id, 1, {}, "a-1"));
  EXPECT_EQ(s.error, ErrorCode::kNone);
  EXPECT_EQ(assigned(s.assignment)[0].partitions, (std::vector<int32_t>{0, 1, 2}));
  // The old incarnation, if it is still around, is fenced.
  EXPECT_EQ(b.heartbeat("g", g.a_id, 1, "a-1"), ErrorCode::kFencedInstanceId);
  EXPECT_EQ(b.sync_response(b.sync("g", g.a_id, 1, {}, "a-1")).error, ErrorCode::kFencedInstanceId);
  auto zombie = g.a;
  zombie.member_id = g.a_id;
  EXPECT_EQ(b.join_response(b.join(zombie)).error, ErrorCode::kFencedInstanceId);
  // b noticed nothing.
  EXPECT_EQ(b.heartbeat("g", g.b_id, 1, "b-1"), ErrorCode::kNone);
  EXPECT_EQ(b.heartbeat("g", r.member_id, 1, "a-1"), ErrorCode::kNone);
}

TEST(StaticMembershipTest, RestartedLeaderOnVersion9GetsTheMembersButSkipsAssignment) {
  Bench b;
  auto g = form(b);
  auto req = g.a;
  req.api_version = 9;
  auto r = b.join_response(b.join(req));
  EXPECT_EQ(r.error, ErrorCode::kNone);
  EXPECT_EQ(r.leader, r.member_id);
  EXPECT_TRUE(r.skip_assignment);
  EXPECT_EQ(r.members.size(), 2u);
  EXPECT_EQ(b.group("g").state(), GroupState::kStable);
  // A follower restarting on version 9 is just a follower.
  auto fb = g.b;
  fb.api_version = 9;
  auto rf = b.join_response(b.join(fb));
  EXPECT_FALSE(rf.skip_assignment);
  EXPECT_TRUE(rf.members.empty());
  EXPECT_EQ(rf.leader, r.member_id);
}

TEST(StaticMembershipTest, RestartThatChangesTheSelectedProtocolRebalances) {
  Bench b;
  Bytes md = subscription({"orders"});
  auto g = form(b, {{"range", md}}, {{"roundrobin", md}, {"range", md}});
  ASSERT_EQ(b.group("g").protocol_name(), "range");
  auto req = g.a;
  req.protocols = {{"roundrobin", md}, {"range", md}};  // now both prefer roundrobin
  RequestHandle h = b.join(req);
  EXPECT_FALSE(b.answered(h));
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
}

TEST(StaticMembershipTest, SilentStaticMemberKeepsItsPlaceUntilItsSessionOrSyncTimesOut) {
  Bench b;
  auto g = form(b);
  // Long sessions, shorter rebalances: b changes its subscription, a is silent.
  auto rb = g.b;
  rb.member_id = g.b_id;
  rb.session_timeout_ms = 60000;
  rb.rebalance_timeout_ms = 20000;
  rb.protocols = testing::protocols("range", subscription({"orders", "payments"}));
  // a gets a long session too, by restarting with one.
  auto ra = g.a;
  ra.session_timeout_ms = 60000;
  ra.rebalance_timeout_ms = 20000;
  std::string a_id = b.join_response(b.join(ra)).member_id;
  // (The restart kept the old session timeout running; a heartbeat starts the new one.)
  EXPECT_EQ(b.heartbeat("g", a_id, 1, "a-1"), ErrorCode::kNone);
  RequestHandle hb = b.join(rb);
  ASSERT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  b.advance(19999);
  EXPECT_FALSE(b.answered(hb));
  b.advance(1);
  // a did not rejoin but, being static, is still in generation 2; b leads.
  auto r = b.join_response(hb);
  EXPECT_EQ(r.generation_id, 2);
  EXPECT_EQ(r.leader, g.b_id);
  EXPECT_EQ(r.members.size(), 2u);
  ASSERT_NE(b.group("g").member(a_id), nullptr);
  // b syncs; a never does and is dropped once the rebalance timeout passes again.
  b.sync("g", g.b_id, 2, {{g.b_id, assignment({{"orders", {0, 1, 2, 3, 4, 5}}})}}, "b-1");
  b.advance(19999);
  EXPECT_NE(b.group("g").member(a_id), nullptr);
  b.advance(1);
  EXPECT_EQ(b.group("g").member(a_id), nullptr);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
}

TEST(StaticMembershipTest, SessionExpiryRemovesAStaticMember) {
  Bench b;
  auto g = form(b);
  for (int i = 0; i < 4; ++i) {
    b.advance(3000);
    b.heartbeat("g", g.b_id, 1, "b-1");
  }
  EXPECT_EQ(b.group("g").member(g.a_id), nullptr);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  // Its instance id is free again: a restart joins as a new member.
  RequestHandle h = b.join(g.a);
  EXPECT_FALSE(b.answered(h));
}

TEST(StaticMembershipTest, AdminRemovesAStaticMemberByInstanceId) {
  Bench b;
  auto g = form(b);
  auto left = b.leave("g", {{"", std::string("a-1")}, {"", std::string("nobody")}});
  EXPECT_EQ(left.members.at(0).error, ErrorCode::kNone);
  EXPECT_EQ(left.members.at(1).error, ErrorCode::kUnknownMemberId);
  EXPECT_EQ(b.group("g").member(g.a_id), nullptr);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  // A member id that does not match the instance id is fenced.
  auto fenced = b.leave("g", {{"someone-else", std::string("b-1")}});
  EXPECT_EQ(fenced.members.at(0).error, ErrorCode::kFencedInstanceId);
}

TEST(StaticMembershipTest, RestartWhileTheOldIncarnationWaitsFencesIt) {
  Bench b;
  auto g = form(b);
  // The leader a rejoins with a new subscription: a rebalance, and a's
  // JoinGroup waits for b.
  auto old_a = g.a;
  old_a.member_id = g.a_id;
  old_a.protocols = testing::protocols("range", subscription({"orders", "x"}));
  RequestHandle h_old = b.join(old_a);
  ASSERT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  EXPECT_FALSE(b.answered(h_old));
  // a's process restarts: the new incarnation takes over, the held JoinGroup
  // of the old one is answered FENCED_INSTANCE_ID.
  RequestHandle h_new = b.join(g.a);
  auto fenced = b.join_response(h_old);
  EXPECT_EQ(fenced.error, ErrorCode::kFencedInstanceId);
  EXPECT_FALSE(b.answered(h_new));
  auto rb = g.b;
  rb.member_id = g.b_id;
  RequestHandle hb = b.join(rb);
  auto r = b.join_response(h_new);
  EXPECT_EQ(r.generation_id, 2);
  EXPECT_NE(r.member_id, g.a_id);
  EXPECT_EQ(r.leader, r.member_id);  // the leader's place came with the instance id
  EXPECT_EQ(b.join_response(hb).generation_id, 2);
}

TEST(StaticMembershipTest, RestartDuringCompletingRebalanceStartsOver) {
  Bench b;
  auto g = form(b);
  auto rb = g.b;
  rb.member_id = g.b_id;
  rb.protocols = testing::protocols("range", subscription({"orders", "payments"}));
  RequestHandle hb = b.join(rb);
  auto ra = g.a;
  ra.member_id = g.a_id;
  RequestHandle ha = b.join(ra);
  ASSERT_EQ(b.join_response(ha).generation_id, 2);
  ASSERT_EQ(b.join_response(hb).generation_id, 2);
  RequestHandle sb = b.sync("g", g.b_id, 2, {}, "b-1");  // waits for a's plan
  // a restarts before sending it: the leader may be assigning to its old id.
  RequestHandle h_new = b.join(g.a);
  EXPECT_EQ(b.sync_response(sb).error, ErrorCode::kRebalanceInProgress);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  EXPECT_FALSE(b.answered(h_new));
}

TEST(StaticMembershipTest, KnownMemberIdWithAnUnknownInstanceId) {
  Bench b;
  auto g = form(b);
  auto req = g.a;
  req.member_id = g.a_id;
  req.group_instance_id = "z-9";
  EXPECT_EQ(b.join_response(b.join(req)).error, ErrorCode::kUnknownMemberId);
  EXPECT_EQ(b.heartbeat("g", g.a_id, 1, "z-9"), ErrorCode::kUnknownMemberId);
  // The dynamic form of a static member's id is accepted (the id is what counts).
  EXPECT_EQ(b.heartbeat("g", g.a_id, 1), ErrorCode::kNone);
}

}  // namespace
}  // namespace moldau::coordinator
