// Argument parsing of every command: CLI11 fills the option structs, nothing
// runs.
#include "cli/commands.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace moldau::cli {
namespace {

// Parses `args` (without the program name) into a fresh app holding the
// subcommand that `add` defines.
template <typename Options, typename Add>
Options parse(Add add, std::vector<std::string> args, bool under_topic = true) {
  CLI::App app("moldau");
  CLI::App* parent = &app;
  if (under_topic) parent = app.add_subcommand("topic");
  Options o;
  add(*parent, o);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  if (under_topic) args.push_back("topic");
  app.parse(args);
  return o;
}

template <typename Options, typename Add>
bool rejects(Add add, std::vector<std::string> args, bool under_topic = true) {
  try {
    parse<Options>(add, std::move(args), under_topic);
  } catch (const CLI::ParseError&) {
    return true;
  }
  return false;
}

TEST(Args, TopicCreate) {
  auto o = parse<TopicCreateOptions>(
      add_topic_create, {"create", "orders", "--partitions", "3", "--replication-factor", "1",
                         "--config", "retention.ms=1000", "-c", "cleanup.policy=compact",
                         "--if-not-exists", "--validate-only", "-b", "h:1", "--output", "json"});
  EXPECT_EQ(o.name, "orders");
  EXPECT_EQ(o.partitions, 3);
  EXPECT_EQ(o.replication_factor, 1);
  EXPECT_EQ(o.configs, (std::vector<std::string>{"retention.ms=1000", "cleanup.policy=compact"}));
  EXPECT_TRUE(o.if_not_exists);
  EXPECT_TRUE(o.validate_only);
  EXPECT_EQ(o.common.bootstrap, "h:1");
  EXPECT_EQ(o.common.output, OutputFormat::kJson);
}

TEST(Args, DefaultsLeaveChoicesToTheBroker) {
  auto o = parse<TopicCreateOptions>(add_topic_create, {"create", "t"});
  EXPECT_EQ(o.partitions, -1);
  EXPECT_EQ(o.replication_factor, -1);
  EXPECT_EQ(o.common.bootstrap, "localhost:9092");
  EXPECT_EQ(o.common.output, OutputFormat::kTable);
  EXPECT_EQ(o.common.request_timeout_ms, 30000);
  EXPECT_FALSE(o.if_not_exists);
}

TEST(Args, ARepeatedOptionDoesNotSwallowThePositional) {
  auto o = parse<TopicCreateOptions>(add_topic_create, {"create", "--config", "a=1", "t"});
  EXPECT_EQ(o.name, "t");
  EXPECT_EQ(o.configs, std::vector<std::string>{"a=1"});
}

TEST(Args, BadValuesAreRejected) {
  EXPECT_TRUE(rejects<TopicCreateOptions>(add_topic_create, {"create"}));
  EXPECT_TRUE(rejects<TopicCreateOptions>(add_topic_create, {"create", "t", "--partitions", "0"}));
  EXPECT_TRUE(rejects<TopicCreateOptions>(add_topic_create, {"create", "t", "--partitions", "x"}));
  EXPECT_TRUE(rejects<TopicCreateOptions>(add_topic_create, {"create", "t", "-o", "yaml"}));
  EXPECT_TRUE(rejects<TopicCreateOptions>(add_topic_create, {"create", "t", "--bogus"}));
}

TEST(Args, OutputIsCaseInsensitive) {
  auto o = parse<TopicListOptions>(add_topic_list, {"list", "-o", "JSON", "--internal"});
  EXPECT_EQ(o.common.output, OutputFormat::kJson);
  EXPECT_TRUE(o.internal);
}

TEST(Args, TopicDescribeTakesZeroOrMoreNames) {
  auto none = parse<TopicDescribeOptions>(add_topic_describe, {"describe"});
  EXPECT_TRUE(none.names.empty());
  auto two = parse<TopicDescribeOptions>(add_topic_describe, {"describe", "a", "b"});
  EXPECT_EQ(two.names, (std::vector<std::string>{"a", "b"}));
}

TEST(Args, TopicDelete) {
  auto o = parse<TopicDeleteOptions>(add_topic_delete, {"delete", "a", "b", "--if-exists"});
  EXPECT_EQ(o.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(o.if_exists);
  EXPECT_TRUE(rejects<TopicDeleteOptions>(add_topic_delete, {"delete"}));
}

TEST(Args, TopicAlter) {
  auto o = parse<TopicAlterOptions>(
      add_topic_alter, {"alter", "t", "--config", "retention.ms=1", "--delete-config",
                        "cleanup.policy", "-d", "segment.bytes", "--config", "x=y=z"});
  EXPECT_EQ(o.name, "t");
  EXPECT_EQ(o.set_configs, (std::vector<std::string>{"retention.ms=1", "x=y=z"}));
  EXPECT_EQ(o.delete_configs, (std::vector<std::string>{"cleanup.policy", "segment.bytes"}));
}

TEST(Args, TopicAddPartitionsNeedsTheNewTotal) {
  auto o = parse<TopicAddPartitionsOptions>(add_topic_add_partitions,
                                            {"add-partitions", "t", "--partitions", "6"});
  EXPECT_EQ(o.partitions, 6);
  EXPECT_TRUE(rejects<TopicAddPartitionsOptions>(add_topic_add_partitions, {"add-partitions", "t"}));
}

TEST(Args, Produce) {
  auto o = parse<ProduceOptions>(
      add_produce,
      {"produce", "orders", "--key-separator", ":", "--header", "a=1", "-H", "b=2", "--partition",
       "2", "--acks", "1", "--compression", "zstd", "--batch-size", "65536", "--linger-ms", "0",
       "--no-progress"},
      false);
  EXPECT_EQ(o.topic, "orders");
  EXPECT_EQ(o.key_separator, ":");
  EXPECT_EQ(o.headers, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(o.partition, 2);
  EXPECT_EQ(o.acks, Acks::kLeader);
  EXPECT_EQ(o.compression, "zstd");
  EXPECT_EQ(o.batch_size, 65536);
  EXPECT_EQ(o.linger_ms, 0);
  EXPECT_FALSE(o.progress);
}

TEST(Args, ProduceDefaults) {
  auto o = parse<ProduceOptions>(add_produce, {"produce", "t"}, false);
  EXPECT_FALSE(o.key_separator);
  EXPECT_FALSE(o.partition);
  EXPECT_EQ(o.acks, Acks::kAll);
  EXPECT_EQ(o.compression, "none");
  EXPECT_TRUE(o.progress);
  EXPECT_EQ(parse<ProduceOptions>(add_produce, {"produce", "t", "--acks", "all"}, false).acks,
            Acks::kAll);
  EXPECT_EQ(parse<ProduceOptions>(add_produce, {"produce", "t", "--acks", "0"}, false).acks,
            Acks::kNone);
  EXPECT_TRUE(rejects<ProduceOptions>(add_produce, {"produce", "t", "--acks", "2"}, false));
  EXPECT_TRUE(rejects<ProduceOptions>(add_produce, {"produce", "t", "-z", "brotli"}, false));
  EXPECT_TRUE(rejects<ProduceOptions>(add_produce, {"produce", "t", "--file", "/no/such/file"}, false));
}

TEST(Args, ConsumeStartPositions) {
  auto o = parse<ConsumeOptions>(add_consume, {"consume", "t"}, false);
  EXPECT_EQ(o.start, StartAt::kEnd);
  EXPECT_EQ(o.format, "%v\\n");
  EXPECT_FALSE(o.count);
  EXPECT_FALSE(o.timeout_ms);
  o = parse<ConsumeOptions>(add_consume, {"consume", "t", "--from-beginning"}, false);
  EXPECT_EQ(o.start, StartAt::kBeginning);
  o = parse<ConsumeOptions>(add_consume, {"consume", "t", "--offset", "42"}, false);
  EXPECT_EQ(o.start, StartAt::kOffset);
  EXPECT_EQ(o.offset, 42);
  o = parse<ConsumeOptions>(add_consume, {"consume", "t", "--offset=-10"}, false);
  EXPECT_EQ(o.offset, -10);
  o = parse<ConsumeOptions>(add_consume, {"consume", "t", "--from-time", "2024-05-01T12:00:00Z"},
                            false);
  EXPECT_EQ(o.start, StartAt::kTime);
  EXPECT_EQ(o.from_time, "2024-05-01T12:00:00Z");
  EXPECT_TRUE(rejects<ConsumeOptions>(add_consume,
                                      {"consume", "t", "--from-beginning", "--offset", "3"}, false));
  EXPECT_TRUE(rejects<ConsumeOptions>(add_consume, {"consume", "t", "--from-end", "--from-time", "1"},
                                      false));
}

TEST(Args, ConsumeLimitsAndFormat) {
  auto o = parse<ConsumeOptions>(
      add_consume,
      {"consume", "t", "--partition", "1", "--count", "2", "--timeout-ms", "500", "--format",
       "%p %o %k=%v\\n"},
      false);
  EXPECT_EQ(o.partition, 1);
  EXPECT_EQ(o.count, 2);
  EXPECT_EQ(o.timeout_ms, 500);
  EXPECT_EQ(o.format, "%p %o %k=%v\\n");
  EXPECT_TRUE(rejects<ConsumeOptions>(add_consume, {"consume", "t", "--count", "0"}, false));
  EXPECT_TRUE(rejects<ConsumeOptions>(add_consume, {"consume", "t", "--partition", "-1"}, false));
}

TEST(Args, RegisterCommandsBuildsTheTree) {
  CLI::App app("moldau");
  register_commands(app);
  auto* topic = app.get_subcommand("topic");
  ASSERT_NE(topic, nullptr);
  for (const char* name : {"create", "list", "describe", "delete", "alter", "add-partitions"})
    EXPECT_NE(topic->get_subcommand(name), nullptr) << name;
  EXPECT_NE(app.get_subcommand("produce"), nullptr);
  EXPECT_NE(app.get_subcommand("consume"), nullptr);
  // `topic` alone is not a command.
  EXPECT_THROW(app.parse(std::vector<std::string>{"topic"}), CLI::ParseError);
}

TEST(KeyValue, SplitsAtTheFirstEquals) {
  auto kv = parse_key_value("a=b=c");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->key, "a");
  EXPECT_EQ(kv->value, "b=c");
  kv = parse_key_value("a=");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "");
  EXPECT_FALSE(parse_key_value("a").ok());
  EXPECT_FALSE(parse_key_value("=b").ok());
  kv = parse_key_value("a", true);
  ASSERT_TRUE(kv.ok());
  EXPECT_FALSE(kv->value);
}

}  // namespace
}  // namespace moldau::cli
