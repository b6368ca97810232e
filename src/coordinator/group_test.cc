// The classic protocol end to end through GroupCoordinator: join, sync,
// heartbeat and leave cycles with one to three members, timeouts, rebalances.
#include <gtest/gtest.h>

#include <regex>

#include "coordinator/coordinator_test_util.h"

namespace moldau::coordinator {
namespace {

using testing::assigned;
using testing::assignment;
using testing::Bench;
using testing::subscription;

// A member as the test's consumers remember themselves.
struct Consumer {
  std::string id;
  int32_t generation = -1;
};

// Forms group `g` from dynamic members, one per client id, all joining within
// the initial delay; the leader hands out partitions 0..5 of "orders"
// round-robin. Leaves the group Stable and returns the members in join order.
std::vector<Consumer> form_group(Bench& b, const std::string& g,
                                 const std::vector<std::string>& clients) {
  std::vector<std::pair<std::string, RequestHandle>> held;
  for (const auto& c : clients) {
    std::string id;
    RequestHandle h = b.join_new(b.join_request(g, c), &id);
    held.emplace_back(id, h);
  }
  b.advance_until_answered(held.front().second);
  std::vector<Consumer> out;
  std::string leader;
  for (auto& [id, h] : held) {
    auto r = b.join_response(h);
    EXPECT_EQ(r.error, ErrorCode::kNone);
    out.push_back({id, r.generation_id});
    leader = r.leader;
  }
  std::vector<MemberAssignment> plan;
  for (size_t i = 0; i < out.size(); ++i) {
    std::vector<int32_t> ps;
    for (int32_t p = int32_t(i); p < 6; p += int32_t(out.size())) ps.push_back(p);
    plan.push_back({out[i].id, assignment({{"orders", ps}})});
  }
  std::vector<RequestHandle> syncs;
  for (const auto& c : out) {
    syncs.push_back(b.sync(g, c.id, c.generation, c.id == leader ? plan : std::vector<MemberAssignment>{}));
  }
  for (auto h : syncs) EXPECT_EQ(b.sync_response(h).error, ErrorCode::kNone);
  EXPECT_EQ(b.group(g).state(), GroupState::kStable);
  return out;
}

TEST(GroupTest, OneMemberJoinsSyncsAndHeartbeats) {
  Bench b;
  auto req = b.join_request("g", "client-a");
  req.api_version = 3;  // before KIP-394: the member is added at once
  RequestHandle h = b.join(req);
  EXPECT_FALSE(b.answered(h));
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);

