// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs on topic (2) and
// broker (4) resources. The broker checks a change request's shape first, as
// Kafka's broker does before forwarding it to its controller (duplicate
// resources or keys, null values, a broker id that is not ours); the
// controller validates names and values and writes the change.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "kafka/handlers/admin_handlers.h"
#include "protocol/msg/alter_configs_request.h"
#include "protocol/msg/alter_configs_response.h"
#include "protocol/msg/describe_configs_request.h"
#include "protocol/msg/incremental_alter_configs_request.h"
#include "protocol/msg/incremental_alter_configs_response.h"

namespace moldau::kafka {

namespace admin {
namespace {

Error invalid_request(std::string message) { return Error{ErrorCode::kInvalidRequest, std::move(message)}; }

std::optional<Error> check_shape(const AlterShape& s, int32_t node_id) {
  std::set<std::string_view> keys;
  for (const auto& k : s.keys) {
    if (!keys.insert(k).second) return invalid_request("Error due to duplicate config keys");
  }
  if (!s.null_values.empty()) {
    return invalid_request(fmt::format("Null value not supported for : {}", fmt::join(s.null_values, ", ")));
  }
  switch (config_resource_type(s.resource_type)) {
    case metadata::ConfigResourceType::kBroker:
      // "" is the cluster-wide default; anything else must name this broker.
      if (!s.resource_name.empty()) return check_broker_resource_name(s.resource_name, node_id);
      break;
    case metadata::ConfigResourceType::kTopic:
      break;
    default:
      if (config_resource_type_name(s.resource_type) != "UNKNOWN") {
        return invalid_request(fmt::format("Unsupported resource type {} ({}): Moldau configures topics (2) and "
                                           "brokers (4)",
                                           config_resource_type_name(s.resource_type), int(s.resource_type)));
      }
      return invalid_request(fmt::format("Unknown resource type {}", int(s.resource_type)));
  }
  if (s.bad_operation) {
    return invalid_request(fmt::format("Unknown alter configs operation type {}", int(*s.bad_operation)));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Error> check_broker_resource_name(std::string_view name, int32_t node_id) {
  int32_t id = -1;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc() || p != name.data() + name.size()) {
    return invalid_request(fmt::format("Node id must be an integer, but it is: {}", name));
  }
  if (id != node_id) {
    return invalid_request(fmt::format("Unexpected broker id, expected {}, but received {}", node_id, name));
  }
  return std::nullopt;
}

std::vector<std::optional<Error>> preprocess_alter(const std::vector<AlterShape>& shapes, int32_t node_id) {
  std::map<std::pair<int8_t, std::string_view>, int> counts;
  for (const auto& s : shapes) ++counts[{s.resource_type, s.resource_name}];
  std::vector<std::optional<Error>> out;
  out.reserve(shapes.size());
  for (const auto& s : shapes) {
    if (counts[{s.resource_type, s.resource_name}] > 1) {
      out.push_back(invalid_request("Each resource must appear at most once."));
    } else {
      out.push_back(check_shape(s, node_id));
    }
  }
  return out;
}

std::optional<std::vector<std::string>> describe_keys(const std::optional<std::vector<std::string>>& keys) {
  if (!keys || keys->empty()) return std::nullopt;
  return keys;
}

protocol::DescribeConfigsResponse::DescribeConfigsResult to_wire(const metadata::DescribeConfigsResult& r,
                                                                 int8_t wire_type) {
  protocol::DescribeConfigsResponse::DescribeConfigsResult out;
  out.resource_type = wire_type;
  out.resource_name = r.resource.name;
  out.error_code = wire(r.error);
  if (r.error != ErrorCode::kNone) {
    out.error_message = r.message;
    return out;
  }
  for (const auto& c : r.configs) {
    auto& oc = out.configs.emplace_back();
    oc.name = c.name;
    oc.value = c.value;
    oc.read_only = c.read_only;
    oc.config_source = int8_t(c.source);
    oc.is_sensitive = c.sensitive;
    oc.config_type = int8_t(c.type);
    oc.documentation = c.documentation;
    for (const auto& s : c.synonyms) oc.synonyms.push_back({s.name, s.value, int8_t(s.source), {}});
  }
  return out;
}

}  // namespace admin

namespace {

// Runs the broker-side checks; the resources that pass go to `call` (with
// their positions in the request), and every answer lands at its position.
template <typename Resp, typename ControllerResource, typename Call>
void alter(RequestContext& ctx, const std::vector<admin::AlterShape>& shapes,
           std::vector<ControllerResource> all, int32_t node_id, Call call) {
  auto resp = std::make_shared<Resp>();
  resp->responses.resize(shapes.size());
  auto errors = admin::preprocess_alter(shapes, node_id);
  std::vector<ControllerResource> passed;
  std::vector<size_t> positions;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto& out = resp->responses[i];
    out.resource_type = shapes[i].resource_type;
    out.resource_name = shapes[i].resource_name;
    out.error_message.reset();
    if (errors[i]) {
      out.error_code = wire(errors[i]->code);
      out.error_message = errors[i]->message;
      continue;
    }
    passed.push_back(std::move(all[i]));
    positions.push_back(i);
  }
  RequestContext held = ctx;
  call(std::move(passed), [held, resp, positions = std::move(positions)](
                              std::vector<metadata::AlterConfigsResult> results) mutable {
    for (size_t k = 0; k < results.size() && k < positions.size(); ++k) {
      auto& out = resp->responses[positions[k]];
      out.error_code = wire(results[k].error);
      if (results[k].error != ErrorCode::kNone) out.error_message = results[k].message;
    }
    held.respond(*resp);
  });
}

}  // namespace

void handle_describe_configs(Broker& broker, RequestContext& ctx) {
  protocol::DescribeConfigsRequest req;
  if (!ctx.decode_or_close(req, "DescribeConfigs")) return;
  protocol::DescribeConfigsResponse resp;
  resp.results.resize(req.resources.size());
  std::vector<metadata::DescribeConfigsResource> resources;
  std::vector<size_t> positions;
  for (size_t i = 0; i < req.resources.size(); ++i) {
    const auto& r = req.resources[i];
    auto type = admin::config_resource_type(r.resource_type);
    if (type == metadata::ConfigResourceType::kUnknown) {
      metadata::DescribeConfigsResult failed;
      failed.resource.name = r.resource_name;
      failed.error = ErrorCode::kInvalidRequest;
      failed.message = fmt::format("Unsupported resource type: {}", admin::config_resource_type_name(r.resource_type));
      resp.results[i] = admin::to_wire(failed, r.resource_type);
      continue;
    }
    resources.push_back({{type, r.resource_name}, admin::describe_keys(r.configuration_keys)});
    positions.push_back(i);
  }
  auto results = broker.controller().describe_configs(resources, req.include_synonyms, req.include_documentation);
  for (size_t k = 0; k < results.size() && k < positions.size(); ++k) {
    resp.results[positions[k]] = admin::to_wire(results[k], req.resources[positions[k]].resource_type);
  }
  ctx.respond(resp);
}

void handle_alter_configs(Broker& broker, RequestContext& ctx) {
  protocol::AlterConfigsRequest req;
  if (!ctx.decode_or_close(req, "AlterConfigs")) return;
  std::vector<admin::AlterShape> shapes;
  std::vector<metadata::AlterConfigsResource> resources;
  for (const auto& r : req.resources) {
    admin::AlterShape& s = shapes.emplace_back();
    s.resource_type = r.resource_type;
    s.resource_name = r.resource_name;
    metadata::AlterConfigsResource& c = resources.emplace_back();
    c.resource = {admin::config_resource_type(r.resource_type), r.resource_name};
    for (const auto& kv : r.configs) {
      s.keys.push_back(kv.name);
      // AlterConfigs replaces the whole set: a key is removed by leaving it out.
      if (!kv.value) s.null_values.push_back(kv.name);
      c.configs.emplace_back(kv.name, kv.value);
    }
  }
  const bool validate_only = req.validate_only;
  alter<protocol::AlterConfigsResponse>(ctx, shapes, std::move(resources), broker.node_id(),
                                        [&broker, validate_only](auto passed, auto done) {
                                          broker.controller().alter_configs(std::move(passed), validate_only,
                                                                            std::move(done));
                                        });
}

void handle_incremental_alter_configs(Broker& broker, RequestContext& ctx) {
  protocol::IncrementalAlterConfigsRequest req;
  if (!ctx.decode_or_close(req, "IncrementalAlterConfigs")) return;
  std::vector<admin::AlterShape> shapes;
  std::vector<metadata::IncrementalAlterConfigsResource> resources;
  for (const auto& r : req.resources) {
    admin::AlterShape& s = shapes.emplace_back();
    s.resource_type = r.resource_type;
    s.resource_name = r.resource_name;
    metadata::IncrementalAlterConfigsResource& c = resources.emplace_back();
    c.resource = {admin::config_resource_type(r.resource_type), r.resource_name};
    for (const auto& op : r.configs) {
      s.keys.push_back(op.name);
      const bool known = op.config_operation >= 0 && op.config_operation <= 3;
      if (!known && !s.bad_operation) s.bad_operation = op.config_operation;
      const auto kind = metadata::AlterConfigOp(op.config_operation);
      if (kind != metadata::AlterConfigOp::kDelete && !op.value) s.null_values.push_back(op.name);
      c.configs.push_back({op.name, known ? kind : metadata::AlterConfigOp::kSet, op.value});
    }
  }
  const bool validate_only = req.validate_only;
  alter<protocol::IncrementalAlterConfigsResponse>(
      ctx, shapes, std::move(resources), broker.node_id(), [&broker, validate_only](auto passed, auto done) {
        broker.controller().incremental_alter_configs(std::move(passed), validate_only, std::move(done));
      });
}

}  // namespace moldau::kafka
