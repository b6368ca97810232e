// `moldau topic ...`: the pure parts (what is shown), kept apart from the
// requests so they can be tested without a broker. The commands themselves
// are declared in commands.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/output.h"

namespace moldau::cli {

// Kafka's DescribeConfigs config_source values.
enum class ConfigSource : int8_t {
  kUnknown = 0,
  kDynamicTopic = 1,
  kDynamicBroker = 2,
  kDynamicDefaultBroker = 3,
  kStaticBroker = 4,
  kDefault = 5,
  kDynamicBrokerLogger = 6,
  kClientMetrics = 7,
  kGroup = 8,
};
// Kafka's enum name, e.g. "DYNAMIC_TOPIC_CONFIG".
std::string_view config_source_name(int8_t source);
// Where the value comes from, for people: "topic", "broker", "broker (static)"...
std::string_view config_source_short(int8_t source);

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;  // nullopt: sensitive or unset
  int8_t source = 0;
  bool sensitive = false;
  bool read_only = false;
};

struct TopicDescription {
  TopicInfo topic;
  std::vector<ConfigEntry> configs;  // the non-default ones, sorted by name
  std::string config_error;          // why configs could not be read, if so
};

// The replication factor of a topic as shown: its largest replica list.
int32_t replication_factor(const TopicInfo& t);

// `topic list`
std::string render_topic_list(const std::vector<TopicInfo>& topics);
Json topic_list_json(const std::vector<TopicInfo>& topics);

// `topic describe`
std::string render_topic_describe(const std::vector<TopicDescription>& topics);
Json topic_describe_json(const std::vector<TopicDescription>& topics);

// "1,2,3"; "-" for none.
std::string join_ids(const std::vector<int32_t>& ids);

}  // namespace moldau::cli
