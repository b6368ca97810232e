#include <gtest/gtest.h>

#include "metadata/controller.h"
#include "metadata/controller_test_util.h"

namespace moldau::metadata {
namespace {

using testing::ControllerHarness;

ConfigResource topic(std::string name) { return {ConfigResourceType::kTopic, std::move(name)}; }
ConfigResource broker(std::string name) { return {ConfigResourceType::kBroker, std::move(name)}; }

class ControllerConfigs : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(h.create_one("t").error, ErrorCode::kNone); }

  std::vector<AlterConfigsResult> incremental(std::vector<IncrementalAlterConfigsResource> r, bool validate_only = false) {
    return h.call<AlterConfigsResult>(
        [&](auto done) { h.controller().incremental_alter_configs(std::move(r), validate_only, done); });
  }
  AlterConfigsResult one(ConfigResource res, std::string key, AlterConfigOp op, std::optional<std::string> value) {
    auto r = incremental({{std::move(res), {{std::move(key), op, std::move(value)}}}});
    return r.at(0);
  }
  std::vector<AlterConfigsResult> legacy(std::vector<AlterConfigsResource> r, bool validate_only = false) {
    return h.call<AlterConfigsResult>([&](auto done) { h.controller().alter_configs(std::move(r), validate_only, done); });
  }
  const ConfigMap& topic_configs() { return h.image()->topic("t")->configs; }

  ControllerHarness h;
};

void expect(const AlterConfigsResult& r, ErrorCode code, std::string_view fragment = "") {
  EXPECT_EQ(r.error, code) << error_name(r.error) << ": " << r.message;
  EXPECT_NE(r.message.find(fragment), std::string::npos) << r.message;
}

TEST_F(ControllerConfigs, SetAndDeleteTopicConfig) {
  int changes = 0;
  h.controller().on_change([&](const ImagePtr&, const ImagePtr&, const CommittedBatch&) { ++changes; });
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kSet, "1000"), ErrorCode::kNone);
  EXPECT_EQ(topic_configs().at("retention.ms"), "1000");
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kDelete, std::nullopt), ErrorCode::kNone);
  EXPECT_FALSE(topic_configs().count("retention.ms"));
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kDelete, std::nullopt), ErrorCode::kNone);
  EXPECT_EQ(changes, 2) << "deleting an absent override writes nothing";
}

TEST_F(ControllerConfigs, AppendAndSubtractLists) {
  expect(one(topic("t"), "cleanup.policy", AlterConfigOp::kAppend, "compact"), ErrorCode::kNone);
  EXPECT_EQ(topic_configs().at("cleanup.policy"), "delete,compact");
  expect(one(topic("t"), "cleanup.policy", AlterConfigOp::kAppend, "compact"), ErrorCode::kNone);
  EXPECT_EQ(topic_configs().at("cleanup.policy"), "delete,compact");
  expect(one(topic("t"), "cleanup.policy", AlterConfigOp::kSubtract, "delete"), ErrorCode::kNone);
  EXPECT_EQ(topic_configs().at("cleanup.policy"), "compact");
  expect(one(topic("t"), "cleanup.policy", AlterConfigOp::kAppend, "shred"), ErrorCode::kInvalidConfig,
         "String must be one of");
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kAppend, "5"), ErrorCode::kInvalidConfig,
         "Can't APPEND to key retention.ms because its type is not LIST.");
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kSubtract, "5"), ErrorCode::kInvalidConfig, "SUBTRACT");
}

