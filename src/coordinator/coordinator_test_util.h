// A test bench for the group coordinator: a fake clock, request handles, and
// a mailbox of delivered responses that fails the test if a handle is
// answered twice. Consumers are simulated by the tests themselves.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "coordinator/consumer_protocol.h"
#include "coordinator/group_coordinator.h"

namespace moldau::coordinator::testing {

inline Bytes subscription(std::vector<std::string> topics,
                          std::vector<TopicPartitions> owned = {}, int32_t generation = -1) {
  ConsumerSubscription s;
  s.topics = std::move(topics);
  s.owned_partitions = std::move(owned);
  s.generation_id = generation;
  return encode_subscription(s);
}

inline Bytes assignment(std::vector<TopicPartitions> partitions) {
  ConsumerAssignment a;
  a.partitions = std::move(partitions);
  return encode_assignment(a);
}

inline std::vector<TopicPartitions> assigned(const Bytes& bytes) {
  auto a = decode_assignment(bytes);
  EXPECT_TRUE(a.ok());
  return a.ok() ? a->partitions : std::vector<TopicPartitions>{};
}

inline std::vector<Protocol> protocols(const std::string& name, Bytes metadata) {
  return {Protocol{name, std::move(metadata)}};
}

class Bench {
 public:
  static CoordinatorConfig default_config() {
    CoordinatorConfig c;
    c.member_id_seed = 42;
    return c;
  }

  explicit Bench(CoordinatorConfig config = default_config(), bool load = true)
      : coord(std::move(config)) {
    if (!load) return;
    for (int32_t p = 0; p < coord.config().offsets_topic_num_partitions; ++p) {
      coord.begin_loading(p);
      coord.complete_loading(p, now);
    }
  }

  // A JoinGroup as a current consumer sends it (version 5, no member id).
  JoinGroupRequest join_request(const std::string& group, const std::string& client_id,
                                Bytes metadata = subscription({"orders"}),
                                const std::string& protocol = "range") {
    JoinGroupRequest r;
    r.api_version = 5;
    r.group_id = group;
    r.client_id = client_id;
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.protocol_type = "consumer";
    r.protocols = protocols(protocol, std::move(metadata));
    return r;
  }

  RequestHandle join(JoinGroupRequest r) {
    r.handle = next_handle++;
    absorb(coord.join(r, now));
    return r.handle;
  }
  // KIP-394: the first JoinGroup gets MEMBER_ID_REQUIRED and the id; the
  // second, with the id, is held. Returns the handle of the second.
  RequestHandle join_new(JoinGroupRequest r, std::string* member_id) {
    RequestHandle first = join(r);
    auto resp = join_response(first);
    EXPECT_EQ(resp.error, ErrorCode::kMemberIdRequired);
    *member_id = resp.member_id;
    r.member_id = resp.member_id;
    return join(r);
  }

  RequestHandle sync(const std::string& group, const std::string& member_id, int32_t generation,
                     std::vector<MemberAssignment> assignments = {},
                     std::optional<std::string> instance = std::nullopt) {
    SyncGroupRequest r;
    r.handle = next_handle++;
    r.group_id = group;
    r.member_id = member_id;
    r.generation_id = generation;
    r.group_instance_id = std::move(instance);
    r.protocol_type = "consumer";
    r.assignments = std::move(assignments);
    absorb(coord.sync(r, now));
    return r.handle;
  }

  ErrorCode heartbeat(const std::string& group, const std::string& member_id, int32_t generation,
                      std::optional<std::string> instance = std::nullopt) {
    HeartbeatRequest r;
    r.handle = next_handle++;
    r.group_id = group;
    r.member_id = member_id;
    r.generation_id = generation;
    r.group_instance_id = std::move(instance);
    absorb(coord.heartbeat(r, now));
    return std::get<HeartbeatResponse>(take(r.handle)).error;
  }

  LeaveGroupResponse leave(const std::string& group, std::vector<MemberIdentity> members) {
    LeaveGroupRequest r;
    r.handle = next_handle++;
    r.group_id = group;
    r.members = std::move(members);
    absorb(coord.leave(r, now));
    return std::get<LeaveGroupResponse>(take(r.handle));
  }

  // Offsets and admin calls, with their records kept in `records`.
  OffsetCommitResult commit(const OffsetCommitRequest& r) {
    auto res = coord.commit_offsets(r, now);
    for (const auto& rec : res.records) records.push_back(rec);
    return res;
  }
  DeleteGroupsResult delete_groups(const std::vector<std::string>& ids) {
    auto res = coord.delete_groups(ids, now);
    for (const auto& rec : res.records) records.push_back(rec);
    return res;
  }

  void advance(int64_t ms) {
    now += ms;
    absorb(coord.tick(now));
  }

  // Ticks in steps until `h` is answered (or `limit_ms` has passed).
  void advance_until_answered(RequestHandle h, int64_t step_ms = 100, int64_t limit_ms = 600000) {
    for (int64_t waited = 0; !answered(h) && waited < limit_ms; waited += step_ms) advance(step_ms);
  }

  bool answered(RequestHandle h) const { return responses.count(h) > 0; }
  JoinGroupResponse join_response(RequestHandle h) { return std::get<JoinGroupResponse>(take(h)); }
  SyncGroupResponse sync_response(RequestHandle h) { return std::get<SyncGroupResponse>(take(h)); }

  const Group& group(const std::string& id) {
    const Group* g = coord.group(id);
    EXPECT_NE(g, nullptr) << id;
    return *g;
  }

  void absorb(Effects fx) {
    for (auto& r : fx.records) records.push_back(std::move(r));
    for (auto& r : fx.responses) {
      RequestHandle h = handle_of(r);
      EXPECT_TRUE(responses.emplace(h, std::move(r)).second) << "handle " << h << " answered twice";
      EXPECT_FALSE(taken.count(h)) << "handle " << h << " answered again after delivery";
    }
  }

  GroupCoordinator coord;
  int64_t now = 1'000'000;
  RequestHandle next_handle = 1;
  std::map<RequestHandle, Response> responses;  // answered, not yet looked at
  std::vector<OffsetsRecord> records;           // every record, in order

 private:
  Response take(RequestHandle h) {
    auto it = responses.find(h);
    EXPECT_NE(it, responses.end()) << "handle " << h << " not answered";
    if (it == responses.end()) return HeartbeatResponse{h, ErrorCode::kUnknownServerError};
    Response r = std::move(it->second);
    responses.erase(it);
    taken.insert(h);
    return r;
  }
  std::set<RequestHandle> taken;
};

}  // namespace moldau::coordinator::testing
