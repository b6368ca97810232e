// CreateTopics, DeleteTopics and CreatePartitions: the controller decides,
// these map the request in and the per-topic results out. The partition logs
// follow the image (the broker's on_change listener), not these handlers.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <string_view>

#include "kafka/handlers/admin_handlers.h"

namespace moldau::kafka {

namespace admin {

Result<metadata::CreatableTopic> to_creatable_topic(const protocol::CreateTopicsRequest::CreatableTopic& t) {
  metadata::CreatableTopic out;
  out.name = t.name;
  out.num_partitions = t.num_partitions;
  out.replication_factor = t.replication_factor;
  for (const auto& a : t.assignments) {
    // A map would silently keep one of two assignments for a partition.
    const std::vector<int32_t> brokers(a.broker_ids.begin(), a.broker_ids.end());
    if (!out.assignments.emplace(a.partition_index, brokers).second) {
      return Error{ErrorCode::kInvalidReplicaAssignment,
                   fmt::format("Found multiple manual partition assignments for partition {}", a.partition_index)};
    }
  }
  for (const auto& c : t.configs) out.configs.emplace_back(c.name, c.value);
  return out;
}

protocol::CreateTopicsResponse::CreatableTopicResult to_wire(const metadata::CreateTopicResult& r) {
  protocol::CreateTopicsResponse::CreatableTopicResult out;
  out.name = r.name;
  out.error_code = wire(r.error);
  if (r.error == ErrorCode::kNone) {
    out.error_message.reset();
    out.topic_id = to_wire(r.topic_id);
    out.num_partitions = r.num_partitions;
    out.replication_factor = r.replication_factor;
    auto& configs = out.configs.emplace();
    for (const auto& c : r.configs) {
      auto& oc = configs.emplace_back();
      oc.name = c.name;
      oc.value = c.value;
      oc.read_only = c.read_only;
      oc.config_source = int8_t(c.source);
      oc.is_sensitive = c.sensitive;
    }
  } else {
    // Kafka leaves the v5+ fields at their defaults: -1, -1, no configs.
    out.error_message = r.message;
  }
  return out;
}

std::vector<metadata::TopicRef> to_topic_refs(const protocol::DeleteTopicsRequest& req, int16_t version) {
  std::vector<metadata::TopicRef> refs;
  if (version >= 6) {
    for (const auto& t : req.topics) refs.push_back(metadata::TopicRef{t.name, from_wire(t.topic_id)});
  } else {
    for (const auto& name : req.topic_names) refs.push_back(metadata::TopicRef{name, metadata::TopicId()});
  }
  return refs;
}

protocol::DeleteTopicsResponse::DeletableTopicResult to_wire(const metadata::DeleteTopicResult& r,
                                                             int16_t version) {
  protocol::DeleteTopicsResponse::DeletableTopicResult out;
  out.name = r.name;
  // Before v6 every topic was named; a null there would encode as "".
  if (version < 6 && !out.name) out.name = std::string();
  out.topic_id = to_wire(r.topic_id);
  out.error_code = wire(r.error);
  if (r.error != ErrorCode::kNone) out.error_message = r.message;
  // TOPIC_DELETION_DISABLED exists from v3; older clients get INVALID_REQUEST
  // with the same words, as Kafka answers them.
  if (r.error == ErrorCode::kTopicDeletionDisabled && version < 3) {
    out.error_code = wire(ErrorCode::kInvalidRequest);
  }
  return out;
}

metadata::CreatePartitionsTopic to_create_partitions_topic(
    const protocol::CreatePartitionsRequest::CreatePartitionsTopic& t) {
  metadata::CreatePartitionsTopic out;
  out.name = t.name;
  out.count = t.count;
  if (t.assignments) {
    auto& a = out.assignments.emplace();
    for (const auto& one : *t.assignments) a.emplace_back(one.broker_ids.begin(), one.broker_ids.end());
  }
  return out;
}

protocol::CreatePartitionsResponse::CreatePartitionsTopicResult to_wire(const metadata::ItemResult& r) {
  protocol::CreatePartitionsResponse::CreatePartitionsTopicResult out;
  out.name = r.name;
  out.error_code = wire(r.error);
  if (r.error != ErrorCode::kNone) out.error_message = r.message;
  return out;
}

}  // namespace admin

void handle_create_topics(Broker& broker, RequestContext& ctx) {
  protocol::CreateTopicsRequest req;
  if (!ctx.decode_or_close(req, "CreateTopics")) return;
  auto resp = std::make_shared<protocol::CreateTopicsResponse>();
  resp->topics.resize(req.topics.size());
  // Topics refused for their shape are answered here; the rest go to the
  // controller, which checks names, duplicates, configs and placement.
  // A name given twice fails every time it is given (before any other check,
  // so that no copy of it is created).
  std::map<std::string_view, int> counts;
  for (const auto& t : req.topics) ++counts[t.name];
  std::vector<metadata::CreatableTopic> topics;
  std::vector<size_t> positions;
  for (size_t i = 0; i < req.topics.size(); ++i) {
    auto t = counts[req.topics[i].name] > 1
                 ? Result<metadata::CreatableTopic>(Error{ErrorCode::kInvalidRequest, "Duplicate topic name."})
                 : admin::to_creatable_topic(req.topics[i]);
    if (!t) {
      metadata::CreateTopicResult failed;
      failed.name = req.topics[i].name;
      failed.error = t.error().code;
      failed.message = t.error().message;
      resp->topics[i] = admin::to_wire(failed);
      continue;
    }
    topics.push_back(std::move(t).value());
    positions.push_back(i);
  }
  RequestContext held = ctx;
  broker.controller().create_topics(
      std::move(topics), req.validate_only,
      [held, resp, positions = std::move(positions)](std::vector<metadata::CreateTopicResult> results) mutable {
        for (size_t k = 0; k < results.size() && k < positions.size(); ++k) {
          resp->topics[positions[k]] = admin::to_wire(results[k]);
        }
        held.respond(*resp);
      });
}

void handle_delete_topics(Broker& broker, RequestContext& ctx) {
  protocol::DeleteTopicsRequest req;
  if (!ctx.decode_or_close(req, "DeleteTopics")) return;
  RequestContext held = ctx;
  const int16_t version = ctx.api_version();
  broker.controller().delete_topics(admin::to_topic_refs(req, version),
                                    [held, version](std::vector<metadata::DeleteTopicResult> results) mutable {
                                      protocol::DeleteTopicsResponse resp;
                                      for (const auto& r : results) resp.responses.push_back(admin::to_wire(r, version));
                                      held.respond(resp);
                                    });
}

void handle_create_partitions(Broker& broker, RequestContext& ctx) {
  protocol::CreatePartitionsRequest req;
  if (!ctx.decode_or_close(req, "CreatePartitions")) return;
  std::vector<metadata::CreatePartitionsTopic> topics;
  for (const auto& t : req.topics) topics.push_back(admin::to_create_partitions_topic(t));
  RequestContext held = ctx;
  broker.controller().create_partitions(std::move(topics), req.validate_only,
                                        [held](std::vector<metadata::ItemResult> results) mutable {
                                          protocol::CreatePartitionsResponse resp;
                                          for (const auto& r : results) resp.results.push_back(admin::to_wire(r));
                                          held.respond(resp);
                                        });
}

}  // namespace moldau::kafka
