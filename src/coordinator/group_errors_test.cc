// Every error a client can get from JoinGroup, SyncGroup, Heartbeat and
// LeaveGroup, and when.
#include <gtest/gtest.h>

#include "coordinator/coordinator_test_util.h"

namespace moldau::coordinator {
namespace {

using testing::assignment;
using testing::Bench;
using testing::subscription;

// One Stable member "a" in group "g", generation 1.
std::string stable_member(Bench& b, const std::string& g = "g", const std::string& client = "a") {
  std::string id;
  RequestHandle h = b.join_new(b.join_request(g, client), &id);
  b.advance_until_answered(h);
  EXPECT_EQ(b.join_response(h).generation_id, 1);
  b.sync_response(b.sync(g, id, 1, {{id, assignment({{"orders", {0}}})}}));
  return id;
}

TEST(GroupErrorsTest, InvalidSessionTimeout) {
  Bench b;
  auto req = b.join_request("g", "a");
  req.session_timeout_ms = 5999;  // group.min.session.timeout.ms is 6000
  EXPECT_EQ(b.join_response(b.join(req)).error, ErrorCode::kInvalidSessionTimeout);
  req.session_timeout_ms = 1800001;  // group.max.session.timeout.ms is 1800000
  EXPECT_EQ(b.join_response(b.join(req)).error, ErrorCode::kInvalidSessionTimeout);
  req.session_timeout_ms = 6000;
  EXPECT_EQ(b.join_response(b.join(req)).error, ErrorCode::kMemberIdRequired);
}

TEST(GroupErrorsTest, InvalidGroupId) {
  Bench b;
  EXPECT_EQ(b.join_response(b.join(b.join_request("", "a"))).error, ErrorCode::kInvalidGroupId);
  EXPECT_EQ(b.heartbeat("", "m", 1), ErrorCode::kInvalidGroupId);
  EXPECT_EQ(b.sync_response(b.sync("", "m", 1)).error, ErrorCode::kInvalidGroupId);
  EXPECT_EQ(b.leave("", {{"m", std::nullopt}}).error, ErrorCode::kInvalidGroupId);
  // Longer than a record can hold.
  EXPECT_EQ(b.join_response(b.join(b.join_request(std::string(40000, 'g'), "a"))).error,
            ErrorCode::kInvalidGroupId);
}

TEST(GroupErrorsTest, OversizedClientIdIsRejectedBeforeItBecomesAMemberId) {
  Bench b;
  EXPECT_EQ(b.join_response(b.join(b.join_request("g", std::string(32760, 'c')))).error,
            ErrorCode::kInvalidRequest);
}

TEST(GroupErrorsTest, NotCoordinatorAndLoadInProgress) {
  Bench b(Bench::default_config(), /*load=*/false);
  int32_t p = partition_for("g", 50);
  EXPECT_EQ(b.join_response(b.join(b.join_request("g", "a"))).error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(b.heartbeat("g", "m", 1), ErrorCode::kNotCoordinator);
  b.coord.begin_loading(p);
  EXPECT_EQ(b.join_response(b.join(b.join_request("g", "a"))).error,
            ErrorCode::kCoordinatorLoadInProgress);
  EXPECT_EQ(b.heartbeat("g", "m", 1), ErrorCode::kCoordinatorLoadInProgress);
  // SyncGroup while loading sends the member back to JoinGroup.
  EXPECT_EQ(b.sync_response(b.sync("g", "m", 1)).error, ErrorCode::kRebalanceInProgress);
  EXPECT_EQ(b.coord.list_groups({}).error, ErrorCode::kCoordinatorLoadInProgress);
  b.coord.complete_loading(p, b.now);
  EXPECT_EQ(b.join_response(b.join(b.join_request("g", "a"))).error, ErrorCode::kMemberIdRequired);
}

TEST(GroupErrorsTest, UnknownMemberId) {
  Bench b;
  // A member id for a group that does not exist.
  auto req = b.join_request("g", "a");
  req.member_id = "a-123";
  EXPECT_EQ(b.join_response(b.join(req)).error, ErrorCode::kUnknownMemberId);
  EXPECT_EQ(b.coord.group("g"), nullptr);  // and no group was created for it
  EXPECT_EQ(b.heartbeat("g", "a-123", 0), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(b.sync_response(b.sync("g", "a-123", 0)).error, ErrorCode::kUnknownMemberId);
  auto left = b.leave("g", {{"a-123", std::nullopt}});
  EXPECT_EQ(left.error, ErrorCode::kNone);
  EXPECT_EQ(left.members.at(0).error, ErrorCode::kUnknownMemberId);

  // A member id the group does not know.
  stable_member(b);
  EXPECT_EQ(b.join_response(b.join(req)).error, ErrorCode::kUnknownMemberId);
  EXPECT_EQ(b.heartbeat("g", "a-123", 1), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(b.sync_response(b.sync("g", "a-123", 1)).error, ErrorCode::kUnknownMemberId);
}

TEST(GroupErrorsTest, IllegalGeneration) {
  Bench b;
  std::string id = stable_member(b);
  EXPECT_EQ(b.heartbeat("g", id, 0), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(b.heartbeat("g", id, 2), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(b.sync_response(b.sync("g", id, 2)).error, ErrorCode::kIllegalGeneration);
  EXPECT_EQ(b.heartbeat("g", id, 1), ErrorCode::kNone);
}

TEST(GroupErrorsTest, InconsistentGroupProtocol) {
  Bench b;
  // No protocol at all, or no protocol type, even for a new group.
  auto none = b.join_request("g", "a");
  none.protocols.clear();
  EXPECT_EQ(b.join_response(b.join(none)).error, ErrorCode::kInconsistentGroupProtocol);
  std::string id = stable_member(b);
  // Another protocol type.
  auto connect = b.join_request("g", "b");
  connect.protocol_type = "connect";
  EXPECT_EQ(b.join_response(b.join(connect)).error, ErrorCode::kInconsistentGroupProtocol);
  // No protocol in common.
  auto other = b.join_request("g", "b", subscription({"orders"}), "roundrobin");
  EXPECT_EQ(b.join_response(b.join(other)).error, ErrorCode::kInconsistentGroupProtocol);
  // SyncGroup (v5+) naming another protocol.
  SyncGroupRequest s;
  s.handle = b.next_handle++;
  s.group_id = "g";
  s.member_id = id;
  s.generation_id = 1;
  s.protocol_name = "roundrobin";
  b.absorb(b.coord.sync(s, b.now));
  EXPECT_EQ(b.sync_response(s.handle).error, ErrorCode::kInconsistentGroupProtocol);
}

TEST(GroupErrorsTest, GroupMaxSizeReached) {
  auto config = Bench::default_config();
  config.group.max_size = 2;
  Bench b(config);
  std::string a, c;
  RequestHandle ha = b.join_new(b.join_request("g", "a"), &a);
  RequestHandle hc = b.join_new(b.join_request("g", "c"), &c);
  // A third member, while the group is still forming: two are awaiting join.
  auto full = b.join_response(b.join(b.join_request("g", "d")));
  EXPECT_EQ(full.error, ErrorCode::kGroupMaxSizeReached);
  EXPECT_EQ(full.member_id, "");
  b.advance_until_answered(ha);
  EXPECT_EQ(b.join_response(ha).members.size(), 2u);
  b.join_response(hc);
  b.sync("g", c, 1);
  b.sync("g", a, 1, {});
  ASSERT_EQ(b.group("g").state(), GroupState::kStable);
  // Stable and full: a new member is turned away, known ones still rejoin.
  EXPECT_EQ(b.join_response(b.join(b.join_request("g", "e"))).error,
            ErrorCode::kGroupMaxSizeReached);
  auto rejoin = b.join_request("g", "c", subscription({"payments"}));
  rejoin.member_id = c;
  RequestHandle h = b.join(rejoin);
  EXPECT_FALSE(b.answered(h));
  EXPECT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
}

TEST(GroupErrorsTest, RebalanceInProgress) {
  Bench b;
  std::string id = stable_member(b);
  std::string other;
  b.join_new(b.join_request("g", "b"), &other);
  ASSERT_EQ(b.group("g").state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(b.heartbeat("g", id, 1), ErrorCode::kRebalanceInProgress);
  EXPECT_EQ(b.sync_response(b.sync("g", id, 1)).error, ErrorCode::kRebalanceInProgress);
}

TEST(GroupErrorsTest, HeartbeatAfterTheGroupEmptied) {
  Bench b;
  std::string id = stable_member(b);
  b.leave("g", {{id, std::nullopt}});
  ASSERT_EQ(b.group("g").state(), GroupState::kEmpty);
  EXPECT_EQ(b.heartbeat("g", id, 2), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(b.sync_response(b.sync("g", id, 2)).error, ErrorCode::kUnknownMemberId);
  // The old member rejoining with its id is unknown too.
  auto rejoin = b.join_request("g", "a");
  rejoin.member_id = id;
  EXPECT_EQ(b.join_response(b.join(rejoin)).error, ErrorCode::kUnknownMemberId);
}

TEST(GroupErrorsTest, LeaveOfAPendingMemberRemovesIt) {
  Bench b;
  auto r = b.join_response(b.join(b.join_request("g", "a")));
  ASSERT_EQ(r.error, ErrorCode::kMemberIdRequired);
  auto left = b.leave("g", {{r.member_id, std::nullopt}});
  EXPECT_EQ(left.members.at(0).error, ErrorCode::kNone);
  EXPECT_FALSE(b.group("g").is_pending_member(r.member_id));
}

TEST(GroupErrorsTest, ADeletedGroupIsDeadForItsMembersAndTheCoordinatorForgetsIt) {
  Bench b;
  std::string id = stable_member(b);
  b.leave("g", {{id, std::nullopt}});
  auto deleted = b.coord.delete_groups({"g"}, b.now);
  ASSERT_EQ(deleted.groups.at(0).second, ErrorCode::kNone);
  EXPECT_EQ(b.coord.group("g"), nullptr);
  EXPECT_EQ(b.heartbeat("g", id, 2), ErrorCode::kUnknownMemberId);
}

}  // namespace
}  // namespace moldau::coordinator

namespace moldau::coordinator {
namespace {

// A Dead group (deleted or unloaded while a request was on its way) answers
// everything COORDINATOR_NOT_AVAILABLE: the member rediscovers its coordinator.
TEST(GroupErrorsTest, DeadGroupAnswersCoordinatorNotAvailable) {
  GroupConfig config;
  MemberIdGenerator ids(7);
  Group g("g", 0, config, ids, 0);
  Effects fx;
  JoinGroupRequest join;
  join.handle = 1;
  join.api_version = 3;
  join.group_id = "g";
  join.client_id = "a";
  join.session_timeout_ms = 10000;
  join.rebalance_timeout_ms = 10000;
  join.protocol_type = "consumer";
  join.protocols = {{"range", {}}};
  g.join(join, 0, fx);
  ASSERT_TRUE(fx.responses.empty());  // held in the initial delay
  std::string id = g.members().at(0).member_id;

  g.mark_dead(ErrorCode::kNotCoordinator, 10, fx);
  ASSERT_EQ(fx.responses.size(), 1u);
  EXPECT_EQ(std::get<JoinGroupResponse>(fx.responses[0]).error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(g.state(), GroupState::kDead);
  EXPECT_FALSE(g.next_deadline_ms().has_value());

  fx = {};
  join.handle = 2;
  g.join(join, 20, fx);
  HeartbeatRequest hb;
  hb.handle = 3;
  hb.member_id = id;
  g.heartbeat(hb, 20, fx);
  SyncGroupRequest sync;
  sync.handle = 4;
  sync.member_id = id;
  g.sync(sync, 20, fx);
  LeaveGroupRequest leave;
  leave.handle = 5;
  leave.members = {{id, std::nullopt}};
  g.leave(leave, 20, fx);
  ASSERT_EQ(fx.responses.size(), 4u);
  EXPECT_EQ(std::get<JoinGroupResponse>(fx.responses[0]).error, ErrorCode::kCoordinatorNotAvailable);
  EXPECT_EQ(std::get<HeartbeatResponse>(fx.responses[1]).error, ErrorCode::kCoordinatorNotAvailable);
  EXPECT_EQ(std::get<SyncGroupResponse>(fx.responses[2]).error, ErrorCode::kCoordinatorNotAvailable);
  EXPECT_EQ(std::get<LeaveGroupResponse>(fx.responses[3]).error, ErrorCode::kCoordinatorNotAvailable);
  EXPECT_EQ(g.validate_offset_commit(id, std::nullopt, 1), ErrorCode::kCoordinatorNotAvailable);
}

}  // namespace
}  // namespace moldau::coordinator
