// The static broker configuration: server.properties plus command-line
// overrides, checked against the catalog (docs/configuration.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/properties.h"
#include "metadata/config_catalog.h"
#include "metadata/image.h"
#include "metadata/listeners.h"

namespace moldau::metadata {

struct BrokerConfig {
  // Every known key that was set, canonical, overrides applied: the
  // STATIC_BROKER_CONFIG layer of DescribeConfigs.
  ConfigMap static_values;
  // Unknown keys and other things worth telling the operator; one line each.
  std::vector<std::string> warnings;

  // Derived values start-up needs, already checked.
  int32_t node_id = 1;
  std::vector<ListenerSpec> listeners;             // all of them, controller listeners included
  std::vector<ListenerSpec> advertised_listeners;  // what clients are told (controller listeners left out)
  std::vector<std::string> controller_listener_names;
  std::map<std::string, SecurityProtocol> security_protocols;  // listener name -> protocol
  std::vector<std::string> log_dirs;
  std::string metadata_log_dir;
  std::optional<std::string> cluster_id;

  // The static value of a known key, or its default; nullopt when neither
  // (a key without default that was not set). Asserts the key is known.
  std::optional<std::string> get(std::string_view key) const;
  int64_t get_long(std::string_view key) const;  // INT, SHORT and LONG keys; asserts non-null
  double get_double(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::string get_string(std::string_view key) const;  // "" when null
  std::vector<std::string> get_list(std::string_view key) const;
};

// Builds the configuration from server.properties entries, then `overrides`
// (e.g. --override key=value), later entries winning. Refuses bad values with
// INVALID_CONFIG naming the key, the value and what is allowed (and the line
// of server.properties); unknown keys only warn.
Result<BrokerConfig> parse_broker_config(const std::vector<PropertyEntry>& entries,
                                         const std::vector<PropertyEntry>& overrides = {});

// The value a broker config has now on `node_id`: the dynamic per-broker
// value, else the cluster-wide dynamic default, else server.properties, else
// the catalog default.
std::optional<std::string> effective_broker_value(const MetadataImage& image, const BrokerConfig& config,
                                                  std::string_view key);

}  // namespace moldau::metadata