TEST_F(ControllerConfigs, TopicErrors) {
  expect(one(topic("nope"), "retention.ms", AlterConfigOp::kSet, "1"), ErrorCode::kUnknownTopicOrPartition, "nope");
  expect(one(topic("bad name"), "retention.ms", AlterConfigOp::kSet, "1"), ErrorCode::kInvalidTopicException);
  expect(one(topic("t"), "no.such", AlterConfigOp::kSet, "1"), ErrorCode::kInvalidConfig, "Unknown topic config name: no.such");
  expect(one(topic("t"), "no.such", AlterConfigOp::kDelete, std::nullopt), ErrorCode::kInvalidConfig, "no.such");
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kSet, "soon"), ErrorCode::kInvalidConfig,
         "Invalid value soon for configuration retention.ms");
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kSet, std::nullopt), ErrorCode::kInvalidRequest, "Null value");
  expect(one(topic("t"), "max.compaction.lag.ms", AlterConfigOp::kSet, "-0"), ErrorCode::kInvalidConfig, "at least 1");
  auto dup = incremental({{topic("t"), {{"retention.ms", AlterConfigOp::kSet, "1"}, {"retention.ms", AlterConfigOp::kDelete, {}}}}});
  expect(dup[0], ErrorCode::kInvalidRequest, "duplicate config keys");
  auto dup_res = incremental({{topic("t"), {{"retention.ms", AlterConfigOp::kSet, "1"}}},
                              {topic("t"), {{"segment.ms", AlterConfigOp::kSet, "1"}}}});
  expect(dup_res[0], ErrorCode::kInvalidRequest, "Duplicate resource");
  expect(dup_res[1], ErrorCode::kInvalidRequest, "Duplicate resource");
  expect(one(ConfigResource{ConfigResourceType(8), "x"}, "a", AlterConfigOp::kSet, "b"), ErrorCode::kInvalidRequest,
         "Unsupported resource type");
  EXPECT_TRUE(topic_configs().empty());
}

TEST_F(ControllerConfigs, CrossKeyCheckUsesTheResultingConfig) {
  expect(one(topic("t"), "max.compaction.lag.ms", AlterConfigOp::kSet, "100"), ErrorCode::kNone);
  expect(one(topic("t"), "min.compaction.lag.ms", AlterConfigOp::kSet, "200"), ErrorCode::kInvalidConfig,
         "min.compaction.lag.ms (200) > max.compaction.lag.ms (100)");
}

TEST_F(ControllerConfigs, ValidateOnlyChangesNothing) {
  auto r = incremental({{topic("t"), {{"retention.ms", AlterConfigOp::kSet, "5"}}}}, true);
  expect(r[0], ErrorCode::kNone);
  EXPECT_TRUE(topic_configs().empty());
  auto bad = incremental({{topic("t"), {{"retention.ms", AlterConfigOp::kSet, "x"}}}}, true);
  expect(bad[0], ErrorCode::kInvalidConfig);
}

TEST_F(ControllerConfigs, OneBadResourceDoesNotStopTheOthers) {
  auto r = incremental({{topic("t"), {{"retention.ms", AlterConfigOp::kSet, "5"}}},
                        {topic("missing"), {{"retention.ms", AlterConfigOp::kSet, "5"}}}});
  expect(r[0], ErrorCode::kNone);
  expect(r[1], ErrorCode::kUnknownTopicOrPartition);
  EXPECT_EQ(topic_configs().at("retention.ms"), "5");
}

TEST_F(ControllerConfigs, LegacyAlterReplacesAllOverrides) {
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kSet, "5"), ErrorCode::kNone);
  auto r = legacy({{topic("t"), {{"segment.ms", "60000"}}}});
  expect(r[0], ErrorCode::kNone);
  EXPECT_EQ(topic_configs(), (ConfigMap{{"segment.ms", "60000"}}));
  expect(legacy({{topic("t"), {{"segment.ms", std::nullopt}}}})[0], ErrorCode::kInvalidRequest, "Null value");
  expect(legacy({{topic("t"), {{"segment.ms", "1"}, {"segment.ms", "2"}}}})[0], ErrorCode::kInvalidRequest, "duplicate");
  expect(legacy({{topic("t"), {{"bogus", "1"}}}})[0], ErrorCode::kInvalidConfig, "bogus");
  expect(legacy({{topic("t"), {}}}, true)[0], ErrorCode::kNone);
  EXPECT_EQ(topic_configs().size(), 1u) << "validate_only";
  expect(legacy({{topic("t"), {}}})[0], ErrorCode::kNone);
  EXPECT_TRUE(topic_configs().empty());
}

