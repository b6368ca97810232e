// What `topic list` and `topic describe` show (topic_cmd.h).
#include <fmt/format.h>

#include <algorithm>

#include "cli/topic_cmd.h"

namespace moldau::cli {

std::string_view config_source_name(int8_t source) {
  switch (ConfigSource(source)) {
    case ConfigSource::kDynamicTopic: return "DYNAMIC_TOPIC_CONFIG";
    case ConfigSource::kDynamicBroker: return "DYNAMIC_BROKER_CONFIG";
    case ConfigSource::kDynamicDefaultBroker: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case ConfigSource::kStaticBroker: return "STATIC_BROKER_CONFIG";
    case ConfigSource::kDefault: return "DEFAULT_CONFIG";
    case ConfigSource::kDynamicBrokerLogger: return "DYNAMIC_BROKER_LOGGER_CONFIG";
    case ConfigSource::kClientMetrics: return "CLIENT_METRICS_CONFIG";
    case ConfigSource::kGroup: return "GROUP_CONFIG";
    default: return "UNKNOWN";
  }
}

std::string_view config_source_short(int8_t source) {
  switch (ConfigSource(source)) {
    case ConfigSource::kDynamicTopic: return "topic";
    case ConfigSource::kDynamicBroker: return "broker";
    case ConfigSource::kDynamicDefaultBroker: return "cluster default";
    case ConfigSource::kStaticBroker: return "broker config file";
    case ConfigSource::kDefault: return "default";
    default: return "other";
  }
}

int32_t replication_factor(const TopicInfo& t) {
  size_t rf = 0;
  for (const auto& p : t.partitions) rf = std::max(rf, p.replicas.size());
  return int32_t(rf);
}

std::string join_ids(const std::vector<int32_t>& ids) {
  if (ids.empty()) return "-";
  return fmt::format("{}", fmt::join(ids, ","));
}

namespace {

std::string topic_id_text(const protocol::Uuid& id) { return id.is_zero() ? "-" : id.to_string(); }

Json ids_json(const std::vector<int32_t>& ids) {
  Json a = Json::array();
  for (int32_t id : ids) a.push(id);
  return a;
}

std::string leader_text(int32_t leader) { return leader < 0 ? "none" : std::to_string(leader); }

}  // namespace

std::string render_topic_list(const std::vector<TopicInfo>& topics) {
  if (topics.empty()) return "No topics. Create one with `moldau topic create NAME`.\n";
  Table t({"TOPIC", "PARTITIONS", "REPLICATION", "ID"});
  for (const auto& topic : topics) {
    std::string name = topic.name + (topic.internal ? " (internal)" : "");
    t.add_row({name, std::to_string(topic.partitions.size()),
               std::to_string(replication_factor(topic)), topic_id_text(topic.topic_id)});
  }
  return t.render();
}

Json topic_list_json(const std::vector<TopicInfo>& topics) {
  Json a = Json::array();
  for (const auto& topic : topics) {
    Json o = Json::object();
    o.set("name", topic.name);
    o.set("topic_id", topic.topic_id.is_zero() ? Json() : Json(topic.topic_id.to_string()));
    o.set("partitions", int64_t(topic.partitions.size()));
    o.set("replication_factor", replication_factor(topic));
    o.set("internal", topic.internal);
    a.push(std::move(o));
  }
  return a;
}

std::string render_topic_describe(const std::vector<TopicDescription>& topics) {
  std::string out;
  for (const auto& d : topics) {
    const TopicInfo& topic = d.topic;
    if (!out.empty()) out += '\n';
    out += fmt::format("Topic: {}{}\n", topic.name, topic.internal ? " (internal)" : "");
    out += fmt::format("Id: {}\n", topic_id_text(topic.topic_id));
    out += fmt::format("Partitions: {}, replication factor: {}\n", topic.partitions.size(),
                       replication_factor(topic));
    if (!d.config_error.empty()) {
      out += fmt::format("Configs: not available ({})\n", d.config_error);
    } else if (d.configs.empty()) {
      out += "Configs: all defaults\n";
    } else {
      out += "Configs:\n";
      Table t({"", "", ""});
      for (const auto& c : d.configs) {
        std::string value = c.value ? *c.value : (c.sensitive ? "(sensitive)" : "(null)");
        t.add_row({"  " + c.name, value, fmt::format("({})", config_source_short(c.source))});
      }
      std::string rendered = t.render();
      out += rendered.substr(rendered.find('\n') + 1);  // no header row
    }
    bool any_offline = std::any_of(topic.partitions.begin(), topic.partitions.end(),
                                   [](const auto& p) { return !p.offline.empty(); });
    bool any_error = std::any_of(topic.partitions.begin(), topic.partitions.end(),
                                 [](const auto& p) { return p.error != ErrorCode::kNone; });
    std::vector<std::string> headers = {"PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR"};
    if (any_offline) headers.push_back("OFFLINE");
    if (any_error) headers.push_back("ERROR");
    Table t(headers);
    for (const auto& p : topic.partitions) {
      std::vector<std::string> row = {std::to_string(p.partition), leader_text(p.leader),
                                      p.leader_epoch < 0 ? "-" : std::to_string(p.leader_epoch),
                                      join_ids(p.replicas), join_ids(p.isr)};
      if (any_offline) row.push_back(join_ids(p.offline));
      if (any_error)
        row.push_back(p.error == ErrorCode::kNone ? "" : std::string(error_name(p.error)));
      t.add_row(std::move(row));
    }
    out += t.render();
  }
  return out;
}

Json topic_describe_json(const std::vector<TopicDescription>& topics) {
  Json a = Json::array();
  for (const auto& d : topics) {
    const TopicInfo& topic = d.topic;
    Json o = Json::object();
    o.set("name", topic.name);
    o.set("topic_id", topic.topic_id.is_zero() ? Json() : Json(topic.topic_id.to_string()));
    o.set("internal", topic.internal);
    o.set("replication_factor", replication_factor(topic));
    Json parts = Json::array();
    for (const auto& p : topic.partitions) {
      Json po = Json::object();
      po.set("partition", p.partition);
      po.set("leader", p.leader < 0 ? Json() : Json(p.leader));
      po.set("leader_epoch", p.leader_epoch);
      po.set("replicas", ids_json(p.replicas));
      po.set("isr", ids_json(p.isr));
      po.set("offline", ids_json(p.offline));
      po.set("error", p.error == ErrorCode::kNone ? Json() : Json(error_name(p.error)));
      parts.push(std::move(po));
    }
    o.set("partitions", std::move(parts));
    Json configs = Json::object();
    for (const auto& c : d.configs) {
      Json co = Json::object();
      co.set("value", c.value ? Json(*c.value) : Json());
      co.set("source", config_source_name(c.source));
      co.set("sensitive", c.sensitive);
      configs.set(c.name, std::move(co));
    }
    o.set("configs", std::move(configs));
    if (!d.config_error.empty()) o.set("config_error", d.config_error);
    a.push(std::move(o));
  }
  return a;
}

}  // namespace moldau::cli
