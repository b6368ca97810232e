// `moldau topic create|list|describe|delete|alter|add-partitions`: one admin
// request each (docs/cli.md). Admin requests go to the controller named by
// Metadata (any broker forwards them in KRaft, but asking it saves a hop).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "cli/commands.h"
#include "cli/explain.h"
#include "cli/report.h"
#include "cli/topic_cmd.h"
#include "protocol/msg/create_partitions_request.h"
#include "protocol/msg/create_partitions_response.h"
#include "protocol/msg/create_topics_request.h"
#include "protocol/msg/create_topics_response.h"
#include "protocol/msg/delete_topics_request.h"
#include "protocol/msg/delete_topics_response.h"
#include "protocol/msg/describe_configs_request.h"
#include "protocol/msg/describe_configs_response.h"
#include "protocol/msg/incremental_alter_configs_request.h"
#include "protocol/msg/incremental_alter_configs_response.h"

namespace moldau::cli {

namespace {

constexpr int8_t kTopicResource = 2;  // ConfigResource.Type.TOPIC
constexpr int8_t kOpSet = 0;          // IncrementalAlterConfigs operations
constexpr int8_t kOpDelete = 1;

std::string message_of(const std::optional<std::string>& m) { return m.value_or(""); }

// Connects and reads the cluster's brokers (no topics), so controller() knows
// where to go.
Result<std::unique_ptr<Client>> connect_admin(const CommonOptions& common) {
  auto client = connect(common);
  if (!client) return client.error();
  auto md = (*client)->metadata(std::vector<std::string>{});
  if (!md) return md.error();
  return client;
}

Result<Connection*> admin_connection(Client& client) { return client.controller(); }

}  // namespace

int run_topic_create(const TopicCreateOptions& o) {
  protocol::CreateTopicsRequest::CreatableTopic topic;
  topic.name = o.name;
  topic.num_partitions = o.partitions;
  topic.replication_factor = o.replication_factor;
  for (const auto& text : o.configs) {
    auto kv = parse_key_value(text);
    if (!kv) return usage_error(fmt::format("--config {}", kv.error().message));
    protocol::CreateTopicsRequest::CreatableTopicConfig c;
    c.name = kv->key;
    c.value = kv->value;
    topic.configs.push_back(std::move(c));
  }
  auto client = connect_admin(o.common);
  if (!client) return fail(client.error());
  auto conn = admin_connection(**client);
  if (!conn) return fail(conn.error());

  protocol::CreateTopicsRequest req;
  req.topics.push_back(std::move(topic));
  req.timeout_ms = o.common.request_timeout_ms;
  req.validate_only = o.validate_only;
  // -1 partitions or replication factor ("the broker's default") needs v4.
  int16_t min_version = (o.partitions < 0 || o.replication_factor < 0) ? 4 : 2;
  auto reply = call<protocol::CreateTopicsResponse>(**conn, req, min_version);
  if (!reply) return fail(reply.error());
  if (reply->msg.topics.size() != 1)
    return fail({ErrorCode::kInvalidRequest, "the broker answered for the wrong topics"});
  const auto& r = reply->msg.topics.front();
  ErrorCode code = ErrorCode(r.error_code);
  bool existed = code == ErrorCode::kTopicAlreadyExists && o.if_not_exists;
  if (code != ErrorCode::kNone && !existed) {
    print_error(explain(code, {Operation::kCreateTopic, o.name, {}, message_of(r.error_message)}));
    return exit_code::kFailed;
  }
  // Before v5 the response has no partition count or replication factor.
  int32_t partitions = r.num_partitions >= 0 ? r.num_partitions : o.partitions;
  int32_t rf = r.replication_factor >= 0 ? r.replication_factor : o.replication_factor;
  if (o.common.output == OutputFormat::kJson) {
    Json j = Json::object();
    j.set("topic", o.name);
    j.set("created", !existed && !o.validate_only);
    j.set("already_existed", existed);
    j.set("validate_only", o.validate_only);
    j.set("topic_id", r.topic_id.is_zero() ? Json() : Json(r.topic_id.to_string()));
    j.set("partitions", !existed && partitions >= 0 ? Json(partitions) : Json());
    j.set("replication_factor", !existed && rf >= 0 ? Json(rf) : Json());
    print_out(j.dump() + "\n");
    return exit_code::kOk;
  }
  if (existed) {
    print_out(fmt::format("Topic {} already exists; nothing to do.\n", o.name));
    return exit_code::kOk;
  }
  std::string shape;
  if (partitions >= 0) shape += fmt::format("{} partition{}", partitions, partitions == 1 ? "" : "s");
  if (rf >= 0) shape += fmt::format("{}replication factor {}", shape.empty() ? "" : ", ", rf);
  if (o.validate_only) {
    print_out(fmt::format("Topic {} can be created{}{} (validate only: nothing was changed).\n",
                          o.name, shape.empty() ? "" : ": ", shape));
  } else {
    print_out(fmt::format("Created topic {}{}{}{}.\n", o.name, shape.empty() ? "" : " with ",
                          shape,
                          r.topic_id.is_zero() ? "" : fmt::format(" (id {})", r.topic_id.to_string())));
  }
  return exit_code::kOk;
}

int run_topic_list(const TopicListOptions& o) {
  auto client = connect(o.common);
  if (!client) return fail(client.error());
  auto md = (*client)->metadata(std::nullopt);
  if (!md) return fail(md.error());
  std::vector<TopicInfo> topics;
  for (const auto& t : md->topics)
    if (o.internal || !t.internal) topics.push_back(t);
  if (o.common.output == OutputFormat::kJson)
    print_out(topic_list_json(topics).dump() + "\n");
  else
    print_out(render_topic_list(topics));
  return exit_code::kOk;
}

namespace {

// Fills in the non-default configs of `topics` with one DescribeConfigs.
void describe_configs(Client& client, std::vector<TopicDescription>& topics) {
  if (topics.empty()) return;
  protocol::DescribeConfigsRequest req;
  for (const auto& d : topics) {
    protocol::DescribeConfigsRequest::DescribeConfigsResource r;
    r.resource_type = kTopicResource;
    r.resource_name = d.topic.name;
    r.configuration_keys = std::nullopt;  // all of them
    req.resources.push_back(std::move(r));
  }
  auto set_error = [&](const std::string& why) {
    for (auto& d : topics) d.config_error = why;
  };
  auto conn = client.any();
  if (!conn) return set_error(conn.error().message);
  auto reply = call<protocol::DescribeConfigsResponse>(**conn, req);
  if (!reply) return set_error(reply.error().message);
  for (const auto& result : reply->msg.results) {
    auto it = std::find_if(topics.begin(), topics.end(),
                           [&](const auto& d) { return d.topic.name == result.resource_name; });
    if (it == topics.end()) continue;
    if (result.error_code != 0) {
      it->config_error = explain(ErrorCode(result.error_code),
                                 {Operation::kDescribeTopic, it->topic.name, {},
                                  message_of(result.error_message)});
      continue;
    }
    for (const auto& c : result.configs) {
      if (c.config_source == int8_t(ConfigSource::kDefault)) continue;
      it->configs.push_back({c.name, c.value, c.config_source, c.is_sensitive, c.read_only});
    }
    std::sort(it->configs.begin(), it->configs.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
  }
}

}  // namespace

int run_topic_describe(const TopicDescribeOptions& o) {
  auto client = connect(o.common);
  if (!client) return fail(client.error());
  std::optional<std::vector<std::string>> names;
  if (!o.names.empty()) names = o.names;
  auto md = (*client)->metadata(names);
  if (!md) return fail(md.error());
  int rc = exit_code::kOk;
  std::vector<TopicDescription> found;
  if (names) {
    // In the order asked for; each missing topic is reported.
    for (const auto& name : o.names) {
      const TopicInfo* t = md->topic(name);
      if (!t || t->error != ErrorCode::kNone) {
        ErrorCode code = t ? t->error : ErrorCode::kUnknownTopicOrPartition;
        print_error(explain(code, {Operation::kDescribeTopic, name, {}, {}}));
        rc = exit_code::kFailed;
        continue;
      }
      found.push_back({*t, {}, {}});
    }
  } else {
    for (const auto& t : md->topics)
      if (t.error == ErrorCode::kNone && (o.internal || !t.internal)) found.push_back({t, {}, {}});
  }
  describe_configs(**client, found);
  if (o.common.output == OutputFormat::kJson)
    print_out(topic_describe_json(found).dump() + "\n");
  else if (found.empty() && !names)
    print_out("No topics. Create one with `moldau topic create NAME`.\n");
  else
    print_out(render_topic_describe(found));
  return rc;
}

int run_topic_delete(const TopicDeleteOptions& o) {
  auto client = connect_admin(o.common);
  if (!client) return fail(client.error());
  auto conn = admin_connection(**client);
  if (!conn) return fail(conn.error());
  protocol::DeleteTopicsRequest req;
  for (const auto& name : o.names) {
    protocol::DeleteTopicsRequest::DeleteTopicState s;
    s.name = name;
    req.topics.push_back(std::move(s));  // v6+
    req.topic_names.push_back(name);     // v0-5
  }
  req.timeout_ms = o.common.request_timeout_ms;
  auto reply = call<protocol::DeleteTopicsResponse>(**conn, req);
  if (!reply) return fail(reply.error());
  int rc = exit_code::kOk;
  Json results = Json::array();
  std::string text;
  for (const auto& name : o.names) {
    auto it = std::find_if(reply->msg.responses.begin(), reply->msg.responses.end(),
                           [&](const auto& r) { return r.name.value_or("") == name; });
    ErrorCode code = it == reply->msg.responses.end() ? ErrorCode::kUnknownServerError
                                                      : ErrorCode(it->error_code);
    std::string broker_message = it == reply->msg.responses.end() ? "no answer for this topic"
                                                                   : message_of(it->error_message);
    bool absent = code == ErrorCode::kUnknownTopicOrPartition;
    Json j = Json::object();
    j.set("topic", name);
    j.set("deleted", code == ErrorCode::kNone);
    if (code == ErrorCode::kNone) {
      text += fmt::format("Deleted topic {}.\n", name);
      j.set("error", nullptr);
    } else if (absent && o.if_exists) {
      text += fmt::format("Topic {} does not exist; nothing to delete.\n", name);
      j.set("error", nullptr);
    } else {
      print_error(explain(code, {Operation::kDeleteTopic, name, {}, broker_message}));
      j.set("error", error_name(code));
      rc = exit_code::kFailed;
    }
    results.push(std::move(j));
  }
  print_out(o.common.output == OutputFormat::kJson ? results.dump() + "\n" : text);
  return rc;
}

int run_topic_alter(const TopicAlterOptions& o) {
  if (o.set_configs.empty() && o.delete_configs.empty())
    return usage_error("nothing to change: give --config KEY=VALUE and/or --delete-config KEY");
  protocol::IncrementalAlterConfigsRequest::AlterConfigsResource resource;
  resource.resource_type = kTopicResource;
  resource.resource_name = o.name;
  std::set<std::string> seen;
  std::vector<std::string> changes;
  for (const auto& text : o.set_configs) {
    auto kv = parse_key_value(text);
    if (!kv) return usage_error(fmt::format("--config {}", kv.error().message));
    if (!seen.insert(kv->key).second)
      return usage_error(fmt::format("config '{}' is given more than once", kv->key));
    resource.configs.push_back({kv->key, kOpSet, kv->value, {}});
    changes.push_back(fmt::format("set {}={}", kv->key, *kv->value));
  }
  for (const auto& key : o.delete_configs) {
    if (key.empty() || key.find('=') != std::string::npos)
      return usage_error(fmt::format("--delete-config takes a config name, not '{}'", key));
    if (!seen.insert(key).second)
      return usage_error(fmt::format("config '{}' is given more than once", key));
    resource.configs.push_back({key, kOpDelete, std::nullopt, {}});
    changes.push_back(fmt::format("removed {}", key));
  }
  auto client = connect_admin(o.common);
  if (!client) return fail(client.error());
  auto conn = admin_connection(**client);
  if (!conn) return fail(conn.error());
  protocol::IncrementalAlterConfigsRequest req;
  req.resources.push_back(std::move(resource));
  req.validate_only = o.validate_only;
  auto reply = call<protocol::IncrementalAlterConfigsResponse>(**conn, req);
  if (!reply) return fail(reply.error());
  if (reply->msg.responses.size() != 1)
    return fail({ErrorCode::kInvalidRequest, "the broker answered for the wrong resources"});
  const auto& r = reply->msg.responses.front();
  if (r.error_code != 0) {
    print_error(explain(ErrorCode(r.error_code),
                        {Operation::kAlterTopic, o.name, {}, message_of(r.error_message)}));
    return exit_code::kFailed;
  }
  if (o.common.output == OutputFormat::kJson) {
    Json j = Json::object();
    j.set("topic", o.name);
    j.set("validate_only", o.validate_only);
    Json set = Json::object(), removed = Json::array();
    for (const auto& c : req.resources.front().configs) {
      if (c.config_operation == kOpSet) set.set(c.name, *c.value);
      else removed.push(c.name);
    }
    j.set("set", std::move(set));
    j.set("removed", std::move(removed));
    print_out(j.dump() + "\n");
  } else {
    print_out(fmt::format("{} topic {}: {}{}.\n", o.validate_only ? "Would update" : "Updated",
                          o.name, fmt::join(changes, ", "),
                          o.validate_only ? " (validate only: nothing was changed)" : ""));
  }
  return exit_code::kOk;
}

int run_topic_add_partitions(const TopicAddPartitionsOptions& o) {
  auto client = connect_admin(o.common);
  if (!client) return fail(client.error());
  auto conn = admin_connection(**client);
  if (!conn) return fail(conn.error());
  protocol::CreatePartitionsRequest req;
  protocol::CreatePartitionsRequest::CreatePartitionsTopic t;
  t.name = o.name;
  t.count = o.partitions;
  t.assignments = std::nullopt;  // the broker places the new partitions
  req.topics.push_back(std::move(t));
  req.timeout_ms = o.common.request_timeout_ms;
  req.validate_only = o.validate_only;
  auto reply = call<protocol::CreatePartitionsResponse>(**conn, req);
  if (!reply) return fail(reply.error());
  if (reply->msg.results.size() != 1)
    return fail({ErrorCode::kInvalidRequest, "the broker answered for the wrong topics"});
  const auto& r = reply->msg.results.front();
  if (r.error_code != 0) {
    print_error(explain(ErrorCode(r.error_code),
                        {Operation::kAddPartitions, o.name, {}, message_of(r.error_message)}));
    return exit_code::kFailed;
  }
  if (o.common.output == OutputFormat::kJson) {
    Json j = Json::object();
    j.set("topic", o.name);
    j.set("partitions", o.partitions);
    j.set("validate_only", o.validate_only);
    print_out(j.dump() + "\n");
  } else if (o.validate_only) {
    print_out(fmt::format("Topic {} can grow to {} partitions (validate only: nothing was "
                          "changed).\n",
                          o.name, o.partitions));
  } else {
    print_out(fmt::format("Topic {} now has {} partitions.\n", o.name, o.partitions));
  }
  return exit_code::kOk;
}

}  // namespace moldau::cli
