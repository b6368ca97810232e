#include <gtest/gtest.h>

#include "kafka/handlers/admin_handlers.h"
#include "kafka/handlers/admin_test_util.h"
#include "metadata/controller_test_util.h"

namespace moldau::kafka::admin {
namespace {

using testing::at_version;

AlterShape shape(int8_t type, std::string name, std::vector<std::string> keys = {"retention.ms"}) {
  AlterShape s;
  s.resource_type = type;
  s.resource_name = std::move(name);
  s.keys = std::move(keys);
  return s;
}

void expect_invalid(const std::optional<Error>& e, std::string_view message) {
  ASSERT_TRUE(e.has_value()) << message;
  EXPECT_EQ(e->code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e->message, message);
}

TEST(AdminAlterConfigs, WellFormedResourcesPass) {
  auto out = preprocess_alter({shape(2, "orders"), shape(4, ""), shape(4, "7")}, 7);
  ASSERT_EQ(out.size(), 3u);
  for (const auto& e : out) EXPECT_FALSE(e.has_value()) << e->message;
}

TEST(AdminAlterConfigs, EveryCopyOfARepeatedResourceFails) {
  // Same name, different type: two resources; same type and name: refused.
  auto out = preprocess_alter({shape(2, "x"), shape(4, ""), shape(2, "x"), shape(4, "")}, 1);
  for (const auto& e : out) expect_invalid(e, "Each resource must appear at most once.");
  out = preprocess_alter({shape(2, "x"), shape(2, "y")}, 1);
  EXPECT_FALSE(out[0] || out[1]);
}

TEST(AdminAlterConfigs, ShapeErrorsInKafkasOrder) {
  auto dup_keys = shape(2, "t", {"a", "b", "a"});
  dup_keys.null_values = {"b"};
  auto nulls = shape(2, "u", {"a", "b", "c"});
  nulls.null_values = {"a", "c"};
  auto out = preprocess_alter({dup_keys, nulls}, 1);
  expect_invalid(out[0], "Error due to duplicate config keys");
  expect_invalid(out[1], "Null value not supported for : a, c");
}

TEST(AdminAlterConfigs, BrokerResourceMustBeThisNodeOrTheDefault) {
  auto out = preprocess_alter({shape(4, "2"), shape(4, "x"), shape(4, "1")}, 1);
  expect_invalid(out[0], "Unexpected broker id, expected 1, but received 2");
  expect_invalid(out[1], "Node id must be an integer, but it is: x");
  EXPECT_FALSE(out[2].has_value());
}

TEST(AdminAlterConfigs, UnsupportedTypesAndOperations) {
  auto bad_op = shape(2, "t");
  bad_op.bad_operation = 9;
  auto out = preprocess_alter({shape(8, "1"), shape(99, "z"), bad_op}, 1);
  ASSERT_TRUE(out[0].has_value());
  EXPECT_EQ(out[0]->code, ErrorCode::kInvalidRequest);
  EXPECT_NE(out[0]->message.find("BROKER_LOGGER"), std::string::npos) << out[0]->message;
  expect_invalid(out[1], "Unknown resource type 99");
  expect_invalid(out[2], "Unknown alter configs operation type 9");
}

TEST(AdminDescribeConfigs, EmptyKeyListMeansAll) {
  EXPECT_EQ(describe_keys(std::nullopt), std::nullopt);
  EXPECT_EQ(describe_keys(std::vector<std::string>{}), std::nullopt);
  EXPECT_EQ(describe_keys(std::vector<std::string>{"a"}), (std::vector<std::string>{"a"}));
}

metadata::DescribeConfigsResult described() {
  metadata::DescribeConfigsResult r;
  r.resource = {metadata::ConfigResourceType::kTopic, "orders"};
  metadata::DescribedConfig c;
  c.name = "retention.ms";
  c.value = "1000";
  c.source = metadata::ConfigSource::kDynamicTopic;
  c.type = metadata::ConfigType::kLong;
  c.documentation = "How long to keep records.";
  c.synonyms.push_back({"retention.ms", "1000", metadata::ConfigSource::kDynamicTopic});
  c.synonyms.push_back({"log.retention.hours", "168", metadata::ConfigSource::kDefault});
  r.configs.push_back(c);
  return r;
}

TEST(AdminDescribeConfigs, EntriesByVersion) {
  protocol::DescribeConfigsResponse resp;
  resp.results.push_back(to_wire(described(), 2));

  auto v4 = at_version(resp, 4).results.at(0);
  EXPECT_EQ(v4.error_code, 0);
  EXPECT_EQ(v4.resource_type, 2);
  EXPECT_EQ(v4.resource_name, "orders");
  ASSERT_EQ(v4.configs.size(), 1u);
  const auto& c = v4.configs[0];
  EXPECT_EQ(c.name, "retention.ms");
  EXPECT_EQ(c.value, "1000");
  EXPECT_EQ(c.config_source, 1);
  EXPECT_EQ(c.config_type, 5);  // LONG
  EXPECT_EQ(c.documentation, "How long to keep records.");
  ASSERT_EQ(c.synonyms.size(), 2u);
  EXPECT_EQ(c.synonyms[1].name, "log.retention.hours");
  EXPECT_EQ(c.synonyms[1].source, 5);

  auto v1 = at_version(resp, 1).results.at(0).configs.at(0);
  EXPECT_EQ(v1.config_source, 1) << "config_source from v1";
  EXPECT_EQ(v1.synonyms.size(), 2u) << "synonyms from v1";
  EXPECT_EQ(v1.config_type, 0) << "config_type from v3";
}

TEST(AdminDescribeConfigs, ErrorsKeepTheResourceAsAsked) {
  metadata::DescribeConfigsResult r;
  r.resource = {metadata::ConfigResourceType::kUnknown, "x"};
  r.error = ErrorCode::kInvalidRequest;
  r.message = "Unsupported resource type: BROKER_LOGGER";
  auto out = to_wire(r, 8);
  EXPECT_EQ(out.resource_type, 8);
  EXPECT_EQ(out.resource_name, "x");
  EXPECT_EQ(out.error_code, wire(ErrorCode::kInvalidRequest));
  EXPECT_EQ(out.error_message, "Unsupported resource type: BROKER_LOGGER");
  EXPECT_TRUE(out.configs.empty());
}

// Through the controller: a topic's overrides and defaults, filtered by key.
TEST(AdminDescribeConfigs, ThroughTheController) {
  metadata::testing::ControllerHarness h;
  ASSERT_EQ(h.create_one("orders", 1, 1, {{"retention.ms", "1000"}}).error, ErrorCode::kNone);
  std::vector<metadata::DescribeConfigsResource> resources = {
      {{metadata::ConfigResourceType::kTopic, "orders"}, describe_keys(std::vector<std::string>{})},
      {{metadata::ConfigResourceType::kTopic, "orders"},
       describe_keys(std::vector<std::string>{"retention.ms", "no.such.key"})},
      {{metadata::ConfigResourceType::kTopic, "absent"}, std::nullopt},
  };
  auto results = h.controller().describe_configs(resources, true, false);
  ASSERT_EQ(results.size(), 3u);
  auto all = to_wire(results[0], 2);
  EXPECT_GT(all.configs.size(), 20u) << "an empty key list describes every config";
  auto one = to_wire(results[1], 2);
  ASSERT_EQ(one.configs.size(), 1u);
  EXPECT_EQ(one.configs[0].value, "1000");
  EXPECT_EQ(one.configs[0].config_source, 1);
  EXPECT_FALSE(one.configs[0].synonyms.empty());
  EXPECT_EQ(one.configs[0].documentation, std::nullopt) << "documentation only when asked";
  EXPECT_EQ(to_wire(results[2], 2).error_code, wire(ErrorCode::kUnknownTopicOrPartition));
}

}  // namespace
}  // namespace moldau::kafka::admin
