// The consumer rebalance protocol (KIP-848) state machine, driven by
// simulated consumers that do what the protocol asks of a client: take the
// assignment they are sent, give up what it leaves out, and report what they
// own on the next heartbeat.
#include "coordinator/consumer_group_coordinator.h"

#include <gtest/gtest.h>

namespace moldau::coordinator {
namespace {

struct Client {
  explicit Client(std::string i) : id(std::move(i)) {}
  std::string id;
  int32_t epoch = 0;
  PartitionSet owned;
  std::optional<std::string> instance_id;
  std::vector<std::string> topics = {"orders"};
  std::optional<std::string> assignor;
  ErrorCode last_error = ErrorCode::kNone;
};

class Sim : public ::testing::Test {
 protected:
  ConsumerGroupCoordinator coord{ConsumerGroupConfig{}, 50, 7};
  TopicPartitionCounts topics{{"orders", 6}, {"audit", 2}};
  uint64_t topics_version = 1;  // bumped by tests that change `topics`
  int64_t now = 1'000'000;

  ConsumerHeartbeatRequest request(const Client& c) {
    ConsumerHeartbeatRequest r;
    r.group_id = "g";
    r.member_id = c.id;
    r.member_epoch = c.epoch;
    r.instance_id = c.instance_id;
    // As clients do: the subscription only when joining (or when it
    // changes), what they own on every heartbeat.
    if (c.epoch == 0) {
      r.rebalance_timeout_ms = 30000;
      r.subscribed_topic_names = c.topics;
      r.server_assignor = c.assignor;
    }
    r.owned = c.epoch == 0 ? PartitionSet{} : c.owned;
    r.client_id = "client-" + c.id;
    r.client_host = "/127.0.0.1";
    return r;
  }

  // One heartbeat; the client applies the answer as a real one does.
  ConsumerHeartbeatResponse beat(Client& c) { return send(c, request(c)); }

  ConsumerHeartbeatResponse send(Client& c, const ConsumerHeartbeatRequest& r) {
    auto resp = coord.heartbeat(r, topics, topics_version, now);
    c.last_error = resp.error;
    if (resp.error != ErrorCode::kNone) return resp;
    c.id = resp.member_id;
    c.epoch = resp.member_epoch;
    if (resp.assignment) c.owned = *resp.assignment;
    return resp;
  }

  // Heartbeats every client a few rounds; checks after every heartbeat that
  // no partition is owned by two clients.
  void settle(std::vector<Client*> clients, int rounds = 4) {
    for (int i = 0; i < rounds; ++i) {
      for (Client* c : clients) {
        beat(*c);
        expect_exclusive(clients);
      }
    }
  }

  static void expect_exclusive(const std::vector<Client*>& clients) {
    std::map<std::pair<std::string, int32_t>, std::string> owner;
    for (const Client* c : clients) {
      for (const auto& [t, ps] : c->owned) {
        for (int32_t p : ps) {
          auto [it, fresh] = owner.emplace(std::make_pair(t, p), c->id);
          EXPECT_TRUE(fresh) << t << "-" << p << " owned by " << it->second << " and " << c->id;
        }
      }
    }
  }

