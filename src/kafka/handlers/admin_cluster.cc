// DescribeCluster and DescribeTopicPartitions: answered from the metadata
// image alone.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "kafka/handlers/admin_handlers.h"

namespace moldau::kafka {

namespace admin {
namespace {

// Kafka's AclOperation codes.
enum AclOperation : int {
  kRead = 3,
  kWrite = 4,
  kCreate = 5,
  kDelete = 6,
  kAlter = 7,
  kDescribe = 8,
  kClusterAction = 9,
  kDescribeConfigs = 10,
  kAlterConfigs = 11,
  kIdempotentWrite = 12,
};

int32_t bits(std::initializer_list<AclOperation> ops) {
  int32_t v = 0;
  for (AclOperation op : ops) v |= int32_t(1) << op;
  return v;
}

// DescribeCluster's EndpointType (v1+).
constexpr int8_t kEndpointBrokers = 1;
constexpr int8_t kEndpointControllers = 2;

}  // namespace

const metadata::BrokerEndpoint* client_endpoint(const metadata::BrokerRegistration& broker) {
  return broker.endpoints.empty() ? nullptr : &broker.endpoints.front();
}

int32_t cluster_authorized_operations() {
  return bits({kCreate, kClusterAction, kDescribeConfigs, kAlterConfigs, kIdempotentWrite, kAlter, kDescribe});
}

int32_t topic_authorized_operations() {
  return bits({kRead, kWrite, kCreate, kDescribe, kDelete, kAlter, kDescribeConfigs, kAlterConfigs});
}

protocol::DescribeClusterResponse describe_cluster(const metadata::MetadataImage& image, int32_t controller_id,
                                                   const protocol::DescribeClusterRequest& req, int16_t version) {
  protocol::DescribeClusterResponse resp;
  resp.endpoint_type = kEndpointBrokers;
  // Before v1 there is no way to say which kind of endpoint was wanted, and no
  // error code for it: INVALID_REQUEST then, as Kafka answers.
  if (req.endpoint_type != kEndpointBrokers) {
    const bool known = req.endpoint_type == kEndpointControllers;
    ErrorCode code = version == 0 ? ErrorCode::kInvalidRequest
                     : known      ? ErrorCode::kMismatchedEndpointType
                                  : ErrorCode::kUnsupportedEndpointType;
    resp.error_code = wire(code);
    resp.error_message = known ? std::string("The request was sent to an endpoint of type BROKER, but we wanted an "
                                             "endpoint of type CONTROLLER")
                               : fmt::format("Unsupported endpoint type {}", int(req.endpoint_type));
    return resp;
  }
  resp.cluster_id = image.cluster_id();
  resp.controller_id = controller_id;
  // Without an authorizer every supported operation is allowed.
  resp.cluster_authorized_operations =
      req.include_cluster_authorized_operations ? cluster_authorized_operations() : kAuthorizedOperationsOmitted;
  for (const auto& [id, reg] : image.brokers()) {
    const metadata::BrokerEndpoint* ep = client_endpoint(reg);
    if (!ep) continue;
    auto& b = resp.brokers.emplace_back();
    b.broker_id = id;
    b.host = ep->host;
    b.port = ep->port;
    b.rack = reg.rack;
  }
  return resp;
}

namespace {

using DtpResponse = protocol::DescribeTopicPartitionsResponse;

DtpResponse::DescribeTopicPartitionsResponsePartition describe_partition(const metadata::MetadataImage& image,
                                                                         const metadata::PartitionInfo& p) {
  DtpResponse::DescribeTopicPartitionsResponsePartition out;
  out.partition_index = p.partition;
  // A leader that is not registered cannot be reached: no leader, as Kafka says.
  out.leader_id = image.broker(p.leader) ? p.leader : -1;
  out.leader_epoch = p.leader_epoch;
  out.replica_nodes.assign(p.replicas.begin(), p.replicas.end());
  out.isr_nodes.assign(p.isr.begin(), p.isr.end());
  out.eligible_leader_replicas.emplace();  // no ELR (KIP-966) yet: empty lists
  out.last_known_elr.emplace();
  for (int32_t r : p.replicas) {
    if (!image.broker(r)) out.offline_replicas.push_back(r);
  }
  return out;
}

}  // namespace

DtpResponse describe_topic_partitions(const metadata::MetadataImage& image,
                                      const protocol::DescribeTopicPartitionsRequest& req) {
  DtpResponse resp;
  const bool all = req.topics.empty();
  const std::string cursor_topic = req.cursor ? req.cursor->topic_name : std::string();
  std::set<std::string> names;  // sorted, as the cursor requires
  if (all) {
    for (const auto& [name, t] : image.topics()) {
      if (name >= cursor_topic) names.insert(name);
    }
  } else {
    for (const auto& t : req.topics) {
      if (t.name >= cursor_topic) names.insert(t.name);
    }
  }
  // A cursor outside the requested topics, or pointing below partition 0,
  // fails the whole request: each requested topic says INVALID_REQUEST.
  if ((req.cursor && !all && !names.count(req.cursor->topic_name)) ||
      (req.cursor && req.cursor->partition_index < 0)) {
    DtpResponse err;
    for (const auto& t : req.topics) {
      auto& out = err.topics.emplace_back();
      out.name = t.name;
      out.error_code = wire(ErrorCode::kInvalidRequest);
      out.topic_authorized_operations = kAuthorizedOperationsOmitted;
    }
    return err;
  }
  // At least one partition per answer, or a client paging with a limit of 0
  // would get the same cursor back forever.
  int64_t remaining = std::max<int32_t>(1, std::min(req.response_partition_limit, kMaxDescribePartitions));
  for (const std::string& name : names) {
    if (remaining == 0) {
      // Stopped between topics: the next answer starts with this one.
      resp.next_cursor = DtpResponse::Cursor{name, 0, {}};
      break;
    }
    const metadata::TopicImage* t = image.topic(name);
    if (!t) {
      if (all) continue;
      auto& out = resp.topics.emplace_back();
      out.name = name;
      out.error_code = wire(metadata::validate_topic_name(name) ? ErrorCode::kUnknownTopicOrPartition
                                                                : ErrorCode::kInvalidTopicException);
      out.is_internal = metadata::is_internal_topic(name);
      out.topic_authorized_operations = topic_authorized_operations();
      continue;
    }
    auto& out = resp.topics.emplace_back();
    out.name = name;
    out.topic_id = to_wire(t->id);
    out.is_internal = metadata::is_internal_topic(name);
    out.topic_authorized_operations = topic_authorized_operations();
    const int64_t size = int64_t(t->partitions.size());
    const int64_t start = req.cursor && name == cursor_topic ? req.cursor->partition_index.value() : 0;
    const int64_t end = std::min(size, start + remaining);
    for (int64_t p = start; p < end; ++p) out.partitions.push_back(describe_partition(image, t->partitions[size_t(p)]));
    if (end < size) {
      resp.next_cursor = DtpResponse::Cursor{name, int32_t(end), {}};
      break;
    }
    remaining -= std::max<int64_t>(0, end - start);
  }
  return resp;
}

}  // namespace admin

void handle_describe_cluster(Broker& broker, RequestContext& ctx) {
  protocol::DescribeClusterRequest req;
  if (!ctx.decode_or_close(req, "DescribeCluster")) return;
  // Clients cannot reach the controller (KIP-590): like Metadata, name a
  // broker, this one, which forwards what needs the controller.
  ctx.respond(admin::describe_cluster(*broker.controller().image(), broker.node_id(), req, ctx.api_version()));
}

void handle_describe_topic_partitions(Broker& broker, RequestContext& ctx) {
  protocol::DescribeTopicPartitionsRequest req;
  if (!ctx.decode_or_close(req, "DescribeTopicPartitions")) return;
  ctx.respond(admin::describe_topic_partitions(*broker.controller().image(), req));
}

}  // namespace moldau::kafka
