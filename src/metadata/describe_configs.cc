#include "metadata/describe_configs.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace moldau::metadata {
namespace {

// Kafka's brokerConfigSynonyms: the broker configs that stand for the same
// setting in different units, most precise first (log.retention.ms,
// log.retention.minutes, log.retention.hours); a config alone otherwise.
std::vector<std::string> broker_synonym_group(std::string_view name) {
  for (const ConfigDef& t : topic_config_defs()) {
    if (t.synonyms.size() < 2) continue;
    for (const BrokerSynonym& s : t.synonyms) {
      if (s.name == name) {
        std::vector<std::string> group;
        for (const BrokerSynonym& g : t.synonyms) group.push_back(g.name);
        return group;
      }
    }
  }
  return {std::string(name)};
}

struct Layers {
  const ConfigMap& dynamic_broker;
  const ConfigMap& dynamic_default;
  const ConfigMap& static_values;
};

Layers layers_of(const MetadataImage& image, const BrokerConfig& config) {
  return Layers{image.broker_configs(std::to_string(config.node_id)), image.broker_configs(""),
                config.static_values};
}

// The value of one broker config with the per-key precedence.
std::optional<std::string> broker_value(const Layers& l, const ConfigDef& def) {
  for (const ConfigMap* m : {&l.dynamic_broker, &l.dynamic_default, &l.static_values}) {
    if (auto it = m->find(def.name); it != m->end()) return it->second;
  }
  return def.default_value;
}

// Kafka's configSynonyms: source-major, then synonym order; then everything
// before the first entry named `name` is dropped.
std::vector<ConfigSynonymInfo> config_synonyms(const Layers& l, std::string_view name,
                                               const std::vector<std::string>& synonyms, bool sensitive) {
  std::vector<ConfigSynonymInfo> all;
  auto add = [&](const ConfigMap& m, ConfigSource source) {
    for (const std::string& s : synonyms) {
      if (auto it = m.find(s); it != m.end()) {
        all.push_back({s, sensitive ? std::nullopt : std::optional<std::string>(it->second), source});
      }
    }
  };
  add(l.dynamic_broker, ConfigSource::kDynamicBroker);
  add(l.dynamic_default, ConfigSource::kDynamicDefaultBroker);
  add(l.static_values, ConfigSource::kStaticBroker);
  for (const std::string& s : synonyms) {
    const ConfigDef* def = find_broker_config(s);
    if (def && def->default_value) {
      all.push_back({s, sensitive ? std::nullopt : def->default_value, ConfigSource::kDefault});
    }
  }
  auto first = std::find_if(all.begin(), all.end(), [&](const ConfigSynonymInfo& s) { return s.name == name; });
  return std::vector<ConfigSynonymInfo>(first, all.end());
}

bool wanted(const DescribeOptions& o, const std::string& name) {
  return !o.keys || std::find(o.keys->begin(), o.keys->end(), name) != o.keys->end();
}

std::optional<std::string> topic_value(const ConfigDef& def, const ConfigMap& overrides, const Layers& l) {
  if (auto it = overrides.find(def.name); it != overrides.end()) return it->second;
  for (const BrokerSynonym& s : def.synonyms) {
    const ConfigDef* b = find_broker_config(s.name);
    if (!b) continue;
    std::optional<std::string> v;
    for (const ConfigMap* m : {&l.dynamic_broker, &l.dynamic_default, &l.static_values}) {
      if (auto it = m->find(s.name); it != m->end()) {
        v = it->second;
        break;
      }
    }
    if (!v) continue;
    if (s.factor == 1) return v;
    int64_t n = config_as_long(*v);
    // Kafka turns any negative time in minutes or hours into -1 (forever).
    return std::to_string(n < 0 ? -1 : n * s.factor);
  }
  // No synonym set anywhere: the broker defaults equal the topic defaults.
  return def.default_value;
}

}  // namespace