TEST_F(ControllerConfigs, BrokerDynamicConfigs) {
  expect(one(broker(""), "log.retention.ms", AlterConfigOp::kSet, "60000"), ErrorCode::kNone);
  EXPECT_EQ(h.image()->broker_configs("").at("log.retention.ms"), "60000");
  EXPECT_EQ(effective_topic_value("retention.ms", topic_configs(), *h.image(), h.config()), "60000");
  expect(one(broker("1"), "message.max.bytes", AlterConfigOp::kSet, "2000000"), ErrorCode::kNone);
  EXPECT_EQ(effective_topic_value("max.message.bytes", {}, *h.image(), h.config()), "2000000");
  // Configs of brokers not (yet) registered are kept, as in Kafka.
  expect(one(broker("7"), "message.max.bytes", AlterConfigOp::kSet, "10"), ErrorCode::kNone);
  expect(one(broker(""), "log.retention.ms", AlterConfigOp::kDelete, std::nullopt), ErrorCode::kNone);
  EXPECT_TRUE(h.image()->broker_configs("").empty());
}

TEST_F(ControllerConfigs, BrokerErrorsAreInvalidRequest) {
  expect(one(broker(""), "num.partitions", AlterConfigOp::kSet, "3"), ErrorCode::kInvalidRequest,
         "Cannot update these configs dynamically: num.partitions");
  expect(one(broker(""), "log.retention.hours", AlterConfigOp::kSet, "3"), ErrorCode::kInvalidRequest, "read-only");
  expect(one(broker(""), "no.such", AlterConfigOp::kSet, "3"), ErrorCode::kInvalidRequest, "unknown");
  expect(one(broker(""), "num.partitions", AlterConfigOp::kDelete, std::nullopt), ErrorCode::kInvalidRequest);
  expect(one(broker(""), "log.retention.ms", AlterConfigOp::kSet, "abc"), ErrorCode::kInvalidRequest,
         "Invalid value abc for configuration log.retention.ms");
  expect(one(broker("x"), "log.retention.ms", AlterConfigOp::kSet, "1"), ErrorCode::kInvalidRequest, "Invalid broker name");
  EXPECT_TRUE(h.image()->all_broker_configs().empty());
}

TEST_F(ControllerConfigs, FlushOnAckIsDynamic) {
  expect(one(broker(""), kFlushOnAckBrokerConfig, AlterConfigOp::kSet, "true"), ErrorCode::kNone);
  EXPECT_EQ(effective_topic_value(kFlushOnAckTopicConfig, topic_configs(), *h.image(), h.config()), "true");
  expect(one(topic("t"), kFlushOnAckTopicConfig, AlterConfigOp::kSet, "false"), ErrorCode::kNone);
  EXPECT_EQ(effective_topic_value(kFlushOnAckTopicConfig, topic_configs(), *h.image(), h.config()), "false");
}

TEST_F(ControllerConfigs, DescribeThroughTheController) {
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kSet, "1000"), ErrorCode::kNone);
  auto r = h.controller().describe_configs(
      {{topic("t"), std::vector<std::string>{"retention.ms"}},
       {topic("missing"), std::nullopt},
       {broker("1"), std::vector<std::string>{"num.partitions"}},
       {broker("9"), std::nullopt},
       {ConfigResource{ConfigResourceType(8), "1"}, std::nullopt}},
      true, false);
  ASSERT_EQ(r.size(), 5u);
  ASSERT_EQ(r[0].configs.size(), 1u);
  EXPECT_EQ(r[0].configs[0].value, "1000");
  EXPECT_EQ(r[0].configs[0].source, ConfigSource::kDynamicTopic);
  EXPECT_EQ(r[1].error, ErrorCode::kUnknownTopicOrPartition);
  ASSERT_EQ(r[2].configs.size(), 1u);
  EXPECT_TRUE(r[2].configs[0].read_only);
  EXPECT_EQ(r[3].error, ErrorCode::kInvalidRequest);
  EXPECT_EQ(r[4].error, ErrorCode::kInvalidRequest);
}

TEST_F(ControllerConfigs, ConfigsSurviveRestart) {
  expect(one(topic("t"), "retention.ms", AlterConfigOp::kSet, "1000"), ErrorCode::kNone);
  expect(one(broker(""), "log.segment.bytes", AlterConfigOp::kSet, "2097152"), ErrorCode::kNone);
  ImagePtr before = h.image();
  h.restart();
  EXPECT_TRUE(h.image()->same_state(*before));
  EXPECT_EQ(effective_topic_value("segment.bytes", {}, *h.image(), h.config()), "2097152");
}

}  // namespace
}  // namespace moldau::metadata
