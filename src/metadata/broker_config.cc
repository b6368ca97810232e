#include "metadata/broker_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <set>

#include "metadata/meta_properties.h"

namespace moldau::metadata {
namespace {

Error invalid(std::string message) { return Error{ErrorCode::kInvalidConfig, std::move(message)}; }

std::string where(const PropertyEntry& e, bool is_override) {
  return is_override ? std::string("override") : fmt::format("server.properties line {}", e.line);
}

// Checks the keys that relate to each other and fills the derived fields.
Status derive(BrokerConfig& c) {
  auto set = [&](std::string_view key) { return c.static_values.count(key) > 0; };
  // node.id, broker.id
  int64_t node = c.get_long("node.id"), broker = c.get_long("broker.id");
  if (set("node.id") && set("broker.id") && node != broker) {
    return invalid(fmt::format("node.id={} and broker.id={} disagree; set only node.id", node, broker));
  }
  if (node < 0) node = broker;
  if (node < 0) {
    node = 1;
    c.warnings.push_back("node.id is not set; using node.id=1");
  }
  c.node_id = int32_t(node);
  // process.roles: only the combined mode exists so far.
  auto roles = c.get_list("process.roles");
  std::set<std::string> role_set(roles.begin(), roles.end());
  if (!roles.empty() && role_set != std::set<std::string>{"broker", "controller"}) {
    return invalid(fmt::format("Invalid value {} for configuration process.roles: Moldau runs as "
                               "broker and controller in one process; use broker,controller or leave "
                               "it unset",
                               join_list(roles)));
  }
  // controller.quorum.voters: a single voter, this node.
  auto voters = parse_quorum_voters(c.get_string("controller.quorum.voters"));
  if (!voters.ok()) return invalid(voters.error().message);
  if (voters->size() > 1 || (voters->size() == 1 && voters->front().id != c.node_id)) {
    return invalid(fmt::format("Invalid value {} for configuration controller.quorum.voters: Moldau "
                               "supports a single controller voter, this node ({}@host:port)",
                               c.get_string("controller.quorum.voters"), c.node_id));
  }
  // listeners and their protocols.
  auto protocols = parse_protocol_map(c.get_string("listener.security.protocol.map"));
  if (!protocols.ok()) return invalid(protocols.error().message);
  c.security_protocols = std::move(protocols).value();
  auto listeners = parse_listeners(c.get_string("listeners"));
  if (!listeners.ok()) return invalid(listeners.error().message);
  c.listeners = std::move(listeners).value();
  if (c.listeners.empty()) return invalid("Invalid value for configuration listeners: at least one listener is needed");
  for (const auto& l : c.listeners) {
    if (!c.security_protocols.count(l.name)) {
      return invalid(fmt::format("listener {} has no entry in listener.security.protocol.map ({})", l.name,
                                 c.get_string("listener.security.protocol.map")));
    }
  }
  for (auto name : config_as_list(c.get_string("controller.listener.names"))) {
    std::transform(name.begin(), name.end(), name.begin(), [](char ch) { return char(std::toupper(uint8_t(ch))); });
    c.controller_listener_names.push_back(name);
  }
  auto is_controller = [&](const ListenerSpec& l) {
    return std::find(c.controller_listener_names.begin(), c.controller_listener_names.end(), l.name) !=
           c.controller_listener_names.end();
  };
  if (std::all_of(c.listeners.begin(), c.listeners.end(), is_controller)) {
    return invalid("listeners has no listener for clients: every listener is in controller.listener.names");
  }
  if (auto adv = c.get("advertised.listeners")) {
    auto parsed = parse_listeners(*adv);
    if (!parsed.ok()) return invalid(parsed.error().message);
    for (const auto& a : parsed.value()) {
      bool known = std::any_of(c.listeners.begin(), c.listeners.end(), [&](const ListenerSpec& l) { return l.name == a.name; });
      if (!known) {
        return invalid(fmt::format("advertised.listeners names {}, which is not in listeners", a.name));
      }
    }
    // Since KIP-853 a controller advertises its listener here too; clients
    // are only ever told about the others.
    for (auto& a : parsed.value()) {
      if (!is_controller(a)) c.advertised_listeners.push_back(std::move(a));
    }
  } else {
    for (const auto& l : c.listeners) {
      if (!is_controller(l)) c.advertised_listeners.push_back(l);
    }
  }
  if (c.advertised_listeners.empty()) {
    return invalid("advertised.listeners names no listener for clients (only controller listeners)");
  }
  // Directories.
  c.log_dirs = set("log.dirs") ? c.get_list("log.dirs") : c.get_list("log.dir");
  if (c.log_dirs.empty()) return invalid("log.dirs is empty; at least one log directory is needed");
  std::set<std::string> unique(c.log_dirs.begin(), c.log_dirs.end());
  if (unique.size() != c.log_dirs.size()) {
    return invalid(fmt::format("Invalid value {} for configuration log.dirs: a directory is listed twice",
                               join_list(c.log_dirs)));
  }
  c.metadata_log_dir = set("metadata.log.dir") ? c.get_string("metadata.log.dir") : c.log_dirs.front();
  // Cluster id.
  if (auto id = c.get("cluster.id")) {
    if (!is_valid_cluster_id(*id)) {
      return invalid(fmt::format("Invalid value {} for configuration cluster.id: a cluster id is 22 "
                                 "characters of URL-safe base64 (16 bytes)",
                                 *id));
    }
    c.cluster_id = *id;
  }
  // Topic creation defaults.
  if (c.get_long("default.replication.factor") < 1) {
    return invalid(fmt::format("Invalid value {} for configuration default.replication.factor: Value must "
                               "be at least 1",
                               c.get_long("default.replication.factor")));
  }
  if (c.get_long("group.min.session.timeout.ms") > c.get_long("group.max.session.timeout.ms")) {
    return invalid("group.min.session.timeout.ms is larger than group.max.session.timeout.ms");
  }
  return {};
}

}  // namespace

std::optional<std::string> BrokerConfig::get(std::string_view key) const {
  const ConfigDef* def = find_broker_config(key);
  assert(def && "unknown broker config key");
  if (auto it = static_values.find(key); it != static_values.end()) return it->second;
  return def ? def->default_value : std::nullopt;
}

int64_t BrokerConfig::get_long(std::string_view key) const {
  auto v = get(key);
  assert(v);
  return v ? config_as_long(*v) : 0;
}

double BrokerConfig::get_double(std::string_view key) const {
  auto v = get(key);
  assert(v);
  return v ? config_as_double(*v) : 0;
}

bool BrokerConfig::get_bool(std::string_view key) const {
  auto v = get(key);
  assert(v);
  return v && config_as_bool(*v);
}

std::string BrokerConfig::get_string(std::string_view key) const { return get(key).value_or(""); }

std::vector<std::string> BrokerConfig::get_list(std::string_view key) const {
  return config_as_list(get(key).value_or(""));
}

Result<BrokerConfig> parse_broker_config(const std::vector<PropertyEntry>& entries,
                                         const std::vector<PropertyEntry>& overrides) {
  BrokerConfig c;
  auto take = [&](const PropertyEntry& e, bool is_override) -> Status {
    const ConfigDef* def = find_broker_config(e.key);
    if (!def) {
      c.warnings.push_back(fmt::format("{}: unknown configuration {} is ignored", where(e, is_override), e.key));
      return {};
    }
    auto v = validate_config_value(*def, e.value);
    if (!v) return invalid(fmt::format("{} ({})", v.error().message, where(e, is_override)));
    c.static_values[e.key] = std::move(v).value();
    return {};
  };
  for (const auto& e : entries) {
    if (auto s = take(e, false); !s) return s.error();
  }
  for (const auto& e : overrides) {
    if (auto s = take(e, true); !s) return s.error();
  }
  if (auto s = derive(c); !s) return s.error();
  return c;
}

std::optional<std::string> effective_broker_value(const MetadataImage& image, const BrokerConfig& config,
                                                  std::string_view key) {
  const ConfigMap& mine = image.broker_configs(std::to_string(config.node_id));
  if (auto it = mine.find(key); it != mine.end()) return it->second;
  const ConfigMap& defaults = image.broker_configs("");
  if (auto it = defaults.find(key); it != defaults.end()) return it->second;
  return config.get(key);
}

}  // namespace moldau::metadata
