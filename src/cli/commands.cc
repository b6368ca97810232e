#include "cli/commands.h"

#include "cli/explain.h"
#include "cli/group_cmd.h"
#include "cli/txn_cmd.h"

#include <CLI/CLI.hpp>
#include <map>
#include <memory>

namespace moldau::cli {

namespace {

void add_common(CLI::App* cmd, CommonOptions& c) {
  cmd->add_option("-b,--bootstrap-server", c.bootstrap,
                  "Brokers to start from, HOST:PORT[,HOST:PORT...], tried in order")
      ->envname("MOLDAU_BOOTSTRAP_SERVER")
      ->capture_default_str();
  cmd->add_option("-o,--output", c.output, "table (for people) or json (for scripts)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, OutputFormat>{{"table", OutputFormat::kTable},
                                              {"json", OutputFormat::kJson}},
          CLI::ignore_case).description(""))
      ->type_name("table|json")
      ->default_str("table");
  cmd->add_option("--request-timeout-ms", c.request_timeout_ms,
                  "Give up on a broker that does not answer within this time")
      ->check(CLI::Range(1, 3600 * 1000))
      ->capture_default_str();
  cmd->add_option("--client-id", c.client_id, "client.id sent with every request")
      ->capture_default_str();
}

// One value per occurrence: `--config a=1 NAME` leaves NAME positional.
CLI::Option* add_repeated(CLI::App* cmd, const std::string& name, std::vector<std::string>& v,
                          const std::string& help) {
  return cmd->add_option(name, v, help)->allow_extra_args(false)->expected(1)->multi_option_policy(
      CLI::MultiOptionPolicy::TakeAll);
}

void finish(int code) {
  if (code != exit_code::kOk) throw CLI::RuntimeError(code);
}

// Registers `add(parent, options)` with a callback that runs `run(options)`.
// The options live as long as the App, in the callback's shared_ptr.
template <typename Options, typename Add, typename Run>
void command(CLI::App& parent, Add add, Run run) {
  auto options = std::make_shared<Options>();
  add(parent, *options)->callback([options, run] { finish(run(*options)); });
}

}  // namespace

void add_common_options(CLI::App* cmd, CommonOptions& c) { add_common(cmd, c); }

CLI::App* add_topic_create(CLI::App& topic, TopicCreateOptions& o) {
  auto* cmd = topic.add_subcommand("create", "Create a topic");
  cmd->add_option("name", o.name, "Topic name")->required();
  cmd->add_option("-p,--partitions", o.partitions,
                  "Number of partitions (default: the broker's num.partitions)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("-r,--replication-factor", o.replication_factor,
                  "Copies of each partition (default: the broker's default.replication.factor)")
      ->check(CLI::Range(1, 32767));
  add_repeated(cmd, "-c,--config", o.configs, "Topic config KEY=VALUE (repeatable)");
  cmd->add_flag("--if-not-exists", o.if_not_exists, "Succeed when the topic already exists");
  cmd->add_flag("--validate-only", o.validate_only,
                "Ask the broker to check the request without creating the topic");
  add_common(cmd, o.common);
  return cmd;
}

CLI::App* add_topic_list(CLI::App& topic, TopicListOptions& o) {
  auto* cmd = topic.add_subcommand("list", "List topics");
  cmd->add_flag("--internal", o.internal, "Include internal topics (__consumer_offsets, ...)");
  add_common(cmd, o.common);
  return cmd;
}

CLI::App* add_topic_describe(CLI::App& topic, TopicDescribeOptions& o) {
  auto* cmd = topic.add_subcommand(
      "describe", "Partitions, leaders, replicas, ISR, topic id and non-default configs");
  cmd->add_option("names", o.names, "Topics to describe (default: every topic)");
  cmd->add_flag("--internal", o.internal, "With no names: include internal topics");
  add_common(cmd, o.common);
  return cmd;
}

CLI::App* add_topic_delete(CLI::App& topic, TopicDeleteOptions& o) {
  auto* cmd = topic.add_subcommand("delete", "Delete topics and all their records");
  cmd->add_option("names", o.names, "Topics to delete")->required();
  cmd->add_flag("--if-exists", o.if_exists, "Succeed when a topic does not exist");
  add_common(cmd, o.common);
  return cmd;
}

CLI::App* add_topic_alter(CLI::App& topic, TopicAlterOptions& o) {
  auto* cmd = topic.add_subcommand("alter", "Set or remove topic configs");
  cmd->add_option("name", o.name, "Topic name")->required();
  add_repeated(cmd, "-c,--config", o.set_configs, "Set config KEY=VALUE (repeatable)");
  add_repeated(cmd, "-d,--delete-config", o.delete_configs,
               "Remove config KEY, back to its default (repeatable)");
  cmd->add_flag("--validate-only", o.validate_only,
                "Ask the broker to check the change without making it");
  add_common(cmd, o.common);
  return cmd;
}

CLI::App* add_topic_add_partitions(CLI::App& topic, TopicAddPartitionsOptions& o) {
  auto* cmd = topic.add_subcommand("add-partitions", "Grow a topic to more partitions");
  cmd->add_option("name", o.name, "Topic name")->required();
  cmd->add_option("-p,--partitions", o.partitions, "The new total number of partitions")
      ->required()
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--validate-only", o.validate_only,
                "Ask the broker to check the change without making it");
  add_common(cmd, o.common);
  return cmd;
}