  const ConsumerGroup& group() { return *coord.group("g"); }
};

TEST_F(Sim, FirstMemberGetsEverythingAtEpochOne) {
  Client a{"a"};
  auto r = beat(a);
  ASSERT_EQ(r.error, ErrorCode::kNone);
  EXPECT_EQ(r.member_id, "a");
  EXPECT_EQ(r.member_epoch, 1);
  EXPECT_EQ(r.heartbeat_interval_ms, 5000);
  ASSERT_TRUE(r.assignment);
  EXPECT_EQ(partition_count(*r.assignment), 6u);
  EXPECT_EQ(group().group_epoch(), 1);
  EXPECT_EQ(group().assignment_epoch(), 1);
  EXPECT_EQ(group().state(), "Stable");
  // A plain heartbeat changes nothing and carries no assignment.
  r = beat(a);
  EXPECT_EQ(r.member_epoch, 1);
  EXPECT_FALSE(r.assignment);
}

TEST_F(Sim, PartitionsAreRevokedBeforeTheyAreReassigned) {
  Client a{"a"}, b{"b"};
  beat(a);
  auto rb = beat(b);
  // b is at the new epoch but everything in its target is still a's.
  EXPECT_EQ(rb.member_epoch, 2);
  ASSERT_TRUE(rb.assignment);
  EXPECT_TRUE(rb.assignment->empty());
  EXPECT_EQ(group().state(), "Reconciling");
  // a is told to give up three partitions and stays at its epoch.
  auto ra = beat(a);
  EXPECT_EQ(ra.member_epoch, 1);
  ASSERT_TRUE(ra.assignment);
  EXPECT_EQ(partition_count(*ra.assignment), 3u);
  // Until a confirms, b gets nothing.
  EXPECT_FALSE(beat(b).assignment);
  EXPECT_TRUE(b.owned.empty());
  ra = beat(a);  // reports the three it kept
  EXPECT_EQ(ra.member_epoch, 2);
  auto rb2 = beat(b);
  ASSERT_TRUE(rb2.assignment);
  EXPECT_EQ(partition_count(b.owned), 3u);
  expect_exclusive({&a, &b});
  EXPECT_EQ(group().state(), "Stable");
}

TEST_F(Sim, ThreeMembersBalancedAndStickyAcrossEpochs) {
  Client a{"a"}, b{"b"}, c{"c"};
  settle({&a, &b, &c});
  for (Client* x : {&a, &b, &c}) EXPECT_EQ(partition_count(x->owned), 2u) << x->id;
  auto before = std::map<std::string, PartitionSet>{{"a", a.owned}, {"b", b.owned}, {"c", c.owned}};
  Client d{"d"};
  settle({&a, &b, &c, &d});
  size_t kept = 0;
  for (Client* x : {&a, &b, &c}) {
    for (int32_t p : x->owned["orders"]) {
      EXPECT_TRUE(before[x->id]["orders"].contains(p)) << x->id << " was given " << p;
      ++kept;
    }
  }
  EXPECT_EQ(kept, 5u);  // six over four members is 2, 2, 1, 1: one moved to d
  EXPECT_EQ(partition_count(d.owned), 1u);
  EXPECT_EQ(group().state(), "Stable");
  for (Client* x : {&a, &b, &c, &d}) EXPECT_EQ(x->epoch, group().group_epoch());
}

TEST_F(Sim, FencingAndUnknownMembers) {
  Client a{"a"};
  beat(a);
  Client bad = a;
  bad.epoch = 5;
  EXPECT_EQ(beat(bad).error, ErrorCode::kFencedMemberEpoch);
  Client ghost{"ghost"};
  ghost.epoch = 3;
  EXPECT_EQ(beat(ghost).error, ErrorCode::kUnknownMemberId);
  // A group nobody joined: UNKNOWN_MEMBER_ID too, so that the member rejoins.
  auto r = request(ghost);
  r.group_id = "other";
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kUnknownMemberId);
  EXPECT_EQ(coord.group("other"), nullptr);
}

TEST_F(Sim, PreviousEpochIsAcceptedWhenTheAnswerWasLost) {
  Client a{"a"}, b{"b"};
  settle({&a, &b});
  ASSERT_EQ(a.epoch, 2);
  Client c{"c"};
  beat(c);  // epoch 3
  Client lost = a;
  beat(a);  // a moves on (revoking: stays at 2) ...
  settle({&a, &b, &c});
  ASSERT_EQ(a.epoch, 3);
  // ... a client that did not see the epoch-3 answer retries with epoch 2
  // and what it owns now, which is a subset of its assignment.
  lost.owned = a.owned;
  auto r = beat(lost);
  EXPECT_EQ(r.error, ErrorCode::kNone);
  // ... and is sent its assignment and epoch again.
  EXPECT_EQ(r.member_epoch, 3);
  ASSERT_TRUE(r.assignment);
  EXPECT_EQ(*r.assignment, a.owned);
  // With a partition it no longer owns, it is fenced.
  Client stale = a;
  stale.epoch = 2;
  stale.owned = PartitionSet{{"orders", {0, 1, 2, 3, 4, 5}}};
  EXPECT_EQ(beat(stale).error, ErrorCode::kFencedMemberEpoch);
}

TEST_F(Sim, LeaveHandsPartitionsOver) {
  Client a{"a"}, b{"b"};
  settle({&a, &b});
  const int32_t epoch = group().group_epoch();
  auto r = request(b);
  r.member_epoch = -1;
  auto resp = coord.heartbeat(r, topics, topics_version, now);
  EXPECT_EQ(resp.error, ErrorCode::kNone);
  EXPECT_EQ(resp.member_epoch, -1);
  EXPECT_EQ(group().group_epoch(), epoch + 1);
  EXPECT_EQ(group().member("b"), nullptr);
  beat(a);
  EXPECT_EQ(partition_count(a.owned), 6u);
}

TEST_F(Sim, StaticMemberRestartsWithoutRebalance) {
  Client a{"a"}, b{"b1"};
  b.instance_id = "inst-b";
  settle({&a, &b});
  const int32_t epoch = group().group_epoch();
  const PartitionSet b_owned = b.owned;
  // A second incarnation while the first is active: refused.
  Client b2{"b2"};
  b2.instance_id = "inst-b";
  EXPECT_EQ(beat(b2).error, ErrorCode::kUnreleasedInstanceId);
  // The first leaves for now (-2): it keeps its partitions.
  auto r = request(b);
  r.member_epoch = -2;
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).member_epoch, -2);
  EXPECT_EQ(group().group_epoch(), epoch);
  beat(a);
  EXPECT_EQ(partition_count(a.owned), 3u);
  // The new incarnation takes them over, same epoch.
  b2.epoch = 0;
  auto r2 = beat(b2);
  ASSERT_EQ(r2.error, ErrorCode::kNone);
  EXPECT_EQ(b2.owned, b_owned);
  EXPECT_EQ(group().group_epoch(), epoch);
  EXPECT_EQ(group().member("b1"), nullptr);
  EXPECT_EQ(r2.member_epoch, epoch);
}

