// Argument parsing of `moldau group ...`: CLI11 fills the option structs,
// nothing runs.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "cli/group_cmd.h"

namespace moldau::cli {
namespace {

template <typename Options, typename Add>
Options parse(Add add, std::vector<std::string> args) {
  CLI::App app("moldau");
  CLI::App* group = app.add_subcommand("group");
  Options o;
  add(*group, o);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  args.push_back("group");
  app.parse(args);
  return o;
}

template <typename Options, typename Add>
bool rejects(Add add, std::vector<std::string> args) {
  try {
    parse<Options>(add, std::move(args));
  } catch (const CLI::ParseError&) {
    return true;
  }
  return false;
}

TEST(GroupArgs, List) {
  auto o = parse<GroupListOptions>(add_group_list,
                                   {"list", "--state", "stable", "-s", "Empty", "-o", "json"});
  EXPECT_EQ(o.states, (std::vector<std::string>{"stable", "Empty"}));
  EXPECT_EQ(o.common.output, OutputFormat::kJson);
  EXPECT_TRUE(parse<GroupListOptions>(add_group_list, {"list"}).states.empty());
}

TEST(GroupArgs, DescribeAndDelete) {
  auto d = parse<GroupDescribeOptions>(add_group_describe,
                                       {"describe", "a", "b", "-b", "h:1"});
  EXPECT_EQ(d.groups, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.common.bootstrap, "h:1");
  EXPECT_TRUE(rejects<GroupDescribeOptions>(add_group_describe, {"describe"}));
  auto del = parse<GroupDeleteOptions>(add_group_delete, {"delete", "x", "y"});
  EXPECT_EQ(del.groups, (std::vector<std::string>{"x", "y"}));
  auto off = parse<GroupDeleteOffsetsOptions>(
      add_group_delete_offsets, {"delete-offsets", "g", "--topic", "t:1", "-t", "u"});
  EXPECT_EQ(off.group, "g");
  EXPECT_EQ(off.topics, (std::vector<std::string>{"t:1", "u"}));
  EXPECT_TRUE(rejects<GroupDeleteOffsetsOptions>(add_group_delete_offsets,
                                                 {"delete-offsets", "g"}));
}

TEST(GroupArgs, ResetOffsetsTargets) {
  auto o = parse<GroupResetOptions>(add_group_reset_offsets,
                                    {"reset-offsets", "g", "--topic", "orders:0,2", "--topic",
                                     "logs", "--to-offset", "42", "--execute"});
  EXPECT_EQ(o.group, "g");
  EXPECT_EQ(o.topics, (std::vector<std::string>{"orders:0,2", "logs"}));
  EXPECT_EQ(o.to, ResetTo::kOffset);
  EXPECT_EQ(o.value, 42);
  EXPECT_TRUE(o.execute);
  auto shift = parse<GroupResetOptions>(add_group_reset_offsets,
                                        {"reset-offsets", "g", "--all-topics", "--shift-by=-5"});
  EXPECT_TRUE(shift.all_topics);
  EXPECT_EQ(shift.to, ResetTo::kShiftBy);
  EXPECT_EQ(shift.value, -5);
  EXPECT_FALSE(shift.execute);
  auto dt = parse<GroupResetOptions>(
      add_group_reset_offsets,
      {"reset-offsets", "g", "-t", "t", "--to-datetime", "2024-05-01T12:00:00Z"});
  EXPECT_EQ(dt.to, ResetTo::kDatetime);
  EXPECT_EQ(dt.datetime, "2024-05-01T12:00:00Z");
  EXPECT_EQ(parse<GroupResetOptions>(add_group_reset_offsets,
                                     {"reset-offsets", "g", "-t", "t", "--to-earliest"}).to,
            ResetTo::kEarliest);
  EXPECT_EQ(parse<GroupResetOptions>(add_group_reset_offsets,
                                     {"reset-offsets", "g", "-t", "t", "--to-latest"}).to,
            ResetTo::kLatest);
  // One target only; --topic and --all-topics exclude each other.
  EXPECT_TRUE(rejects<GroupResetOptions>(
      add_group_reset_offsets, {"reset-offsets", "g", "-t", "t", "--to-earliest", "--to-latest"}));
  EXPECT_TRUE(rejects<GroupResetOptions>(
      add_group_reset_offsets,
      {"reset-offsets", "g", "-t", "t", "--all-topics", "--to-earliest"}));
  EXPECT_TRUE(rejects<GroupResetOptions>(
      add_group_reset_offsets, {"reset-offsets", "g", "-t", "t", "--to-offset", "x"}));
}

}  // namespace
}  // namespace moldau::cli