CLI::App* add_produce(CLI::App& app, ProduceOptions& o) {
  auto* cmd = app.add_subcommand("produce", "Send lines of stdin (or a file) as records");
  cmd->add_option("topic", o.topic, "Topic to write to")->required();
  cmd->add_option("-f,--file", o.file, "Read records from this file instead of stdin")
      ->check((CLI::ExistingFile | CLI::IsMember({"-"})).description(""))
      ->type_name("FILE");
  cmd->add_option("-K,--key-separator", o.key_separator,
                  "Split each line at the first SEP into key and value (default: no key)");
  add_repeated(cmd, "-H,--header", o.headers, "Header KEY=VALUE on every record (repeatable)");
  cmd->add_option_function<int32_t>(
         "-p,--partition", [&o](const int32_t& p) { o.partition = p; },
         "Write every record to this partition (default: by key hash, sticky without a key)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-a,--acks", o.acks, "0 (do not wait), 1 (leader) or all (in-sync replicas)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Acks>{
              {"0", Acks::kNone}, {"1", Acks::kLeader}, {"all", Acks::kAll}, {"-1", Acks::kAll}},
          CLI::ignore_case).description(""))
      ->type_name("0|1|all")
      ->default_str("all");
  cmd->add_option("-z,--compression", o.compression, "none, gzip, snappy, lz4 or zstd")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}, CLI::ignore_case))
      ->capture_default_str();
  cmd->add_option("--batch-size", o.batch_size,
                  "Bytes of records per partition batch before it is sent")
      ->check(CLI::Range(1, 64 << 20))
      ->capture_default_str();
  cmd->add_option("--linger-ms", o.linger_ms,
                  "Wait this long for more records before sending a batch that is not full")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  cmd->add_option("--max-in-flight", o.max_in_flight,
                  "Requests sent to a broker before waiting for the first answer")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_flag("!--no-progress", o.progress, "Never show the progress bar");
  add_common(cmd, o.common);
  return cmd;
}

CLI::App* add_consume(CLI::App& app, ConsumeOptions& o) {
  auto* cmd = app.add_subcommand("consume", "Print records of a topic");
  cmd->add_option("topic", o.topic, "Topic to read")->required();
  auto* beginning = cmd->add_flag_callback(
      "--from-beginning", [&o] { o.start = StartAt::kBeginning; },
      "Start at the oldest record");
  auto* end = cmd->add_flag_callback(
      "--from-end", [&o] { o.start = StartAt::kEnd; }, "Start after the newest record (default)");
  auto* offset = cmd->add_option_function<int64_t>(
      "--offset",
      [&o](const int64_t& v) {
        o.offset = v;
        o.start = StartAt::kOffset;
      },
      "Start at this offset; negative: that many records before the end");
  auto* time = cmd->add_option_function<std::string>(
      "--from-time",
      [&o](const std::string& v) {
        o.from_time = v;
        o.start = StartAt::kTime;
      },
      "Start at the first record at or after TS: ms since the epoch or ISO-8601 "
      "(2024-05-01T12:00:00Z; without a zone: local time)");
  beginning->excludes(end)->excludes(offset)->excludes(time);
  end->excludes(offset)->excludes(time);
  offset->excludes(time);
  cmd->add_option_function<int32_t>(
         "-p,--partition", [&o](const int32_t& p) { o.partition = p; },
         "Read only this partition (default: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option_function<int64_t>(
         "-n,--count", [&o](const int64_t& n) { o.count = n; }, "Exit after this many records")
      ->check(CLI::PositiveNumber);
  cmd->add_option_function<int32_t>(
         "--timeout-ms", [&o](const int32_t& t) { o.timeout_ms = t; },
         "Exit when no record arrives for this long")
      ->check(CLI::Range(0, 86400 * 1000));
  cmd->add_option("-F,--format", o.format,
                  "Output per record: %k key, %v value, %h headers, %p partition, %o offset, "
                  "%t timestamp, %T topic, %K/%V key/value length, %% a percent sign; "
                  "\\n \\t \\r \\\\ escapes")
      ->capture_default_str();
  cmd->add_option("--max-wait-ms", o.max_wait_ms, "How long one Fetch waits for new records")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  add_common(cmd, o.common);
  return cmd;
}

void register_commands(CLI::App& app) {
  auto* topic = app.add_subcommand("topic", "Create, list, describe, alter and delete topics");
  topic->require_subcommand(1);
  command<TopicCreateOptions>(*topic, add_topic_create, run_topic_create);
  command<TopicListOptions>(*topic, add_topic_list, run_topic_list);
  command<TopicDescribeOptions>(*topic, add_topic_describe, run_topic_describe);
  command<TopicDeleteOptions>(*topic, add_topic_delete, run_topic_delete);
  command<TopicAlterOptions>(*topic, add_topic_alter, run_topic_alter);
  command<TopicAddPartitionsOptions>(*topic, add_topic_add_partitions, run_topic_add_partitions);
  command<ProduceOptions>(app, add_produce, run_produce);
  command<ConsumeOptions>(app, add_consume, run_consume);
  register_group_commands(app);
  register_txn_commands(app);
}

}  // namespace moldau::cli
