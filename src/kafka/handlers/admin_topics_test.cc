#include <gtest/gtest.h>

#include "kafka/handlers/admin_handlers.h"
#include "kafka/handlers/admin_test_util.h"
#include "metadata/controller_test_util.h"

namespace moldau::kafka::admin {
namespace {

using protocol::CreateTopicsRequest;
using protocol::CreateTopicsResponse;
using testing::at_version;

CreateTopicsRequest::CreatableTopic requested(std::string name, int32_t partitions, int16_t rf) {
  CreateTopicsRequest::CreatableTopic t;
  t.name = std::move(name);
  t.num_partitions = partitions;
  t.replication_factor = rf;
  return t;
}

TEST(AdminCreateTopics, RequestMapsToTheControllersForm) {
  auto t = requested("orders", -1, -1);
  t.assignments.push_back({1, {3, 1}, {}});
  t.assignments.push_back({0, {1, 3}, {}});
  t.configs.push_back({"retention.ms", "1000", {}});
  t.configs.push_back({"cleanup.policy", std::nullopt, {}});
  auto c = to_creatable_topic(t);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->name, "orders");
  EXPECT_EQ(c->num_partitions, -1);
  EXPECT_EQ(c->replication_factor, -1);
  ASSERT_EQ(c->assignments.size(), 2u);
  EXPECT_EQ(c->assignments.at(0), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(c->assignments.at(1), (std::vector<int32_t>{3, 1}));
  ASSERT_EQ(c->configs.size(), 2u);
  EXPECT_EQ(c->configs[0], (std::pair<std::string, std::optional<std::string>>{"retention.ms", "1000"}));
  EXPECT_EQ(c->configs[1].second, std::nullopt) << "a null value reaches the controller, which refuses it";
}

TEST(AdminCreateTopics, PartitionAssignedTwiceIsRefused) {
  auto t = requested("orders", -1, -1);
  t.assignments.push_back({0, {1}, {}});
  t.assignments.push_back({0, {1}, {}});
  auto c = to_creatable_topic(t);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidReplicaAssignment);
  EXPECT_EQ(c.error().message, "Found multiple manual partition assignments for partition 0");
}

metadata::CreateTopicResult created() {
  metadata::CreateTopicResult r;
  r.name = "orders";
  r.topic_id = metadata::TopicId::from_halves(0x1122334455667788, 0x99aabbccddeeff00);
  r.num_partitions = 3;
  r.replication_factor = 1;
  metadata::DescribedConfig c;
  c.name = "retention.ms";
  c.value = "1000";
  c.source = metadata::ConfigSource::kDynamicTopic;
  r.configs.push_back(c);
  c.name = "ssl.secret";
  c.value = std::nullopt;
  c.sensitive = true;
  c.read_only = true;
  c.source = metadata::ConfigSource::kDefault;
  r.configs.push_back(c);
  return r;
}

TEST(AdminCreateTopics, SuccessCarriesIdCountsAndConfigsWhereTheVersionHasThem) {
  CreateTopicsResponse resp;
  resp.topics.push_back(to_wire(created()));

  auto v7 = at_version(resp, 7).topics.at(0);
  EXPECT_EQ(v7.error_code, 0);
  EXPECT_EQ(v7.error_message, std::nullopt);
  EXPECT_EQ(v7.topic_id, (protocol::Uuid{0x1122334455667788, 0x99aabbccddeeff00}));
  EXPECT_EQ(v7.num_partitions, 3);
  EXPECT_EQ(v7.replication_factor, 1);
  ASSERT_TRUE(v7.configs.has_value());
  ASSERT_EQ(v7.configs->size(), 2u);
  EXPECT_EQ((*v7.configs)[0].name, "retention.ms");
  EXPECT_EQ((*v7.configs)[0].value, "1000");
  EXPECT_EQ((*v7.configs)[0].config_source, 1);  // DYNAMIC_TOPIC_CONFIG
  EXPECT_FALSE((*v7.configs)[0].is_sensitive);
  EXPECT_EQ((*v7.configs)[1].value, std::nullopt);
  EXPECT_TRUE((*v7.configs)[1].is_sensitive);
  EXPECT_TRUE((*v7.configs)[1].read_only);
  EXPECT_EQ((*v7.configs)[1].config_source, 5);  // DEFAULT_CONFIG

  auto v5 = at_version(resp, 5).topics.at(0);
  EXPECT_TRUE(v5.topic_id.is_zero()) << "topic ids from v7";
  EXPECT_EQ(v5.num_partitions, 3);
  ASSERT_TRUE(v5.configs.has_value());
  EXPECT_EQ(v5.configs->size(), 2u);

  auto v4 = at_version(resp, 4).topics.at(0);
  EXPECT_EQ(v4.name, "orders");
  EXPECT_EQ(v4.error_code, 0);
  EXPECT_EQ(v4.num_partitions, -1) << "not on the wire before v5";
  EXPECT_TRUE(!v4.configs || v4.configs->empty());
}

TEST(AdminCreateTopics, ErrorCarriesMessageAndDefaults) {
  metadata::CreateTopicResult r;
  r.name = "orders";
  r.error = ErrorCode::kTopicAlreadyExists;
  r.message = "Topic 'orders' already exists.";
  r.num_partitions = 3;  // ignored: Kafka sends -1 with an error
  CreateTopicsResponse resp;
  resp.topics.push_back(to_wire(r));
  for (int16_t v : {2, 5, 7}) {
    auto t = at_version(resp, v).topics.at(0);
    EXPECT_EQ(t.error_code, 36) << v;
    EXPECT_EQ(t.error_message, "Topic 'orders' already exists.") << v;
    EXPECT_EQ(t.num_partitions, -1) << v;
    EXPECT_TRUE(t.topic_id.is_zero()) << v;
    EXPECT_TRUE(!t.configs || t.configs->empty()) << v;
  }
}

// The request mapping and the result mapping around the real controller.
TEST(AdminCreateTopics, ThroughTheController) {
  metadata::testing::ControllerHarness h({{"num.partitions", "2", 2}});
  auto with_configs = requested("orders", 3, -1);
  with_configs.configs.push_back({"retention.ms", "1000", {}});
  auto results = h.create({to_creatable_topic(with_configs).value(),
                           to_creatable_topic(requested("defaults", -1, -1)).value()});
  ASSERT_EQ(results.size(), 2u);

  CreateTopicsResponse resp;
  for (const auto& r : results) resp.topics.push_back(to_wire(r));
  auto out = at_version(resp, 7);
  const auto& orders = out.topics.at(0);
  EXPECT_EQ(orders.error_code, 0) << orders.error_message.value_or("");
  EXPECT_EQ(orders.num_partitions, 3);
  EXPECT_EQ(orders.replication_factor, 1);
  EXPECT_FALSE(orders.topic_id.is_zero());
  EXPECT_EQ(from_wire(orders.topic_id), h.image()->topic("orders")->id);
  ASSERT_TRUE(orders.configs.has_value());
  bool saw_retention = false, saw_segment = false;
  for (const auto& c : *orders.configs) {
    if (c.name == "retention.ms") {
      saw_retention = true;
      EXPECT_EQ(c.value, "1000");
      EXPECT_EQ(c.config_source, 1);
    }
    if (c.name == "segment.bytes") {
      saw_segment = true;
      EXPECT_EQ(c.value, "1073741824");
      EXPECT_EQ(c.config_source, 5);
    }
  }
  EXPECT_TRUE(saw_retention && saw_segment);
  EXPECT_EQ(out.topics.at(1).num_partitions, 2) << "num.partitions for -1";

  auto again = h.create({to_creatable_topic(requested("orders", 1, 1)).value()});
  auto dup = to_wire(again.at(0));
  EXPECT_EQ(dup.error_code, wire(ErrorCode::kTopicAlreadyExists));
  EXPECT_TRUE(dup.error_message && !dup.error_message->empty());
}

TEST(AdminDeleteTopics, NamesBeforeV6AndNamesOrIdsFromV6) {
  protocol::DeleteTopicsRequest req;
  req.topic_names = {"a", "b"};
  req.topics.push_back({std::nullopt, protocol::Uuid{1, 2}, {}});
  req.topics.push_back({std::string("c"), protocol::Uuid{}, {}});

  auto v5 = to_topic_refs(req, 5);
  ASSERT_EQ(v5.size(), 2u);
  EXPECT_EQ(v5[0].name, "a");
  EXPECT_TRUE(v5[0].id.is_zero());
  EXPECT_EQ(v5[1].name, "b");

  auto v6 = to_topic_refs(req, 6);
  ASSERT_EQ(v6.size(), 2u);
  EXPECT_EQ(v6[0].name, std::nullopt);
  EXPECT_EQ(v6[0].id, metadata::TopicId::from_halves(1, 2));
  EXPECT_EQ(v6[1].name, "c");
  EXPECT_TRUE(v6[1].id.is_zero());
}

TEST(AdminDeleteTopics, ResultsByVersion) {
  metadata::DeleteTopicResult disabled;
  disabled.name = "a";
  disabled.error = ErrorCode::kTopicDeletionDisabled;
  disabled.message = "Topic deletion is disabled.";
  EXPECT_EQ(to_wire(disabled, 2).error_code, wire(ErrorCode::kInvalidRequest)) << "no code 73 before v3";
  EXPECT_EQ(to_wire(disabled, 3).error_code, wire(ErrorCode::kTopicDeletionDisabled));

  metadata::DeleteTopicResult unknown_id;
  unknown_id.topic_id = metadata::TopicId::from_halves(1, 2);
  unknown_id.error = ErrorCode::kUnknownTopicId;
  unknown_id.message = "Topic id does not exist.";
  protocol::DeleteTopicsResponse resp;
  resp.responses.push_back(to_wire(unknown_id, 6));
  auto v6 = at_version(resp, 6).responses.at(0);
  EXPECT_EQ(v6.name, std::nullopt) << "null name for an unknown id (v6)";
  EXPECT_EQ(v6.topic_id, (protocol::Uuid{1, 2}));
  EXPECT_EQ(v6.error_code, wire(ErrorCode::kUnknownTopicId));
  EXPECT_EQ(v6.error_message, "Topic id does not exist.");

  metadata::DeleteTopicResult ok;
  ok.name = "a";
  resp.responses = {to_wire(ok, 5)};
  auto v5 = at_version(resp, 5).responses.at(0);
  EXPECT_EQ(v5.name, "a");
  EXPECT_EQ(v5.error_code, 0);
  EXPECT_EQ(v5.error_message, std::nullopt);
}

TEST(AdminCreatePartitions, Mapping) {
  protocol::CreatePartitionsRequest::CreatePartitionsTopic t;
  t.name = "orders";
  t.count = 4;
  t.assignments.reset();
  auto plain = to_create_partitions_topic(t);
  EXPECT_EQ(plain.name, "orders");
  EXPECT_EQ(plain.count, 4);
  EXPECT_FALSE(plain.assignments.has_value());

  t.assignments.emplace();
  t.assignments->push_back({{1, 2}, {}});
  auto manual = to_create_partitions_topic(t);
  ASSERT_TRUE(manual.assignments.has_value());
  EXPECT_EQ(*manual.assignments, (std::vector<std::vector<int32_t>>{{1, 2}}));

  metadata::ItemResult bad{"orders", ErrorCode::kInvalidPartitions, "Topic already has 4 partition(s)."};
  auto out = to_wire(bad);
  EXPECT_EQ(out.error_code, wire(ErrorCode::kInvalidPartitions));
  EXPECT_EQ(out.error_message, "Topic already has 4 partition(s).");
  EXPECT_EQ(to_wire(metadata::ItemResult{"orders", ErrorCode::kNone, ""}).error_message, std::nullopt);
}

}  // namespace
}  // namespace moldau::kafka::admin
