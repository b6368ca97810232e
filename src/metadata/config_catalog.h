// The catalog of configuration keys Moldau knows: every topic config of Kafka
// 4.x and the broker configs a single node uses (docs/configuration.md).
//
// For each key: Kafka's type (as DescribeConfigs reports it), default,
// validation rule, a line of documentation, and
//  - for a topic config, the broker configs that supply its default, in
//    Kafka's order (retention.ms <- log.retention.ms <- log.retention.minutes
//    <- log.retention.hours), with the unit conversion to the topic's unit;
//  - for a broker config, whether it may be changed at run time
//    (IncrementalAlterConfigs on a broker resource) or only in
//    server.properties.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace moldau::metadata {

// Kafka's DescribeConfigs ConfigType values.
enum class ConfigType : int8_t {
  kUnknown = 0,
  kBoolean = 1,
  kString = 2,
  kInt = 3,
  kShort = 4,
  kLong = 5,
  kDouble = 6,
  kList = 7,
  kClass = 8,
  kPassword = 9,
};

// Kafka's DescribeConfigs ConfigSource values.
enum class ConfigSource : int8_t {
  kUnknown = 0,
  kDynamicTopic = 1,
  kDynamicBroker = 2,
  kDynamicDefaultBroker = 3,
  kStaticBroker = 4,
  kDefault = 5,
};

std::string_view config_type_name(ConfigType type);
std::string_view config_source_name(ConfigSource source);

struct ConfigValidator {
  enum class Kind : uint8_t {
    kNone,
    kRange,      // integer types: min..max; DOUBLE: dmin..dmax
    kOneOf,      // STRING: one of `allowed`
    kEachOneOf,  // LIST: every element one of `allowed`
    kCustom,     // `check` returns "" when fine, else the reason
  };
  Kind kind = Kind::kNone;
  int64_t min = INT64_MIN, max = INT64_MAX;
  double dmin = 0, dmax = 0;
  std::vector<std::string> allowed;
  std::string (*check)(std::string_view canonical) = nullptr;
  std::string description;  // what is allowed, Kafka style: "[1,...]", "[delete, compact]"
};

// A broker config that supplies a topic config's default, and the factor
// that turns its unit into the topic config's (hours -> ms: 3600000).
struct BrokerSynonym {
  std::string name;
  int64_t factor = 1;
};

struct ConfigDef {
  std::string name;
  ConfigType type = ConfigType::kString;
  std::optional<std::string> default_value;  // nullopt: no default (null)
  ConfigValidator validator;
  std::string doc;
  std::vector<BrokerSynonym> synonyms;  // topic configs only
  bool dynamic = false;                 // broker configs only
  bool sensitive() const { return type == ConfigType::kPassword; }
};

const std::vector<ConfigDef>& topic_config_defs();
const std::vector<ConfigDef>& broker_config_defs();
const ConfigDef* find_topic_config(std::string_view name);
const ConfigDef* find_broker_config(std::string_view name);

// Checks `value` against the key's type and rule and returns its canonical
// text (trimmed, booleans lower-case, lists joined by ","), or INVALID_CONFIG
// with "Invalid value <value> for configuration <name>: <what is allowed>".
Result<std::string> validate_config_value(const ConfigDef& def, std::string_view value);

// Typed reads of a canonical value (one that passed validate_config_value).
int64_t config_as_long(std::string_view canonical);
double config_as_double(std::string_view canonical);
bool config_as_bool(std::string_view canonical);
std::vector<std::string> config_as_list(std::string_view canonical);

// Joins a list the way Kafka prints list values.
std::string join_list(const std::vector<std::string>& items);

// Moldau's own keys (docs/configuration.md "Moldau keys").
inline constexpr const char* kFlushOnAckTopicConfig = "moldau.flush.on.ack";
inline constexpr const char* kFlushOnAckBrokerConfig = "moldau.log.flush.on.ack";

}  // namespace moldau::metadata
