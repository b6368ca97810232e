// ListGroups, DescribeGroups, DeleteGroups, and the group rows of the API
// table.
#include <algorithm>
#include <cctype>

#include "base/log.h"
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

template <typename Req>
bool decode_or_close(RequestContext& ctx, Req& req, const char* name) {
  if (ctx.decode(req)) return true;
  MOLDAU_LOG_WARN("closing connection from {}: malformed {} v{} request", ctx.connection()->peer(), name,
                  ctx.api_version());
  ctx.close_connection();
  return false;
}

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

void handle_list_groups(Broker& broker, RequestContext& ctx) {
  protocol::ListGroupsRequest req;
  if (!decode_or_close(ctx, req, "ListGroups")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  protocol::ListGroupsResponse resp;
  // Version 5's types filter: only classic groups exist so far.
  bool classic_wanted = req.types_filter.empty() ||
                        std::any_of(req.types_filter.begin(), req.types_filter.end(),
                                    [](const std::string& t) { return iequals(t, "classic"); });
  auto listed = driver->list_groups(req.states_filter);
  resp.error_code = wire(listed.error);
  if (classic_wanted) {
    for (const auto& g : listed.groups) {
      auto& out = resp.groups.emplace_back();
      out.group_id = g.group_id;
      out.protocol_type = g.protocol_type;
      out.group_state = g.state;
      out.group_type = g.group_type;
    }
  }
  ctx.respond(resp);
}

void handle_describe_groups(Broker& broker, RequestContext& ctx) {
  protocol::DescribeGroupsRequest req;
  if (!decode_or_close(ctx, req, "DescribeGroups")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  protocol::DescribeGroupsResponse resp;
  for (const auto& g : driver->describe_groups(req.groups)) {
    auto& out = resp.groups.emplace_back();
    out.error_code = wire(g.error);
    out.group_id = g.group_id;
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
  if (!decode_or_close(ctx, req, "DeleteGroups")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  driver->delete_groups(req.groups_names, [ctx](std::vector<std::pair<std::string, ErrorCode>> result) mutable {
    protocol::DeleteGroupsResponse resp;
    for (const auto& [id, e] : result) {
      auto& out = resp.results.emplace_back();
      out.group_id = id;
      out.error_code = wire(e);
    }
    ctx.respond(resp);
  });
}

void register_group_apis(Broker&, const AddApi& add) {
  namespace k = protocol::api_key;
  // Ranges clipped to the codec's (OffsetCommit from v2, OffsetFetch from v1,
  // as in Kafka 4.x). Left out until they are served: OffsetCommit and
  // OffsetFetch v10 (topic ids), DescribeGroups v6 (GROUP_ID_NOT_FOUND for
  // unknown groups), DeleteGroups v3, ConsumerGroupHeartbeat and
  // ConsumerGroupDescribe (KIP-848).
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
}

}  // namespace moldau::kafka
