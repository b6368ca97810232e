// ListGroups, DescribeGroups, DeleteGroups, and the group rows of the API
// table.
#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>

#include "base/log.h"
#include "coordinator/consumer_protocol.h"
#include "kafka/groups/consumer_group_driver.h"
#include "kafka/handlers/group_handlers.h"
#include "kafka/handlers/handlers.h"
#include "protocol/msg/api_keys.h"
#include "protocol/msg/delete_groups_request.h"
#include "protocol/msg/delete_groups_response.h"
#include "protocol/msg/describe_groups_request.h"
#include "protocol/msg/describe_groups_response.h"
#include "protocol/msg/list_groups_request.h"
#include "protocol/msg/list_groups_response.h"

namespace moldau::kafka {

namespace c = coordinator;

namespace {

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

void handle_list_groups(Broker& broker, RequestContext& ctx) {
  protocol::ListGroupsRequest req;
  if (!ctx.decode_or_close(req, "ListGroups")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  protocol::ListGroupsResponse resp;
  // Version 5's types filter: "classic" and "consumer" (KIP-848) groups.
  auto type_wanted = [&](const char* type) {
    return req.types_filter.empty() || std::any_of(req.types_filter.begin(), req.types_filter.end(),
                                                   [&](const std::string& t) { return iequals(t, type); });
  };
  auto state_wanted = [&](const std::string& state) {
    return req.states_filter.empty() || std::any_of(req.states_filter.begin(), req.states_filter.end(),
                                                    [&](const std::string& s) { return iequals(s, state); });
  };
  // Consumer groups share the id namespace: an Empty classic entry holding
  // their offsets is shown as the consumer group.
  const auto* consumer = groups::consumer_driver_of(broker);
  auto listed = driver->list_groups(req.states_filter);
  resp.error_code = wire(listed.error);
  if (type_wanted("classic")) {
    for (const auto& g : listed.groups) {
      if (consumer && consumer->group(g.group_id)) continue;
      auto& out = resp.groups.emplace_back();
      out.group_id = g.group_id;
      out.protocol_type = g.protocol_type;
      out.group_state = g.state;
      out.group_type = g.group_type;
    }
  }
  if (consumer && type_wanted("consumer") && listed.error == ErrorCode::kNone) {
    for (const auto& [id, g] : consumer->core().groups()) {
      const std::string state = g->state();
      if (!state_wanted(state)) continue;
      auto& out = resp.groups.emplace_back();
      out.group_id = id;
      out.protocol_type = "consumer";
      out.group_state = state;
      out.group_type = "consumer";
    }
  }
  ctx.respond(resp);
}

namespace {

// A consumer group (KIP-848) as DescribeGroups shows it: protocol type
// "consumer", members with their subscriptions and assignments in the
// classic consumer protocol's encoding.
void describe_consumer_group(const c::ConsumerGroup& g, protocol::DescribeGroupsResponse::DescribedGroup& out) {
  out.group_state = g.state();
  out.protocol_type = "consumer";
  out.protocol_data = g.assignor();
  for (const auto& [id, m] : g.members()) {
    auto& om = out.members.emplace_back();
    om.member_id = id;
    om.group_instance_id = m.instance_id;
    om.client_id = m.client_id;
    om.client_host = m.client_host;
    c::ConsumerSubscription sub;
    sub.topics = m.subscribed_topic_names;
    om.member_metadata = c::encode_subscription(sub);
    c::ConsumerAssignment a;
    for (const auto& [topic, ps] : m.assigned) a.partitions.push_back({topic, {ps.begin(), ps.end()}});
    om.member_assignment = c::encode_assignment(a);
  }
}

}  // namespace

void handle_describe_groups(Broker& broker, RequestContext& ctx) {
  protocol::DescribeGroupsRequest req;
  if (!ctx.decode_or_close(req, "DescribeGroups")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  const auto* consumer = groups::consumer_driver_of(broker);
  protocol::DescribeGroupsResponse resp;
  for (const auto& g : driver->describe_groups(req.groups)) {
    auto& out = resp.groups.emplace_back();
    out.error_code = wire(g.error);
    out.group_id = g.group_id;
    if (const c::ConsumerGroup* cg = consumer && g.error == ErrorCode::kNone ? consumer->group(g.group_id) : nullptr) {
      describe_consumer_group(*cg, out);
      continue;
    }
    out.group_state = g.state;
    out.protocol_type = g.protocol_type;
    out.protocol_data = g.protocol;
    for (const auto& m : g.members) {
      auto& om = out.members.emplace_back();
      om.member_id = m.member_id;
      om.group_instance_id = m.group_instance_id;
      om.client_id = m.client_id;
      om.client_host = m.client_host;
      om.member_metadata = m.metadata;
      om.member_assignment = m.assignment;
    }
  }
  ctx.respond(resp);
}

void handle_delete_groups(Broker& broker, RequestContext& ctx) {
  protocol::DeleteGroupsRequest req;
  if (!ctx.decode_or_close(req, "DeleteGroups")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  // Consumer groups (KIP-848) first: one with members is NON_EMPTY_GROUP;
  // an empty one is forgotten here and its offsets deleted by the classic
  // coordinator, which may not know the id (no offsets): that is success.
  auto* consumer = groups::consumer_driver_of(broker);
  auto early = std::make_shared<std::map<std::string, ErrorCode>>();
  auto dropped = std::make_shared<std::set<std::string>>();
  std::vector<std::string> classic;
  for (const auto& id : req.groups_names) {
    const bool ours = consumer && consumer->coordinator_status(id) == ErrorCode::kNone && consumer->group(id);
    if (ours) {
      ErrorCode e = consumer->delete_group(id);
      if (e != ErrorCode::kNone) {
        (*early)[id] = e;
        continue;
      }
      dropped->insert(id);
    }
    classic.push_back(id);
  }
  auto names = std::make_shared<std::vector<std::string>>(req.groups_names);
  driver->delete_groups(classic, [ctx, names, early, dropped](std::vector<std::pair<std::string, ErrorCode>> result) mutable {
    std::map<std::string, ErrorCode> by_id(result.begin(), result.end());
    for (auto& [id, e] : by_id) {
      if (e == ErrorCode::kGroupIdNotFound && dropped->contains(id)) e = ErrorCode::kNone;
    }
    for (const auto& [id, e] : *early) by_id[id] = e;
    protocol::DeleteGroupsResponse resp;
    for (const auto& id : *names) {
      auto& out = resp.results.emplace_back();
      out.group_id = id;
      auto it = by_id.find(id);
      out.error_code = wire(it == by_id.end() ? ErrorCode::kGroupIdNotFound : it->second);
    }
    ctx.respond(resp);
  });
}

void register_group_apis(Broker&, const AddApi& add) {
  namespace k = protocol::api_key;
  // Ranges clipped to the codec's (OffsetCommit from v2, OffsetFetch from v1,
  // as in Kafka 4.x). Left out until they are served: OffsetCommit and
  // OffsetFetch v10 (topic ids), DescribeGroups v6 (GROUP_ID_NOT_FOUND for
  // unknown groups), DeleteGroups v3.
  add(k::kFindCoordinator, 0, 6, handle_find_coordinator);
  add(k::kJoinGroup, 0, 9, handle_join_group);
  add(k::kSyncGroup, 0, 5, handle_sync_group);
  add(k::kHeartbeat, 0, 4, handle_heartbeat);
  add(k::kLeaveGroup, 0, 5, handle_leave_group);
  add(k::kOffsetCommit, 2, 9, handle_offset_commit);
  add(k::kOffsetFetch, 1, 9, handle_offset_fetch);
  add(k::kOffsetDelete, 0, 0, handle_offset_delete);
  add(k::kListGroups, 0, 5, handle_list_groups);
  add(k::kDescribeGroups, 0, 5, handle_describe_groups);
  add(k::kDeleteGroups, 0, 2, handle_delete_groups);
  // KIP-848 (group_consumer.cc).
  add(k::kConsumerGroupHeartbeat, 0, 1, handle_consumer_group_heartbeat);
  add(k::kConsumerGroupDescribe, 0, 1, handle_consumer_group_describe);
}

}  // namespace moldau::kafka
