// ConsumerGroupHeartbeat and ConsumerGroupDescribe (KIP-848): mapped to the
// consumer-group driver (docs/groups.md, "KIP-848"). Topic ids on the wire,
// names in the coordinator: partitions of topic ids this broker does not know
// are left out of what a member reports it owns.
#include "base/log.h"
#include "coordinator/consumer_protocol.h"
#include "kafka/groups/consumer_group_driver.h"
#include "kafka/handlers/group_handlers.h"
#include "protocol/msg/consumer_group_describe_request.h"
#include "protocol/msg/consumer_group_describe_response.h"
#include "protocol/msg/consumer_group_heartbeat_request.h"
#include "protocol/msg/consumer_group_heartbeat_response.h"

namespace moldau::kafka {

namespace c = coordinator;

namespace {

groups::ConsumerGroupDriver* consumer_driver_or_close(Broker& broker, RequestContext& ctx) {
  auto* d = groups::consumer_driver_of(broker);
  if (!d) {
    MOLDAU_LOG_WARN("closing connection from {}: API key {} needs the group coordinator, which is not running",
                    ctx.connection()->peer(), ctx.api_key());
    ctx.close_connection();
  }
  return d;
}

template <typename Out>
std::vector<Out> to_wire(const groups::ConsumerGroupDriver& d, const c::PartitionSet& s, bool with_names) {
  std::vector<Out> out;
  for (const auto& [topic, ps] : s) {
    auto& t = out.emplace_back();
    t.topic_id = d.topic_id(topic);
    if constexpr (requires { t.topic_name; }) {
      if (with_names) t.topic_name = topic;
    }
    t.partitions.assign(ps.begin(), ps.end());
  }
  return out;
}

// With no authorizer every operation Kafka supports on a group is allowed
// (docs/apis.md): READ 3, DELETE 6, DESCRIBE 8, DESCRIBE_CONFIGS 10,
// ALTER_CONFIGS 11, as a bit set.
constexpr int32_t kGroupAuthorizedOperations = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

}  // namespace

void handle_consumer_group_heartbeat(Broker& broker, RequestContext& ctx) {
  protocol::ConsumerGroupHeartbeatRequest req;
  if (!ctx.decode_or_close(req, "ConsumerGroupHeartbeat")) return;
  auto* d = consumer_driver_or_close(broker, ctx);
  if (!d) return;
  c::ConsumerHeartbeatRequest h;
  h.api_version = ctx.api_version();
  h.group_id = std::move(req.group_id);
  h.member_id = std::move(req.member_id);
  h.member_epoch = req.member_epoch;
  h.instance_id = std::move(req.instance_id);
  h.rack_id = std::move(req.rack_id);
  h.rebalance_timeout_ms = req.rebalance_timeout_ms;
  h.subscribed_topic_names = std::move(req.subscribed_topic_names);
  h.subscribed_topic_regex = std::move(req.subscribed_topic_regex);
  h.server_assignor = std::move(req.server_assignor);
  if (req.topic_partitions) {
    h.owned.emplace();
    for (const auto& t : *req.topic_partitions) {
      auto name = d->topic_name(t.topic_id);
      if (!name) continue;  // a deleted topic: nothing to hand over
      for (int32_t p : t.partitions) (*h.owned)[*name].insert(p);
    }
  }
  h.client_id = ctx.client_id();
  h.client_host = group_detail::client_host(ctx.connection()->peer());
  d->heartbeat(std::move(h), [ctx, d](const c::ConsumerHeartbeatResponse& r) mutable {
    protocol::ConsumerGroupHeartbeatResponse resp;
    resp.error_code = wire(r.error);
    resp.error_message = r.error_message;
    if (r.error == ErrorCode::kNone) {
      resp.member_id = r.member_id;
      resp.member_epoch = r.member_epoch;
      resp.heartbeat_interval_ms = r.heartbeat_interval_ms;
      if (r.assignment) {
        resp.assignment.emplace();
        resp.assignment->topic_partitions =
            to_wire<protocol::ConsumerGroupHeartbeatResponse::TopicPartitions>(*d, *r.assignment, false);
      }
    }
    ctx.respond(resp);
  });
}

void handle_consumer_group_describe(Broker& broker, RequestContext& ctx) {
  protocol::ConsumerGroupDescribeRequest req;
  if (!ctx.decode_or_close(req, "ConsumerGroupDescribe")) return;
  auto* d = consumer_driver_or_close(broker, ctx);
  if (!d) return;
  using TP = protocol::ConsumerGroupDescribeResponse::TopicPartitions;
  protocol::ConsumerGroupDescribeResponse resp;
  for (const auto& id : req.group_ids) {
    auto& out = resp.groups.emplace_back();
    out.group_id = id;
    if (ErrorCode e = d->coordinator_status(id); e != ErrorCode::kNone) {
      out.error_code = wire(e);
      continue;
    }
    const c::ConsumerGroup* g = d->group(id);
    if (!g) {
      // A classic group, or none: the admin client then asks DescribeGroups.
      out.error_code = wire(ErrorCode::kGroupIdNotFound);
      out.error_message = "Group " + id + " is not a consumer group.";
      continue;
    }
    if (req.include_authorized_operations) out.authorized_operations = kGroupAuthorizedOperations;
    out.group_state = g->state();
    out.group_epoch = g->group_epoch();
    out.assignment_epoch = g->assignment_epoch();
    out.assignor_name = g->assignor();
    for (const auto& [mid, m] : g->members()) {
      auto& om = out.members.emplace_back();
      om.member_id = mid;
      om.instance_id = m.instance_id;
      om.rack_id = m.rack_id;
      om.member_epoch = m.member_epoch;
      om.client_id = m.client_id;
      om.client_host = m.client_host;
      om.subscribed_topic_names = m.subscribed_topic_names;
      om.subscribed_topic_regex = m.subscribed_topic_regex;
      om.assignment.topic_partitions = to_wire<TP>(*d, m.assigned, true);
      om.target_assignment.topic_partitions = to_wire<TP>(*d, g->target(mid), true);
      om.member_type = 1;  // consumer (classic members of consumer groups do not exist here)
    }
  }
  ctx.respond(resp);
}

}  // namespace moldau::kafka
