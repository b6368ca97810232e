// What each command was asked to do: filled in by the argument parser
// (commands.cc), read by the commands. Plain structs, so argument parsing can
// be tested without a broker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/output.h"

namespace moldau::cli {

// Taken by every command that talks to a broker.
struct CommonOptions {
  std::string bootstrap{kDefaultBootstrap};
  OutputFormat output = OutputFormat::kTable;
  int32_t request_timeout_ms = 30000;
  std::string client_id = "moldau-cli";

  ClientOptions client_options() const;
};

struct TopicCreateOptions {
  CommonOptions common;
  std::string name;
  int32_t partitions = -1;          // -1: the broker's num.partitions
  int16_t replication_factor = -1;  // -1: the broker's default.replication.factor
  std::vector<std::string> configs;  // "key=value"
  bool if_not_exists = false;
  bool validate_only = false;
};

struct TopicListOptions {
  CommonOptions common;
  bool internal = false;
};

struct TopicDescribeOptions {
  CommonOptions common;
  std::vector<std::string> names;  // empty: every topic
  bool internal = false;
};

struct TopicDeleteOptions {
  CommonOptions common;
  std::vector<std::string> names;
  bool if_exists = false;
};

struct TopicAlterOptions {
  CommonOptions common;
  std::string name;
  std::vector<std::string> set_configs;     // "key=value"
  std::vector<std::string> delete_configs;  // "key"
  bool validate_only = false;
};

struct TopicAddPartitionsOptions {
  CommonOptions common;
  std::string name;
  int32_t partitions = 0;  // the new total
  bool validate_only = false;
};

enum class Acks : int16_t { kNone = 0, kLeader = 1, kAll = -1 };

struct ProduceOptions {
  CommonOptions common;
  std::string topic;
  std::string file;  // empty or "-": stdin
  std::optional<std::string> key_separator;
  std::vector<std::string> headers;  // "key=value"
  std::optional<int32_t> partition;
  Acks acks = Acks::kAll;
  std::string compression = "none";
  // Bytes per partition batch (uncompressed); below the 1 MiB that Kafka's
  // max.message.bytes allows by default.
  int32_t batch_size = 512 * 1024;
  int32_t linger_ms = 5;
  int32_t max_in_flight = 5;  // requests per broker connection
  bool progress = true;       // when stderr is a terminal
};

enum class StartAt { kEnd, kBeginning, kOffset, kTime };

struct ConsumeOptions {
  CommonOptions common;
  std::string topic;
  StartAt start = StartAt::kEnd;
  int64_t offset = 0;         // kOffset; negative: that many before the end
  std::string from_time;      // kTime: ms since the epoch or ISO-8601
  std::optional<int32_t> partition;
  std::optional<int64_t> count;
  std::optional<int32_t> timeout_ms;  // exit after this long without records
  std::string format = "%v\\n";
  int32_t max_wait_ms = 500;  // Fetch long-poll
};

// Parses "key=value" (the first '=' splits; the key must not be empty).
// A missing '=' is an error unless allow_bare, which gives a null value.
struct KeyValue {
  std::string key;
  std::optional<std::string> value;
};
Result<KeyValue> parse_key_value(const std::string& text, bool allow_bare = false);

}  // namespace moldau::cli
