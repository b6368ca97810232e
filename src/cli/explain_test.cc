#include "cli/explain.h"

#include <gtest/gtest.h>

namespace moldau::cli {
namespace {

TEST(Explain, TopicAlreadyExistsSuggestsIfNotExists) {
  EXPECT_EQ(explain(ErrorCode::kTopicAlreadyExists, {Operation::kCreateTopic, "x", {}, {}}),
            "TOPIC_ALREADY_EXISTS: topic 'x' already exists (use --if-not-exists to ignore)");
}

TEST(Explain, UnknownTopicAdviceDependsOnWhatWasAsked) {
  EXPECT_EQ(explain(ErrorCode::kUnknownTopicOrPartition, {Operation::kDeleteTopic, "x", {}, {}}),
            "UNKNOWN_TOPIC_OR_PARTITION: topic 'x' does not exist (use --if-exists to ignore)");
  EXPECT_EQ(explain(ErrorCode::kUnknownTopicOrPartition, {Operation::kDescribeTopic, "x", {}, {}}),
            "UNKNOWN_TOPIC_OR_PARTITION: topic 'x' does not exist (see `moldau topic list`)");
  EXPECT_EQ(explain(ErrorCode::kUnknownTopicOrPartition, {Operation::kConsume, "x", 7, {}}),
            "UNKNOWN_TOPIC_OR_PARTITION: partition 7 of topic 'x' does not exist "
            "(see `moldau topic describe x`)");
  EXPECT_NE(explain(ErrorCode::kUnknownTopicOrPartition, {Operation::kProduce, "x", {}, {}})
                .find("moldau topic create x"),
            std::string::npos);
}

TEST(Explain, BrokerMessageIsAddedWhenItSaysMore) {
  EXPECT_EQ(explain(ErrorCode::kInvalidConfig,
                    {Operation::kAlterTopic, "x", {}, "Invalid value abc for retention.ms"}),
            "INVALID_CONFIG: the broker refused a config (see `moldau topic describe` for the "
            "current ones) (the broker says: Invalid value abc for retention.ms)");
  // A message that only repeats the code is left out.
  EXPECT_EQ(explain(ErrorCode::kTopicAlreadyExists,
                    {Operation::kCreateTopic, "x", {}, "Topic 'x' already exists."}),
            "TOPIC_ALREADY_EXISTS: topic 'x' already exists (use --if-not-exists to ignore)");
  EXPECT_EQ(explain(ErrorCode::kUnknownTopicOrPartition,
                    {Operation::kDeleteTopic, "x", {}, "This server does not host this topic-partition."}),
            "UNKNOWN_TOPIC_OR_PARTITION: topic 'x' does not exist (use --if-exists to ignore)");
  EXPECT_EQ(explain(ErrorCode::kPolicyViolation, {Operation::kCreateTopic, "x", {}, "POLICY_VIOLATION"}),
            "POLICY_VIOLATION: the broker's policy refused the request");
}

TEST(Explain, CodesWithoutAdviceUseTheBrokerMessageOrTheName) {
  EXPECT_EQ(explain(ErrorCode::kGroupIdNotFound, {}), "GROUP_ID_NOT_FOUND: group id not found");
  EXPECT_EQ(explain(ErrorCode::kGroupIdNotFound, {Operation::kOther, "", {}, "no group g"}),
            "GROUP_ID_NOT_FOUND: no group g");
}

TEST(Explain, ProduceErrorsNameThePartitionAndAWayOut) {
  std::string s = explain(ErrorCode::kNotEnoughReplicas, {Operation::kProduce, "t", 2, {}});
  EXPECT_EQ(s.rfind("NOT_ENOUGH_REPLICAS: partition 2 of topic 't'", 0), 0u) << s;
  EXPECT_NE(s.find("--acks 1"), std::string::npos) << s;
  s = explain(ErrorCode::kMessageTooLarge, {Operation::kProduce, "t", 0, {}});
  EXPECT_NE(s.find("--batch-size"), std::string::npos) << s;
}

TEST(Explain, UnreachableHintSaysWhatToDo) {
  std::string_view h = unreachable_hint();
  EXPECT_NE(h.find("make run"), std::string_view::npos);
  EXPECT_NE(h.find("--bootstrap-server HOST:PORT"), std::string_view::npos);
}

TEST(ExitCode, NetworkProblemsAreUnreachableOthersFailed) {
  EXPECT_EQ(exit_code_for({ErrorCode::kNetworkException, ""}), exit_code::kUnreachable);
  EXPECT_EQ(exit_code_for({ErrorCode::kRequestTimedOut, ""}), exit_code::kUnreachable);
  EXPECT_EQ(exit_code_for({ErrorCode::kTopicAlreadyExists, ""}), exit_code::kFailed);
  EXPECT_EQ(exit_code_for({ErrorCode::kUnsupportedVersion, ""}), exit_code::kFailed);
}

}  // namespace
}  // namespace moldau::cli