TEST_F(Sim, SessionTimeoutRemovesAMemberAndOthersTakeOver) {
  Client a{"a"}, b{"b"}, c{"c"};
  settle({&a, &b, &c});
  // c stops heartbeating.
  for (int i = 0; i < 10; ++i) {
    now += 5000;
    coord.tick(now);
    beat(a);
    beat(b);
  }
  EXPECT_EQ(group().member("c"), nullptr);
  settle({&a, &b});
  EXPECT_EQ(partition_count(a.owned) + partition_count(b.owned), 6u);
  EXPECT_EQ(partition_count(a.owned), 3u);
  ASSERT_TRUE(coord.next_deadline_ms());
  EXPECT_EQ(*coord.next_deadline_ms(), now + 45000);
}

TEST_F(Sim, MemberThatDoesNotRevokeIsRemovedAfterTheRebalanceTimeout) {
  Client a{"a"}, b{"b"};
  beat(a);
  beat(b);
  beat(a);  // asked to revoke three; never confirms
  now += 30001;
  // b keeps heartbeating; a only stays silent.
  coord.tick(now);
  EXPECT_EQ(group().member("a"), nullptr);
  beat(b);
  EXPECT_EQ(partition_count(b.owned), 6u);
}

TEST_F(Sim, NewPartitionsBumpTheGroupEpoch) {
  Client a{"a"}, b{"b"};
  settle({&a, &b});
  const int32_t epoch = group().group_epoch();
  topics["orders"] = 8;
  ++topics_version;
  settle({&a, &b});
  EXPECT_EQ(group().group_epoch(), epoch + 1);
  EXPECT_EQ(partition_count(a.owned), 4u);
  EXPECT_EQ(partition_count(b.owned), 4u);
  // A topic nobody subscribes to does not.
  topics["audit"] = 5;
  ++topics_version;
  settle({&a, &b});
  EXPECT_EQ(group().group_epoch(), epoch + 1);
}

TEST_F(Sim, SubscriptionChangeAndRegex) {
  Client a{"a"};
  beat(a);
  auto r = request(a);
  r.subscribed_topic_names = std::vector<std::string>{};
  r.subscribed_topic_regex = "au.*";
  send(a, r);
  settle({&a});
  EXPECT_EQ(a.owned, (PartitionSet{{"audit", {0, 1}}}));
  topics["__consumer_offsets"] = 50;
  topics["audience"] = 1;
  ++topics_version;
  settle({&a});
  EXPECT_EQ(a.owned, (PartitionSet{{"audience", {0}}, {"audit", {0, 1}}}));
}

TEST_F(Sim, RangeAssignorOnRequest) {
  Client a{"a"}, b{"b"};
  a.assignor = b.assignor = "range";
  settle({&a, &b});
  EXPECT_EQ(group().assignor(), "range");
  EXPECT_EQ(a.owned, (PartitionSet{{"orders", {0, 1, 2}}}));
  EXPECT_EQ(b.owned, (PartitionSet{{"orders", {3, 4, 5}}}));
  Client c{"c"};
  c.assignor = "sticky";
  EXPECT_EQ(beat(c).error, ErrorCode::kUnsupportedAssignor);
}

