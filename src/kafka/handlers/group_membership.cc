// JoinGroup, SyncGroup, Heartbeat, LeaveGroup: mapped to the coordinator's
// requests (docs/groups.md, "What a driver does") and answered when the
// driver delivers the coordinator's response (JoinGroup and SyncGroup are
// held until the rebalance reaches them).
#include "base/log.h"
#include "kafka/groups/consumer_group_driver.h"
#include "kafka/handlers/group_handlers.h"
#include "protocol/msg/heartbeat_request.h"
#include "protocol/msg/heartbeat_response.h"
#include "protocol/msg/join_group_request.h"
#include "protocol/msg/join_group_response.h"
#include "protocol/msg/leave_group_request.h"
#include "protocol/msg/leave_group_response.h"
#include "protocol/msg/sync_group_request.h"
#include "protocol/msg/sync_group_response.h"

namespace moldau::kafka {

namespace c = coordinator;

namespace group_detail {

std::string client_host(const std::string& peer) {
  auto colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

groups::GroupDriver* driver_or_close(Broker& broker, RequestContext& ctx) {
  groups::GroupDriver* d = groups::driver_of(broker);
  if (!d) {
    MOLDAU_LOG_WARN("closing connection from {}: API key {} needs the group coordinator, which is not running",
                    ctx.connection()->peer(), ctx.api_key());
    ctx.close_connection();
  }
  return d;
}

}  // namespace group_detail

namespace {

using group_detail::error_of;

}  // namespace

void handle_join_group(Broker& broker, RequestContext& ctx) {
  protocol::JoinGroupRequest req;
  if (!ctx.decode_or_close(req, "JoinGroup")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  c::JoinGroupRequest j;
  j.api_version = ctx.api_version();
  j.group_id = std::move(req.group_id);
  j.member_id = std::move(req.member_id);
  j.group_instance_id = std::move(req.group_instance_id);
  j.client_id = ctx.client_id();
  j.client_host = group_detail::client_host(ctx.connection()->peer());
  j.session_timeout_ms = req.session_timeout_ms;
  // Version 0 has no rebalance timeout: the session timeout serves as both.
  j.rebalance_timeout_ms = ctx.api_version() == 0 ? req.session_timeout_ms : req.rebalance_timeout_ms;
  j.protocol_type = std::move(req.protocol_type);
  for (auto& p : req.protocols) j.protocols.push_back({std::move(p.name), std::move(p.metadata)});
  if (req.reason) MOLDAU_LOG_DEBUG("JoinGroup {} from {}: {}", j.group_id, j.client_id, *req.reason);
  // One namespace with the consumer groups (KIP-848): a consumer group with
  // members keeps its id; an empty one gives it up.
  if (auto* cd = groups::consumer_driver_of(broker); cd && cd->coordinator_status(j.group_id) == ErrorCode::kNone) {
    if (cd->delete_group(j.group_id) == ErrorCode::kNonEmptyGroup) {
      protocol::JoinGroupResponse resp;
      resp.error_code = wire(ErrorCode::kInconsistentGroupProtocol);
      resp.protocol_name = std::string();
      ctx.respond(resp);
      return;
    }
  }
  driver->join(std::move(j), [ctx](const c::Response& r) mutable {
    protocol::JoinGroupResponse resp;
    const int16_t v = ctx.api_version();
    if (const auto* x = std::get_if<c::JoinGroupResponse>(&r)) {
      resp.error_code = wire(x->error);
      resp.generation_id = x->generation_id;
      resp.protocol_type = x->protocol_type;
      resp.protocol_name = x->protocol_name;
      // Before version 7 the protocol name is not nullable.
      if (v < 7 && !resp.protocol_name) resp.protocol_name = std::string();
      resp.leader = x->leader;
      resp.skip_assignment = x->skip_assignment;
      resp.member_id = x->member_id;
      for (const auto& m : x->members) {
        auto& out = resp.members.emplace_back();
        out.member_id = m.member_id;
        out.group_instance_id = m.group_instance_id;
        out.metadata = m.metadata;
      }
    } else {
      resp.error_code = wire(error_of(r));
      resp.protocol_name = std::string();
    }
    ctx.respond(resp);
  });
}

void handle_sync_group(Broker& broker, RequestContext& ctx) {
  protocol::SyncGroupRequest req;
  if (!ctx.decode_or_close(req, "SyncGroup")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  c::SyncGroupRequest s;
  s.group_id = std::move(req.group_id);
  s.generation_id = req.generation_id;
  s.member_id = std::move(req.member_id);
  s.group_instance_id = std::move(req.group_instance_id);
  s.protocol_type = std::move(req.protocol_type);
  s.protocol_name = std::move(req.protocol_name);
  for (auto& a : req.assignments) s.assignments.push_back({std::move(a.member_id), std::move(a.assignment)});
  driver->sync(std::move(s), [ctx](const c::Response& r) mutable {
    protocol::SyncGroupResponse resp;
    if (const auto* x = std::get_if<c::SyncGroupResponse>(&r)) {
      resp.error_code = wire(x->error);
      resp.protocol_type = x->protocol_type;
      resp.protocol_name = x->protocol_name;
      resp.assignment = x->assignment;
    } else {
      resp.error_code = wire(error_of(r));
    }
    ctx.respond(resp);
  });
}

void handle_heartbeat(Broker& broker, RequestContext& ctx) {
  protocol::HeartbeatRequest req;
  if (!ctx.decode_or_close(req, "Heartbeat")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  c::HeartbeatRequest h;
  h.group_id = std::move(req.group_id);
  h.generation_id = req.generation_id;
  h.member_id = std::move(req.member_id);
  h.group_instance_id = std::move(req.group_instance_id);
  driver->heartbeat(std::move(h), [ctx](const c::Response& r) mutable {
    protocol::HeartbeatResponse resp;
    resp.error_code = wire(error_of(r));
    ctx.respond(resp);
  });
}

void handle_leave_group(Broker& broker, RequestContext& ctx) {
  protocol::LeaveGroupRequest req;
  if (!ctx.decode_or_close(req, "LeaveGroup")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  const int16_t v = ctx.api_version();
  c::LeaveGroupRequest l;
  l.group_id = std::move(req.group_id);
  if (v <= 2) {
    // Versions 0-2 name one member: a batch of one.
    l.members.push_back({std::move(req.member_id), std::nullopt});
  } else {
    for (auto& m : req.members) {
      if (m.reason) MOLDAU_LOG_DEBUG("LeaveGroup {} member {}: {}", l.group_id, m.member_id, *m.reason);
      l.members.push_back({std::move(m.member_id), std::move(m.group_instance_id)});
    }
  }
  driver->leave(std::move(l), [ctx, v](const c::Response& r) mutable {
    protocol::LeaveGroupResponse resp;
    const auto* x = std::get_if<c::LeaveGroupResponse>(&r);
    resp.error_code = wire(error_of(r));
    if (x && v <= 2) {
      // The one member's error becomes the top-level error.
      if (x->error == ErrorCode::kNone && !x->members.empty()) resp.error_code = wire(x->members.front().error);
    } else if (x) {
      for (const auto& m : x->members) {
        auto& out = resp.members.emplace_back();
        out.member_id = m.member_id;
        out.group_instance_id = m.group_instance_id;
        out.error_code = wire(m.error);
      }
    }
    ctx.respond(resp);
  });
}

}  // namespace moldau::kafka
