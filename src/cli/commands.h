// The command-line tools: `moldau topic ...`, `moldau produce`, `moldau
// consume` (docs/cli.md). src/app/main.cc creates the top-level CLI::App,
// adds `broker` and `version`, calls register_commands() and parses.
//
// Each command's callback runs it and, on failure, throws
// CLI::RuntimeError(code) with the exit code of explain.h (exit_code); CLI11's
// App::exit() returns that code without printing anything more, because the
// command has already said what went wrong on stderr.
#pragma once

#include "cli/options.h"

namespace CLI {
class App;
}

namespace moldau::cli {

void register_commands(CLI::App& app);

// Adds the options every command takes (docs/cli.md) to `cmd`, for commands
// registered outside commands.cc.
void add_common_options(CLI::App* cmd, CommonOptions& c);

// Each adds one subcommand whose options are bound to `o`, without a
// callback, so tests can parse arguments into `o` without running anything.
CLI::App* add_topic_create(CLI::App& topic, TopicCreateOptions& o);
CLI::App* add_topic_list(CLI::App& topic, TopicListOptions& o);
CLI::App* add_topic_describe(CLI::App& topic, TopicDescribeOptions& o);
CLI::App* add_topic_delete(CLI::App& topic, TopicDeleteOptions& o);
CLI::App* add_topic_alter(CLI::App& topic, TopicAlterOptions& o);
CLI::App* add_topic_add_partitions(CLI::App& topic, TopicAddPartitionsOptions& o);
CLI::App* add_produce(CLI::App& app, ProduceOptions& o);
CLI::App* add_consume(CLI::App& app, ConsumeOptions& o);

// The commands; each returns an exit code (explain.h).
int run_topic_create(const TopicCreateOptions& o);
int run_topic_list(const TopicListOptions& o);
int run_topic_describe(const TopicDescribeOptions& o);
int run_topic_delete(const TopicDeleteOptions& o);
int run_topic_alter(const TopicAlterOptions& o);
int run_topic_add_partitions(const TopicAddPartitionsOptions& o);
int run_produce(const ProduceOptions& o);
int run_consume(const ConsumeOptions& o);

}  // namespace moldau::cli