TEST_F(Sim, InvalidRequests) {
  Client a{"a"};
  auto r = request(a);
  r.rebalance_timeout_ms = -1;
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kInvalidRequest);
  r = request(a);
  r.owned = PartitionSet{{"orders", {1}}};
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kInvalidRequest);
  r = request(a);
  r.subscribed_topic_names.reset();
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kInvalidRequest);
  r = request(a);
  r.member_id = "";
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kInvalidRequest);
  r = request(a);
  r.member_epoch = -3;
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kInvalidRequest);
  r = request(a);
  r.subscribed_topic_regex = "(unclosed";
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kInvalidRequest);
  r = request(a);
  r.group_id = "";
  EXPECT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kInvalidRequest);
  EXPECT_TRUE(coord.groups().empty());
}

TEST_F(Sim, VersionZeroGetsAMemberIdFromTheCoordinator) {
  Client a{""};
  auto r = request(a);
  r.api_version = 0;
  auto resp = send(a, r);
  ASSERT_EQ(resp.error, ErrorCode::kNone);
  EXPECT_EQ(resp.member_id.size(), 36u);
  EXPECT_NE(group().member(resp.member_id), nullptr);
}

TEST_F(Sim, OffsetCommitsCheckMemberAndEpoch) {
  Client a{"a"}, b{"b"};
  settle({&a, &b});
  EXPECT_EQ(group().validate_offset_commit("a", a.epoch), ErrorCode::kNone);
  EXPECT_EQ(group().validate_offset_commit("a", a.epoch - 1), ErrorCode::kStaleMemberEpoch);
  EXPECT_EQ(group().validate_offset_commit("nobody", a.epoch), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(group().validate_offset_commit("", -1), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(group().validate_offset_fetch("", -1), ErrorCode::kNone);
  EXPECT_EQ(group().validate_offset_fetch("a", a.epoch + 1), ErrorCode::kStaleMemberEpoch);
  for (Client* c : {&a, &b}) {
    auto r = request(*c);
    r.member_epoch = -1;
    coord.heartbeat(r, topics, topics_version, now);
  }
  EXPECT_EQ(group().state(), "Empty");
  EXPECT_EQ(group().validate_offset_commit("", -1), ErrorCode::kNone);
  EXPECT_EQ(coord.delete_group("g"), ErrorCode::kNone);
  EXPECT_EQ(coord.delete_group("g"), ErrorCode::kGroupIdNotFound);
}

TEST_F(Sim, RejoinWithEpochZeroStartsOver) {
  Client a{"a"}, b{"b"};
  settle({&a, &b});
  // a lost its state (fenced, say) and joins again under the same id.
  a.epoch = 0;
  a.owned.clear();
  auto r = beat(a);
  ASSERT_EQ(r.error, ErrorCode::kNone);
  EXPECT_EQ(partition_count(a.owned), 3u);
  expect_exclusive({&a, &b});
}

TEST_F(Sim, StaticReplacementFreesWhatTheOldIncarnationWasRevoking) {
  Client a{"a"}, b{"b1"};
  b.instance_id = "inst-b";
  settle({&a, &b});
  Client c{"c"};
  beat(c);  // the target moves to two each
  beat(b);  // b1 is asked to give one up and never confirms
  ASSERT_EQ(group().member("b1")->state, ConsumerMemberState::kUnrevokedPartitions);
  auto r = request(b);
  r.member_epoch = -2;
  ASSERT_EQ(coord.heartbeat(r, topics, topics_version, now).error, ErrorCode::kNone);
  Client b2{"b2"};
  b2.instance_id = "inst-b";
  settle({&a, &b2, &c});
  for (Client* x : {&a, &b2, &c}) EXPECT_EQ(partition_count(x->owned), 2u) << x->id;
  EXPECT_EQ(group().state(), "Stable");
}

TEST_F(Sim, NonEmptyGroupCannotBeDeleted) {
  Client a{"a"};
  beat(a);
  EXPECT_EQ(coord.delete_group("g"), ErrorCode::kNonEmptyGroup);
  coord.unload(group().offsets_partition());
  EXPECT_EQ(coord.group("g"), nullptr);
}

}  // namespace
}  // namespace moldau::coordinator
