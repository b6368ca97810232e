// Effective configuration and DescribeConfigs (v1-v4) answers.
//
// A topic config's value comes from, in order: the topic's override
// (DYNAMIC_TOPIC_CONFIG), then its broker synonyms in Kafka's order, each
// looked up as a dynamic per-broker config (DYNAMIC_BROKER_CONFIG), a dynamic
// cluster-wide default (DYNAMIC_DEFAULT_BROKER_CONFIG) and server.properties
// (STATIC_BROKER_CONFIG), then the catalog default (DEFAULT_CONFIG). The
// synonym list is built as Kafka builds it (docs/configuration.md
// "DescribeConfigs"), quirks included.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadata/broker_config.h"
#include "metadata/config_catalog.h"
#include "metadata/image.h"

namespace moldau::metadata {

struct ConfigSynonymInfo {
  std::string name;
  std::optional<std::string> value;  // null for sensitive configs
  ConfigSource source = ConfigSource::kUnknown;
  friend bool operator==(const ConfigSynonymInfo&, const ConfigSynonymInfo&) = default;
};

struct DescribedConfig {
  std::string name;
  std::optional<std::string> value;  // null when unset without default, or sensitive
  ConfigSource source = ConfigSource::kDefault;
  bool read_only = false;
  bool sensitive = false;
  ConfigType type = ConfigType::kUnknown;
  std::vector<ConfigSynonymInfo> synonyms;   // empty unless asked for
  std::optional<std::string> documentation;  // null unless asked for
};

struct DescribeOptions {
  const std::vector<std::string>* keys = nullptr;  // null: all keys
  bool include_synonyms = false;
  bool include_documentation = false;
};

// The value every topic config has for a topic with `overrides`.
ConfigMap effective_topic_configs(const ConfigMap& overrides, const MetadataImage& image,
                                  const BrokerConfig& config);
// One topic config's effective value; nullopt for an unknown key.
std::optional<std::string> effective_topic_value(std::string_view key, const ConfigMap& overrides,
                                                 const MetadataImage& image, const BrokerConfig& config);

// DescribeConfigs of a topic whose overrides are `overrides` (an existing
// topic's, or the configs of a CreateTopics request). Unknown keys in
// options.keys are left out, as Kafka does.
std::vector<DescribedConfig> describe_topic_configs(const ConfigMap& overrides, const MetadataImage& image,
                                                    const BrokerConfig& config, const DescribeOptions& options);

// DescribeConfigs of a broker resource: "" lists the cluster-wide dynamic
// defaults, this node's id every broker config. INVALID_REQUEST for another
// node's id or a name that is not a node id.
Result<std::vector<DescribedConfig>> describe_broker_configs(std::string_view resource_name,
                                                             const MetadataImage& image,
                                                             const BrokerConfig& config,
                                                             const DescribeOptions& options);

}  // namespace moldau::metadata