ConfigMap effective_topic_configs(const ConfigMap& overrides, const MetadataImage& image,
                                  const BrokerConfig& config) {
  Layers l = layers_of(image, config);
  ConfigMap out;
  for (const ConfigDef& def : topic_config_defs()) {
    if (auto v = topic_value(def, overrides, l)) out[def.name] = *v;
  }
  return out;
}

std::optional<std::string> effective_topic_value(std::string_view key, const ConfigMap& overrides,
                                                 const MetadataImage& image, const BrokerConfig& config) {
  const ConfigDef* def = find_topic_config(key);
  if (!def) return std::nullopt;
  return topic_value(*def, overrides, layers_of(image, config));
}

std::vector<DescribedConfig> describe_topic_configs(const ConfigMap& overrides, const MetadataImage& image,
                                                    const BrokerConfig& config, const DescribeOptions& options) {
  Layers l = layers_of(image, config);
  std::vector<DescribedConfig> out;
  for (const ConfigDef& def : topic_config_defs()) {
    if (!wanted(options, def.name)) continue;
    DescribedConfig d;
    d.name = def.name;
    d.type = def.type;
    d.sensitive = def.sensitive();
    d.read_only = false;
    auto value = topic_value(def, overrides, l);
    if (!d.sensitive) d.value = value;
    std::vector<ConfigSynonymInfo> synonyms;
    if (auto it = overrides.find(def.name); it != overrides.end()) {
      synonyms.push_back({def.name, d.value, ConfigSource::kDynamicTopic});
    }
    if (!def.synonyms.empty()) {
      const std::string& first = def.synonyms.front().name;
      auto broker = config_synonyms(l, first, broker_synonym_group(first), d.sensitive);
      synonyms.insert(synonyms.end(), broker.begin(), broker.end());
    }
    d.source = synonyms.empty() ? ConfigSource::kDefault : synonyms.front().source;
    if (options.include_synonyms) d.synonyms = std::move(synonyms);
    if (options.include_documentation) d.documentation = def.doc;
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<DescribedConfig>> describe_broker_configs(std::string_view resource_name,
                                                             const MetadataImage& image,
                                                             const BrokerConfig& config,
                                                             const DescribeOptions& options) {
  bool per_broker = !resource_name.empty();
  if (per_broker) {
    int32_t id = -1;
    auto [p, err] = std::from_chars(resource_name.data(), resource_name.data() + resource_name.size(), id);
    if (err != std::errc() || p != resource_name.data() + resource_name.size() || id < 0) {
      return Error{ErrorCode::kInvalidRequest,
                   fmt::format("Broker resource name {} is not a broker id (or \"\" for the cluster default)",
                               resource_name)};
    }
    if (id != config.node_id) {
      return Error{ErrorCode::kInvalidRequest,
                   fmt::format("Unexpected broker id, expected {} or empty string, but received {}",
                               config.node_id, resource_name)};
    }
  }
  Layers l = layers_of(image, config);
  std::vector<DescribedConfig> out;
  for (const ConfigDef& def : broker_config_defs()) {
    if (!wanted(options, def.name)) continue;
    if (!per_broker && !l.dynamic_default.count(def.name)) continue;
    DescribedConfig d;
    d.name = def.name;
    d.type = def.type;
    d.sensitive = def.sensitive();
    d.read_only = !def.dynamic;
    auto synonyms = config_synonyms(l, def.name, broker_synonym_group(def.name), d.sensitive);
    if (!per_broker) {
      std::erase_if(synonyms, [](const ConfigSynonymInfo& s) { return s.source != ConfigSource::kDynamicDefaultBroker; });
      if (!d.sensitive) d.value = l.dynamic_default.at(def.name);
    } else if (!d.sensitive) {
      d.value = broker_value(l, def);
    }
    d.source = synonyms.empty() ? ConfigSource::kDefault : synonyms.front().source;
    if (options.include_synonyms) d.synonyms = std::move(synonyms);
    if (options.include_documentation) d.documentation = def.doc;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace moldau::metadata
