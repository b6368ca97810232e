// Metadata: brokers, the controller, topics with partitions, leaders and
// replicas, topic ids; auto-creates requested topics when allowed.
#include <set>

#include "kafka/handlers/handlers.h"
#include "protocol/msg/metadata_request.h"
#include "protocol/msg/metadata_response.h"

namespace moldau::kafka {
namespace {

using protocol::MetadataRequest;
using protocol::MetadataResponse;

constexpr int32_t kAuthorizedOperationsOmitted = INT32_MIN;

protocol::Uuid to_uuid(const metadata::TopicId& id) {
  return protocol::Uuid::parse(id.to_string()).value_or(protocol::Uuid{});
}

void describe_topic(const metadata::TopicImage& t, MetadataResponse::MetadataResponseTopic& out) {
  out.name = t.name;
  out.topic_id = to_uuid(t.id);
  out.is_internal = metadata::is_internal_topic(t.name);
  out.topic_authorized_operations = kAuthorizedOperationsOmitted;
  for (const auto& p : t.partitions) {
    auto& pr = out.partitions.emplace_back();
    pr.partition_index = p.partition;
    pr.leader_id = p.leader;
    pr.leader_epoch = p.leader_epoch;
    pr.replica_nodes.assign(p.replicas.begin(), p.replicas.end());
    pr.isr_nodes.assign(p.isr.begin(), p.isr.end());
    pr.error_code = wire(p.leader < 0 ? ErrorCode::kLeaderNotAvailable : ErrorCode::kNone);
  }
}

void respond(Broker& broker, RequestContext& ctx, const MetadataRequest& req,
             const std::map<std::string, ErrorCode>& creation_errors) {
  auto image = broker.controller().image();
  MetadataResponse resp;
  resp.cluster_id = image->cluster_id();
  resp.controller_id = broker.node_id();
  resp.cluster_authorized_operations = kAuthorizedOperationsOmitted;
  for (const auto& [id, reg] : image->brokers()) {
    for (const auto& ep : reg.endpoints) {
      // One endpoint per broker: the first advertised one (clients on other
      // listeners are served the same address until listeners are per connection).
      auto& b = resp.brokers.emplace_back();
      b.node_id = id;
      b.host = ep.host;
      b.port = ep.port;
      b.rack = reg.rack;
      break;
    }
  }
  // Null (v1+) or empty (v0) topics: every topic.
  const bool all = !req.topics || (ctx.api_version() == 0 && req.topics->empty());
  if (all) {
    for (const auto& [name, t] : image->topics()) describe_topic(*t, resp.topics.emplace_back());
  } else {
    for (const auto& rt : *req.topics) {
      auto& out = resp.topics.emplace_back();
      out.topic_authorized_operations = kAuthorizedOperationsOmitted;
      const metadata::TopicImage* t = nullptr;
      if (rt.name) {
        t = image->topic(*rt.name);
        out.name = *rt.name;
      } else if (!rt.topic_id.is_zero()) {
        for (const auto& [n, ti] : image->topics()) {
          if (to_uuid(ti->id) == rt.topic_id) t = ti.get();
        }
        out.name.reset();
        out.topic_id = rt.topic_id;
      }
      if (t) {
        describe_topic(*t, out);
        continue;
      }
      ErrorCode code = rt.name ? ErrorCode::kUnknownTopicOrPartition : ErrorCode::kUnknownTopicId;
      if (rt.name) {
        if (!metadata::validate_topic_name(*rt.name)) code = ErrorCode::kInvalidTopicException;
        auto it = creation_errors.find(*rt.name);
        if (it != creation_errors.end()) code = it->second;
      }
      out.error_code = wire(code);
    }
  }
  ctx.respond(resp);
}

}  // namespace

void handle_metadata(Broker& broker, RequestContext& ctx) {
  auto req = std::make_shared<MetadataRequest>();
  if (!ctx.decode_or_close(*req, "Metadata")) return;
  // v4+ lets the client opt out of auto-creation; before v4 it was implied.
  const bool allow = ctx.api_version() < 4 || req->allow_auto_topic_creation;
  std::vector<std::string> missing;
  if (req->topics && allow && broker.controller().auto_create_enabled()) {
    auto image = broker.controller().image();
    std::set<std::string> seen;
    for (const auto& t : *req->topics) {
      if (t.name && !image->topic(*t.name) && metadata::validate_topic_name(*t.name) &&
          !metadata::is_internal_topic(*t.name) && seen.insert(*t.name).second) {
        missing.push_back(*t.name);
      }
    }
  }
  if (missing.empty()) {
    respond(broker, ctx, *req, {});
    return;
  }
  RequestContext held = ctx;
  broker.controller().auto_create_topics(
      std::move(missing), [&broker, held, req](std::vector<metadata::CreateTopicResult> results) mutable {
        std::map<std::string, ErrorCode> errors;
        for (const auto& r : results) {
          if (r.error != ErrorCode::kNone && r.error != ErrorCode::kTopicAlreadyExists) errors[r.name] = r.error;
        }
        respond(broker, held, *req, errors);
      });
}

}  // namespace moldau::kafka