  // A new group waits group.initial.rebalance.delay.ms for more members.
  b.advance(2999);
  EXPECT_FALSE(b.answered(h));
  b.advance(1);
  auto joined = b.join_response(h);
  EXPECT_EQ(joined.error, ErrorCode::kNone);
  EXPECT_EQ(joined.generation_id, 1);
  EXPECT_TRUE(std::regex_match(
      joined.member_id,
      std::regex("client-a-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << joined.member_id;
  EXPECT_EQ(joined.leader, joined.member_id);
  EXPECT_EQ(joined.protocol_type, "consumer");
  EXPECT_EQ(joined.protocol_name, "range");
  ASSERT_EQ(joined.members.size(), 1u);
  EXPECT_EQ(joined.members[0].metadata, subscription({"orders"}));
  EXPECT_EQ(b.group("g").state(), GroupState::kCompletingRebalance);
  EXPECT_TRUE(b.records.empty());

  Bytes mine = assignment({{"orders", {0, 1, 2}}});
  RequestHandle s = b.sync("g", joined.member_id, 1, {{joined.member_id, mine}});
  auto synced = b.sync_response(s);
  EXPECT_EQ(synced.error, ErrorCode::kNone);
  EXPECT_EQ(synced.assignment, mine);
  EXPECT_EQ(synced.protocol_name, "range");
  EXPECT_EQ(b.group("g").state(), GroupState::kStable);

  // The assignment is persisted as the group's metadata record.
  ASSERT_EQ(b.records.size(), 1u);
  EXPECT_EQ(b.records[0].partition, partition_for("g", 50));
  auto key = decode_key(b.records[0].key);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(std::get<GroupMetadataKey>(*key).group, "g");
  auto value = decode_group_metadata_value(*b.records[0].value);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->generation, 1);
  EXPECT_EQ(value->leader, joined.member_id);
  ASSERT_EQ(value->members.size(), 1u);
  EXPECT_EQ(value->members[0].assignment, mine);
  EXPECT_EQ(value->members[0].client_id, "client-a");

  EXPECT_EQ(b.heartbeat("g", joined.member_id, 1), ErrorCode::kNone);
  // Heartbeats keep the member well past its session timeout.
  for (int i = 0; i < 10; ++i) {
    b.advance(5000);
    EXPECT_EQ(b.heartbeat("g", joined.member_id, 1), ErrorCode::kNone);
  }
  EXPECT_EQ(b.group("g").members().size(), 1u);
}

TEST(GroupTest, MemberIdRequiredThenJoinWithTheAssignedId) {
  Bench b;
  RequestHandle first = b.join(b.join_request("g", "client-a"));
  auto r = b.join_response(first);
  EXPECT_EQ(r.error, ErrorCode::kMemberIdRequired);
  EXPECT_EQ(r.member_id.rfind("client-a-", 0), 0u);
  // Not a member yet: only pending, and the group does not rebalance.
  EXPECT_EQ(b.group("g").state(), GroupState::kEmpty);
  EXPECT_TRUE(b.group("g").members().empty());
  EXPECT_TRUE(b.group("g").is_pending_member(r.member_id));

  auto again = b.join_request("g", "client-a");
  again.member_id = r.member_id;
  RequestHandle second = b.join(again);
  EXPECT_FALSE(b.group("g").is_pending_member(r.member_id));
  ASSERT_NE(b.group("g").member(r.member_id), nullptr);
  b.advance(3000);
  auto joined = b.join_response(second);
  EXPECT_EQ(joined.error, ErrorCode::kNone);
  EXPECT_EQ(joined.member_id, r.member_id);
  EXPECT_EQ(joined.generation_id, 1);
}

TEST(GroupTest, PendingMemberThatNeverRejoinsExpiresAfterItsSessionTimeout) {
  Bench b;
  auto r = b.join_response(b.join(b.join_request("g", "client-a")));
  ASSERT_EQ(r.error, ErrorCode::kMemberIdRequired);
  b.advance(9999);
  EXPECT_TRUE(b.group("g").is_pending_member(r.member_id));
  b.advance(1);
  EXPECT_FALSE(b.group("g").is_pending_member(r.member_id));
  // Its id is worth nothing now.
  auto late = b.join_request("g", "client-a");
  late.member_id = r.member_id;
  EXPECT_EQ(b.join_response(b.join(late)).error, ErrorCode::kUnknownMemberId);
}

TEST(GroupTest, ThreeMembersLeaderGetsEveryonesMetadataFollowersWaitForTheAssignment) {
  Bench b;
  std::vector<std::string> ids(3);
  std::vector<RequestHandle> held;
  for (int i = 0; i < 3; ++i) {
    auto req = b.join_request("g", "client-" + std::to_string(i),
                              subscription({"orders", "topic-" + std::to_string(i)}));
    held.push_back(b.join_new(req, &ids[i]));
    b.advance(1000);
  }
  // t=3000: members arrived during the first 3 s, so the delay is extended
  // by another 3 s; none arrive during those, so the join phase ends at 6000.
  for (auto h : held) EXPECT_FALSE(b.answered(h));
  b.advance(2999);
  for (auto h : held) EXPECT_FALSE(b.answered(h));
  b.advance(1);
  std::vector<JoinGroupResponse> joined;
  for (auto h : held) joined.push_back(b.join_response(h));
  for (const auto& j : joined) {
    EXPECT_EQ(j.error, ErrorCode::kNone);
    EXPECT_EQ(j.generation_id, 1);
    EXPECT_EQ(j.leader, ids[0]);  // the first member
  }
  ASSERT_EQ(joined[0].members.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(joined[0].members[i].member_id, ids[i]);
    EXPECT_EQ(joined[0].members[i].metadata, subscription({"orders", "topic-" + std::to_string(i)}));
  }
  EXPECT_TRUE(joined[1].members.empty());
  EXPECT_TRUE(joined[2].members.empty());

  // Followers sync first and wait.
  RequestHandle s1 = b.sync("g", ids[1], 1);
  RequestHandle s2 = b.sync("g", ids[2], 1);
  b.advance(100);
  EXPECT_FALSE(b.answered(s1));
  EXPECT_FALSE(b.answered(s2));
  EXPECT_EQ(b.heartbeat("g", ids[1], 1), ErrorCode::kNone);  // allowed while waiting
  // The leader leaves member 2 out of its plan: it gets an empty assignment.
  RequestHandle s0 = b.sync("g", ids[0], 1,
                            {{ids[0], assignment({{"orders", {0, 1}}})},
                             {ids[1], assignment({{"orders", {2, 3}}})},
                             {"not-a-member", assignment({{"orders", {4}}})}});
  EXPECT_EQ(assigned(b.sync_response(s0).assignment)[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(assigned(b.sync_response(s1).assignment)[0].partitions, (std::vector<int32_t>{2, 3}));
  auto r2 = b.sync_response(s2);
  EXPECT_EQ(r2.error, ErrorCode::kNone);
  EXPECT_TRUE(r2.assignment.empty());
  EXPECT_EQ(b.group("g").state(), GroupState::kStable);
}

TEST(GroupTest, InitialDelayIsExtendedWhileMembersArriveUpToTheRebalanceTimeout) {
  auto config = Bench::default_config();
  config.group.initial_rebalance_delay_ms = 3000;
  Bench b(config);
  auto req = b.join_request("g", "a");
  req.rebalance_timeout_ms = 8000;  // the delay budget: 3000 + at most 5000 more
  std::string a, c;
  RequestHandle ha = b.join_new(req, &a);
  // A member arrives in every step: the steps are 3000, 3000, then the 2000 left.
  b.advance(2000);
  b.join_new(b.join_request("g", "b"), &c);
  b.advance(3000);  // t=5000
  b.join_new(b.join_request("g", "c"), &c);
  b.advance(2999);  // t=7999
  EXPECT_FALSE(b.answered(ha));
  b.advance(1);  // t=8000: the budget is spent
  EXPECT_EQ(b.join_response(ha).generation_id, 1);
  EXPECT_EQ(b.group("g").members().size(), 3u);
}

TEST(GroupTest, NewMemberRebalancesAStableGroup) {
  Bench b;
  auto members = form_group(b, "g", {"a"});
  std::string id_b;
  RequestHandle hb = b.join_new(b.join_request("g", "b"), &id_b);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  // The existing member learns from its heartbeat that it must rejoin.
  EXPECT_EQ(b.heartbeat("g", members[0].id, 1), ErrorCode::kRebalanceInProgress);
  EXPECT_FALSE(b.answered(hb));
  auto rejoin = b.join_request("g", "a");
  rejoin.member_id = members[0].id;
  RequestHandle ha = b.join(rejoin);
  // Everyone is back: no need to wait for the rebalance timeout.
  auto ra = b.join_response(ha);
  auto rb = b.join_response(hb);
  EXPECT_EQ(ra.generation_id, 2);
  EXPECT_EQ(rb.generation_id, 2);
  EXPECT_EQ(ra.leader, members[0].id);
  EXPECT_EQ(ra.members.size(), 2u);
  EXPECT_EQ(b.heartbeat("g", members[0].id, 1), ErrorCode::kIllegalGeneration);
}

TEST(GroupTest, MembersThatDoNotRejoinWithinTheRebalanceTimeoutAreRemoved) {
  Bench b;
  auto members = form_group(b, "g", {"a", "b"});
  std::string id_c;
  RequestHandle hc = b.join_new(b.join_request("g", "c"), &id_c);
  auto rejoin = b.join_request("g", "a");
  rejoin.member_id = members[0].id;
  RequestHandle ha = b.join(rejoin);
  // b keeps heartbeating but never rejoins.
  for (int i = 0; i < 9; ++i) {
    b.advance(3000);
    EXPECT_EQ(b.heartbeat("g", members[1].id, 1), ErrorCode::kRebalanceInProgress);
  }
  EXPECT_FALSE(b.answered(ha));
  b.advance(3000);  // 30 s: the rebalance timeout
  EXPECT_EQ(b.join_response(ha).generation_id, 2);
  EXPECT_EQ(b.join_response(hc).generation_id, 2);
  EXPECT_EQ(b.group("g").member(members[1].id), nullptr);
  EXPECT_EQ(b.heartbeat("g", members[1].id, 1), ErrorCode::kUnknownMemberId);
}

TEST(GroupTest, SessionExpiryRebalancesAndTheSurvivorsTakeOverThePartitions) {
  Bench b;
  auto m = form_group(b, "g", {"a", "b", "c"});  // a: 0,3  b: 1,4  c: 2,5
  // c stops heartbeating; a and b go on every 3 s.
  for (int i = 0; i < 3; ++i) {
    b.advance(3000);
    EXPECT_EQ(b.heartbeat("g", m[0].id, 1), ErrorCode::kNone);
    EXPECT_EQ(b.heartbeat("g", m[1].id, 1), ErrorCode::kNone);
  }
  b.advance(999);  // 9999 ms since c's last sign of life (its SyncGroup)
  EXPECT_EQ(b.group("g").state(), GroupState::kStable);
  b.advance(1);
  EXPECT_EQ(b.group("g").member(m[2].id), nullptr);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(b.heartbeat("g", m[0].id, 1), ErrorCode::kRebalanceInProgress);
  EXPECT_EQ(b.heartbeat("g", m[1].id, 1), ErrorCode::kRebalanceInProgress);

  std::vector<RequestHandle> held;
  for (int i = 0; i < 2; ++i) {
    auto req = b.join_request("g", i == 0 ? "a" : "b");
    req.member_id = m[i].id;
    held.push_back(b.join(req));
  }
  auto leader = b.join_response(held[0]);
  auto follower = b.join_response(held[1]);
  EXPECT_EQ(leader.generation_id, 2);
  ASSERT_EQ(leader.members.size(), 2u);  // c is gone from the leader's view
  // The leader spreads all six partitions over the two survivors.
  RequestHandle sf = b.sync("g", m[1].id, 2);
  RequestHandle sl = b.sync("g", m[0].id, 2,
                            {{m[0].id, assignment({{"orders", {0, 2, 4}}})},
                             {m[1].id, assignment({{"orders", {1, 3, 5}}})}});
  EXPECT_EQ(assigned(b.sync_response(sl).assignment)[0].partitions, (std::vector<int32_t>{0, 2, 4}));
  EXPECT_EQ(assigned(b.sync_response(sf).assignment)[0].partitions, (std::vector<int32_t>{1, 3, 5}));
  (void)follower;
  EXPECT_EQ(b.group("g").state(), GroupState::kStable);
  EXPECT_EQ(b.group("g").generation_id(), 2);
}

TEST(GroupTest, RejoinDuringCompletingRebalance) {
  Bench b;
  std::string a, c;
  RequestHandle ha = b.join_new(b.join_request("g", "a"), &a);
  RequestHandle hc = b.join_new(b.join_request("g", "c"), &c);
  b.advance_until_answered(ha);
  ASSERT_EQ(b.join_response(ha).generation_id, 1);
  ASSERT_EQ(b.join_response(hc).generation_id, 1);
  ASSERT_EQ(b.group("g").state(), GroupState::kCompletingRebalance);
  // A follower that lost our answer rejoins with the same metadata: it gets
  // the same generation again, at once.
  auto same = b.join_request("g", "c");
  same.member_id = c;
  auto again = b.join_response(b.join(same));
  EXPECT_EQ(again.error, ErrorCode::kNone);
  EXPECT_EQ(again.generation_id, 1);
  EXPECT_TRUE(again.members.empty());
  // The leader does too: with every member's metadata.
  auto same_leader = b.join_request("g", "a");
  same_leader.member_id = a;
  EXPECT_EQ(b.join_response(b.join(same_leader)).members.size(), 2u);
  EXPECT_EQ(b.group("g").state(), GroupState::kCompletingRebalance);

  // The leader's SyncGroup is held; then a member changes its subscription:
  // a new rebalance, and the held SyncGroup is told so.
  RequestHandle s = b.sync("g", c, 1);
  auto changed = b.join_request("g", "c", subscription({"orders", "payments"}));
  changed.member_id = c;
  RequestHandle hc2 = b.join(changed);
  EXPECT_EQ(b.sync_response(s).error, ErrorCode::kRebalanceInProgress);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  EXPECT_FALSE(b.answered(hc2));
  RequestHandle ha2 = b.join(same_leader);
  EXPECT_EQ(b.join_response(ha2).generation_id, 2);
  EXPECT_EQ(b.join_response(hc2).generation_id, 2);
}

TEST(GroupTest, FollowerRejoiningAStableGroupWithTheSameMetadataDoesNotRebalance) {
  Bench b;
  auto m = form_group(b, "g", {"a", "b"});
  auto same = b.join_request("g", "b");
  same.member_id = m[1].id;
  auto r = b.join_response(b.join(same));
  EXPECT_EQ(r.error, ErrorCode::kNone);
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_EQ(r.leader, m[0].id);
  EXPECT_EQ(b.group("g").state(), GroupState::kStable);
  // Its SyncGroup returns the assignment it already has.
  auto s = b.sync_response(b.sync("g", m[1].id, 1));
  EXPECT_EQ(assigned(s.assignment)[0].partitions, (std::vector<int32_t>{1, 3, 5}));
  // The leader rejoining always rebalances (it may have seen new partitions).
  auto leader = b.join_request("g", "a");
  leader.member_id = m[0].id;
  b.join(leader);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
}

// The cooperative-sticky assignor (KIP-429) runs two rebalances: in the
// first, members keep what they may keep and give up the rest; members that
// gave something up rejoin at once with their smaller owned set, and the
// second rebalance hands the freed partitions out. The broker side is the
// classic protocol; what matters is that members keep heartbeating and
// committing with their generation while the group prepares to rebalance,
// and that a rejoin with changed owned partitions starts the second round.
TEST(GroupTest, CooperativeRebalanceInTwoRounds) {
  Bench b;
  auto coop = [&](const std::string& client, std::vector<int32_t> owned, int32_t gen) {
    std::vector<TopicPartitions> tps;
    if (!owned.empty()) tps.push_back({"orders", owned});
    return b.join_request("g", client, subscription({"orders"}, tps, gen), "cooperative-sticky");
  };
  // a alone owns all four partitions (generation 1).
  std::string a;
  RequestHandle ha = b.join_new(coop("a", {}, -1), &a);
  b.advance(3000);
  ASSERT_EQ(b.join_response(ha).generation_id, 1);
  b.sync_response(b.sync("g", a, 1, {{a, assignment({{"orders", {0, 1, 2, 3}}})}}));

  // c joins. a still consumes and commits with generation 1 while it rejoins.
  std::string c;
  RequestHandle hc = b.join_new(coop("c", {}, -1), &c);
  EXPECT_EQ(b.heartbeat("g", a, 1), ErrorCode::kRebalanceInProgress);
  OffsetCommitRequest commit;
  commit.group_id = "g";
  commit.generation_id = 1;
  commit.member_id = a;
  commit.partitions.push_back({{"orders", 2}, 42, -1, std::nullopt, -1});
  EXPECT_EQ(b.coord.commit_offsets(commit, b.now).partitions[0].error, ErrorCode::kNone);

  // Round 1: a (the leader) keeps 0 and 1 and revokes 2 and 3; c gets nothing yet.
  auto ra = coop("a", {0, 1, 2, 3}, 1);
  ra.member_id = a;
  RequestHandle ha2 = b.join(ra);
  ASSERT_EQ(b.join_response(ha2).generation_id, 2);
  ASSERT_EQ(b.join_response(hc).generation_id, 2);
  RequestHandle sc = b.sync("g", c, 2);
  b.sync_response(b.sync("g", a, 2, {{a, assignment({{"orders", {0, 1}}})}, {c, assignment({})}}));
  EXPECT_TRUE(assigned(b.sync_response(sc).assignment).empty());
  ASSERT_EQ(b.group("g").state(), GroupState::kStable);

  // c, a follower whose owned partitions did not change, rejoining changes nothing.
  auto rc = coop("c", {}, -1);
  rc.member_id = c;
  EXPECT_EQ(b.join_response(b.join(rc)).generation_id, 2);
  ASSERT_EQ(b.group("g").state(), GroupState::kStable);

  // a revoked partitions, so it rejoins at once, with its smaller owned set.
  auto ra3 = coop("a", {0, 1}, 2);
  ra3.member_id = a;
  RequestHandle ha3 = b.join(ra3);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(b.heartbeat("g", c, 2), ErrorCode::kRebalanceInProgress);
  RequestHandle hc3 = b.join(rc);
  // Round 2: the freed partitions go to c.
  ASSERT_EQ(b.join_response(ha3).generation_id, 3);
  ASSERT_EQ(b.join_response(hc3).generation_id, 3);
  // Commits with the new generation wait for the assignment...
  commit.generation_id = 3;
  EXPECT_EQ(b.coord.commit_offsets(commit, b.now).partitions[0].error,
            ErrorCode::kRebalanceInProgress);
  RequestHandle sc3 = b.sync("g", c, 3);
  b.sync("g", a, 3, {{a, assignment({{"orders", {0, 1}}})}, {c, assignment({{"orders", {2, 3}}})}});
  EXPECT_EQ(assigned(b.sync_response(sc3).assignment)[0].partitions, (std::vector<int32_t>{2, 3}));
  // ... and go through once it is out.
  EXPECT_EQ(b.coord.commit_offsets(commit, b.now).partitions[0].error, ErrorCode::kNone);
}

TEST(GroupTest, ProtocolIsOneEveryMemberSupportsChosenByVotes) {
  Bench b;
  auto req = [&](const std::string& client, std::vector<std::string> names) {
    auto r = b.join_request("g", client);
    r.protocols.clear();
    for (auto& n : names) r.protocols.push_back({n, subscription({"orders"})});
    return r;
  };
  std::string a, c, d;
  RequestHandle ha = b.join_new(req("a", {"range", "sticky", "roundrobin"}), &a);
  b.join_new(req("c", {"sticky", "range", "roundrobin"}), &c);
  b.join_new(req("d", {"roundrobin", "sticky"}), &d);
  // d does not support range. Each member votes for its first choice among
  // sticky and roundrobin: a and c for sticky, d for roundrobin.
  b.advance_until_answered(ha);
  EXPECT_EQ(b.join_response(ha).protocol_name, "sticky");
  // A member supporting none of the group's protocols is turned away.
  auto other = req("e", {"range"});
  EXPECT_EQ(b.join_response(b.join(other)).error, ErrorCode::kInconsistentGroupProtocol);
}

TEST(GroupTest, LeaderLeavesAndTheNextMemberLeads) {
  Bench b;
  auto m = form_group(b, "g", {"a", "b"});
  auto left = b.leave("g", {{m[0].id, std::nullopt}});
  EXPECT_EQ(left.error, ErrorCode::kNone);
  ASSERT_EQ(left.members.size(), 1u);
  EXPECT_EQ(left.members[0].error, ErrorCode::kNone);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  auto rejoin = b.join_request("g", "b");
  rejoin.member_id = m[1].id;
  auto r = b.join_response(b.join(rejoin));
  EXPECT_EQ(r.generation_id, 2);
  EXPECT_EQ(r.leader, m[1].id);
  EXPECT_EQ(r.members.size(), 1u);
}

TEST(GroupTest, BatchedLeaveAndTheLastMemberLeavingEmptiesTheGroup) {
  Bench b;
  auto m = form_group(b, "g", {"a", "b"});
  size_t records_before = b.records.size();
  auto left = b.leave("g", {{m[0].id, std::nullopt}, {"ghost", std::nullopt}, {m[1].id, std::nullopt}});
  ASSERT_EQ(left.members.size(), 3u);
  EXPECT_EQ(left.members[0].error, ErrorCode::kNone);
  EXPECT_EQ(left.members[1].error, ErrorCode::kUnknownMemberId);
  EXPECT_EQ(left.members[2].error, ErrorCode::kNone);
  // With nobody left, the rebalance ends at once in an empty generation,
  // which is persisted.
  EXPECT_EQ(b.group("g").state(), GroupState::kEmpty);
  EXPECT_EQ(b.group("g").generation_id(), 2);
  ASSERT_EQ(b.records.size(), records_before + 1);
  auto v = decode_group_metadata_value(*b.records.back().value);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->generation, 2);
  EXPECT_TRUE(v->members.empty());
  EXPECT_EQ(v->protocol_type, "consumer");
  EXPECT_FALSE(v->protocol.has_value());
  EXPECT_FALSE(v->leader.has_value());
  EXPECT_EQ(b.heartbeat("g", m[0].id, 2), ErrorCode::kUnknownMemberId);
}

TEST(GroupTest, LeavingWhileAnotherMemberIsHeldCompletesTheJoinPhase) {
  Bench b;
  auto m = form_group(b, "g", {"a", "b"});
  auto rejoin = b.join_request("g", "a");
  rejoin.member_id = m[0].id;
  RequestHandle ha = b.join(rejoin);
  EXPECT_FALSE(b.answered(ha));
  b.leave("g", {{m[1].id, std::nullopt}});  // the one we were waiting for
  auto r = b.join_response(ha);
  EXPECT_EQ(r.generation_id, 2);
  EXPECT_EQ(r.members.size(), 1u);
}

TEST(GroupTest, MembersThatNeverSyncAreRemovedAfterTheRebalanceTimeout) {
  Bench b;
  std::string a, c;
  RequestHandle ha = b.join_new(b.join_request("g", "a"), &a);
  RequestHandle hc = b.join_new(b.join_request("g", "c"), &c);
  b.advance(6000);  // the initial delay, extended once for c
  b.join_response(ha);
  b.join_response(hc);
  b.sync_response(b.sync("g", a, 1, {{a, assignment({{"orders", {0}}})}}));
  ASSERT_EQ(b.group("g").state(), GroupState::kStable);
  // c got its JoinGroup answer but never syncs (it keeps heartbeating, so
  // its session does not expire).
  for (int i = 0; i < 9; ++i) {
    b.advance(3000);
    EXPECT_EQ(b.heartbeat("g", a, 1), ErrorCode::kNone);
    EXPECT_EQ(b.heartbeat("g", c, 1), ErrorCode::kNone);
  }
  b.advance(2999);
  EXPECT_NE(b.group("g").member(c), nullptr);
  b.advance(1);
  EXPECT_EQ(b.group("g").member(c), nullptr);
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
}

TEST(GroupTest, NewMemberWhoseClientGaveUpIsDroppedAfterTheNewMemberJoinTimeout) {
  auto config = Bench::default_config();
  config.group.new_member_join_timeout_ms = 60000;
  Bench b(config);
  auto m = form_group(b, "g", {"a"});
  // b joins; a is a long-running member with a long rebalance timeout that
  // never rejoins within it... a keeps heartbeating while b waits.
  auto req = b.join_request("g", "b");
  req.rebalance_timeout_ms = 120000;
  std::string id_b;
  RequestHandle hb = b.join_new(req, &id_b);
  for (int i = 0; i < 19; ++i) {
    b.advance(3000);
    b.heartbeat("g", m[0].id, 1);
  }
  EXPECT_FALSE(b.answered(hb));
  b.advance(3000);  // 60 s after b joined
  auto r = b.join_response(hb);
  EXPECT_EQ(r.error, ErrorCode::kUnknownMemberId);
  EXPECT_EQ(b.group("g").member(id_b), nullptr);
}

TEST(GroupTest, ASecondJoinWhileOneIsHeldAnswersTheFirst) {
  Bench b;
  auto m = form_group(b, "g", {"a", "b"});
  auto rejoin = b.join_request("g", "a");
  rejoin.member_id = m[0].id;
  RequestHandle first = b.join(rejoin);
  RequestHandle second = b.join(rejoin);
  EXPECT_EQ(b.join_response(first).error, ErrorCode::kRebalanceInProgress);
  EXPECT_FALSE(b.answered(second));
  auto rb = b.join_request("g", "b");
  rb.member_id = m[1].id;
  b.join(rb);
  EXPECT_EQ(b.join_response(second).generation_id, 2);
}

TEST(GroupTest, NextDeadlineTellsTheDriverWhenToTick) {
  Bench b;
  b.advance(0);  // the first tick arms the offsets expiry check
  std::string a;
  b.join_new(b.join_request("g", "a"), &a);
  ASSERT_TRUE(b.coord.next_deadline_ms().has_value());
  EXPECT_EQ(*b.coord.next_deadline_ms(), b.now + 3000);  // the initial delay
}

}  // namespace
}  // namespace moldau::coordinator
