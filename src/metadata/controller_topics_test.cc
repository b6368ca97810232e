#include <gtest/gtest.h>

#include "metadata/controller.h"
#include "metadata/controller_test_util.h"

namespace moldau::metadata {
namespace {

using testing::ControllerHarness;

void expect_error(const CreateTopicResult& r, ErrorCode code, std::string_view fragment) {
  EXPECT_EQ(r.error, code) << r.name << ": " << error_name(r.error) << " " << r.message;
  EXPECT_NE(r.message.find(fragment), std::string::npos) << r.message;
}

TEST(TopicName, Rules) {
  EXPECT_TRUE(validate_topic_name("orders.v1_EU-2").ok());
  EXPECT_TRUE(validate_topic_name(std::string(249, 'a')).ok());
  for (std::string bad : {std::string(), std::string("."), std::string(".."), std::string(250, 'a'),
                          std::string("a b"), std::string("a/b"), std::string("ü")}) {
    Status s = validate_topic_name(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidTopicException);
  }
}

TEST(ControllerTopics, StartRegistersBrokerOnce) {
  ControllerHarness h;
  const BrokerRegistration* b = h.image()->broker(1);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->endpoints.size(), 1u);
  EXPECT_EQ(b->endpoints[0].host, "localhost");
  EXPECT_EQ(b->endpoints[0].port, 9092);
  int64_t offset = h.image()->last_offset();
  h.restart();
  EXPECT_EQ(h.image()->last_offset(), offset) << "same registration is not written again";
}

TEST(ControllerTopics, CreateWithDefaults) {
  ControllerHarness h({{"num.partitions", "3", 2}});
  std::vector<std::pair<ImagePtr, ImagePtr>> changes;
  h.controller().on_change([&](const ImagePtr& o, const ImagePtr& n, const CommittedBatch&) { changes.push_back({o, n}); });
  auto r = h.create_one("orders");
  ASSERT_EQ(r.error, ErrorCode::kNone) << r.message;
  EXPECT_EQ(r.num_partitions, 3);
  EXPECT_EQ(r.replication_factor, 1);
  EXPECT_FALSE(r.topic_id.is_zero());
  EXPECT_FALSE(r.configs.empty());
  const TopicImage* t = h.image()->topic("orders");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->id, r.topic_id);
  ASSERT_EQ(t->partitions.size(), 3u);
  EXPECT_EQ(t->partitions[2].replicas, std::vector<int32_t>{1});
  EXPECT_EQ(t->partitions[2].leader, 1);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].first->topic("orders"), nullptr);
  EXPECT_NE(changes[0].second->topic("orders"), nullptr);
}

TEST(ControllerTopics, CreateWithConfigsStoresCanonicalOverrides) {
  ControllerHarness h;
  auto r = h.create_one("t", 1, 1, {{"retention.ms", " 1000 "}, {"cleanup.policy", "compact , delete"}});
  ASSERT_EQ(r.error, ErrorCode::kNone) << r.message;
  const TopicImage* t = h.image()->topic("t");
  EXPECT_EQ(t->configs.at("retention.ms"), "1000");
  EXPECT_EQ(t->configs.at("cleanup.policy"), "compact,delete");
  auto it = std::find_if(r.configs.begin(), r.configs.end(), [](const DescribedConfig& c) { return c.name == "retention.ms"; });
  ASSERT_NE(it, r.configs.end());
  EXPECT_EQ(it->value, "1000");
  EXPECT_EQ(it->source, ConfigSource::kDynamicTopic);
}

TEST(ControllerTopics, ValidateOnlyWritesNothing) {
  ControllerHarness h;
  int64_t before = h.image()->last_offset();
  CreatableTopic t;
  t.name = "v";
  auto r = h.create({t}, true);
  ASSERT_EQ(r[0].error, ErrorCode::kNone);
  EXPECT_TRUE(r[0].topic_id.is_zero());
  EXPECT_EQ(h.image()->topic("v"), nullptr);
  EXPECT_EQ(h.image()->last_offset(), before);
}

TEST(ControllerTopics, InvalidNames) {
  ControllerHarness h;
  expect_error(h.create_one(""), ErrorCode::kInvalidTopicException, "empty");
  expect_error(h.create_one(".."), ErrorCode::kInvalidTopicException, "\"..\"");
  expect_error(h.create_one(std::string(250, 'x')), ErrorCode::kInvalidTopicException, "249");
  expect_error(h.create_one("bad name"), ErrorCode::kInvalidTopicException, "ASCII alphanumerics");
}

TEST(ControllerTopics, AlreadyExistsAndCollisions) {
  ControllerHarness h;
  ASSERT_EQ(h.create_one("a.b").error, ErrorCode::kNone);
  expect_error(h.create_one("a.b"), ErrorCode::kTopicAlreadyExists, "already exists");
  expect_error(h.create_one("a_b"), ErrorCode::kInvalidTopicException, "collides with existing topic: a.b");
  CreatableTopic x, y;
  x.name = "c.d";
  y.name = "c_d";
  auto r = h.create({x, y});
  EXPECT_EQ(r[0].error, ErrorCode::kNone);
  expect_error(r[1], ErrorCode::kInvalidTopicException, "collides");
}

TEST(ControllerTopics, DuplicateInRequest) {
  ControllerHarness h;
  CreatableTopic t;
  t.name = "dup";
  CreatableTopic other;
  other.name = "fine";
  auto r = h.create({t, other, t});
  expect_error(r[0], ErrorCode::kInvalidRequest, "Duplicate");
  EXPECT_EQ(r[1].error, ErrorCode::kNone);
  expect_error(r[2], ErrorCode::kInvalidRequest, "Duplicate");
  EXPECT_EQ(h.image()->topic("dup"), nullptr);
}

TEST(ControllerTopics, InvalidCounts) {
  ControllerHarness h;
  expect_error(h.create_one("p0", 0), ErrorCode::kInvalidPartitions, "non-positive");
  expect_error(h.create_one("p-2", -2), ErrorCode::kInvalidPartitions, "non-positive");
  expect_error(h.create_one("huge", kMaxPartitionsPerRequest + 1), ErrorCode::kInvalidPartitions, "limit");
  expect_error(h.create_one("rf0", 1, 0), ErrorCode::kInvalidReplicationFactor, "larger than 0");
  expect_error(h.create_one("rf2", 1, 2), ErrorCode::kInvalidReplicationFactor, "only 1 broker(s)");
}

TEST(ControllerTopics, ReplicationAcrossRegisteredBrokers) {
  ControllerHarness h;
  h.add_broker(2);
  h.add_broker(3);
  auto r = h.create_one("rep", 3, 3);
  ASSERT_EQ(r.error, ErrorCode::kNone) << r.message;
  const TopicImage* t = h.image()->topic("rep");
  std::set<int32_t> leaders;
  for (const auto& p : t->partitions) {
    EXPECT_EQ(p.replicas.size(), 3u);
    EXPECT_EQ(std::set<int32_t>(p.replicas.begin(), p.replicas.end()).size(), 3u);
    EXPECT_EQ(p.isr, p.replicas);
    leaders.insert(p.leader);
  }
  EXPECT_EQ(leaders.size(), 3u) << "leaders spread over the brokers";
}

TEST(ControllerTopics, ManualAssignment) {
  ControllerHarness h;
  h.add_broker(2);
  CreatableTopic t;
  t.name = "manual";
  t.assignments = {{0, {2, 1}}, {1, {1, 2}}};
  auto r = h.create({t});
  ASSERT_EQ(r[0].error, ErrorCode::kNone) << r[0].message;
  EXPECT_EQ(r[0].num_partitions, 2);
  EXPECT_EQ(r[0].replication_factor, 2);
  EXPECT_EQ(h.image()->partition("manual", 0)->leader, 2);

  auto bad = [&](std::map<int32_t, std::vector<int32_t>> a, int32_t partitions, ErrorCode code,
                 std::string_view fragment) {
    CreatableTopic x;
    x.name = "bad";
    x.assignments = std::move(a);
    x.num_partitions = partitions;
    expect_error(h.create({x})[0], code, fragment);
  };
  bad({{0, {1}}}, 1, ErrorCode::kInvalidRequest, "numPartitions or replicationFactor");
  bad({{0, {1, 7}}}, -1, ErrorCode::kInvalidReplicaAssignment, "broker 7");
  bad({{0, {1, 1}}}, -1, ErrorCode::kInvalidReplicaAssignment, "more than once");
  bad({{0, {}}}, -1, ErrorCode::kInvalidReplicaAssignment, "empty replica list");
  bad({{1, {1}}}, -1, ErrorCode::kInvalidReplicaAssignment, "expected 0");
  bad({{0, {1}}, {1, {1, 2}}}, -1, ErrorCode::kInvalidReplicaAssignment, "not consistent");
}

TEST(ControllerTopics, InvalidConfigs) {
  ControllerHarness h;
  expect_error(h.create_one("c1", 1, 1, {{"no.such.config", "1"}}), ErrorCode::kInvalidConfig,
               "Unknown topic config name: no.such.config");
  expect_error(h.create_one("c2", 1, 1, {{"retention.ms", "-5"}}), ErrorCode::kInvalidConfig,
               "Invalid value -5 for configuration retention.ms: Value must be at least -1");
  expect_error(h.create_one("c3", 1, 1, {{"cleanup.policy", "shred"}}), ErrorCode::kInvalidConfig,
               "String must be one of: compact, delete");
  expect_error(h.create_one("c4", 1, 1, {{"compression.type", "brotli"}}), ErrorCode::kInvalidConfig,
               "brotli");
  expect_error(h.create_one("c5", 1, 1, {{"segment.bytes", "1000"}}), ErrorCode::kInvalidConfig,
               "at least 1048576");
  expect_error(h.create_one("c6", 1, 1, {{"retention.ms", std::nullopt}}), ErrorCode::kInvalidConfig, "Null value");
  expect_error(h.create_one("c7", 1, 1, {{"min.compaction.lag.ms", "10"}, {"max.compaction.lag.ms", "5"}}),
               ErrorCode::kInvalidConfig, "min.compaction.lag.ms (10) > max.compaction.lag.ms (5)");
  expect_error(h.create_one("c8", 1, 1, {{"remote.storage.enable", "true"}}), ErrorCode::kInvalidConfig,
               "tiered storage");
  expect_error(h.create_one("c9", 1, 1, {{"preallocate", "yes"}}), ErrorCode::kInvalidConfig, "true or false");
  expect_error(h.create_one("c10", 1, 1, {{"retention.ms", "1"}, {"retention.ms", "2"}}), ErrorCode::kInvalidRequest,
               "Duplicate");
  EXPECT_TRUE(h.image()->topics().empty());
}

TEST(ControllerTopics, DeleteByNameAndId) {
  ControllerHarness h;
  auto a = h.create_one("a");
  auto b = h.create_one("b");
  std::vector<std::string> removed;
  h.controller().on_change([&](const ImagePtr& o, const ImagePtr& n, const CommittedBatch&) {
    for (const auto& [name, t] : o->topics()) {
      if (!n->topic(t->id)) removed.push_back(name);
    }
  });
  TopicRef by_name{std::string("a"), {}};
  TopicRef by_id{std::nullopt, b.topic_id};
  auto r = h.remove({by_name, by_id});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, ErrorCode::kNone);
  EXPECT_EQ(r[0].topic_id, a.topic_id);
  EXPECT_EQ(r[1].error, ErrorCode::kNone);
  EXPECT_EQ(r[1].name, "b");
  EXPECT_TRUE(h.image()->topics().empty());
  EXPECT_EQ(removed, (std::vector<std::string>{"a", "b"}));
}

TEST(ControllerTopics, DeleteErrors) {
  ControllerHarness h;
  auto a = h.create_one("a");
  auto r = h.remove({TopicRef{std::string("nope"), {}}, TopicRef{std::nullopt, TopicId::from_halves(9, 9)},
                     TopicRef{std::string("a"), a.topic_id}, TopicRef{std::nullopt, {}}});
  EXPECT_EQ(r[0].error, ErrorCode::kUnknownTopicOrPartition);
  EXPECT_EQ(r[1].error, ErrorCode::kUnknownTopicId);
  EXPECT_EQ(r[2].error, ErrorCode::kInvalidRequest);
  EXPECT_EQ(r[3].error, ErrorCode::kInvalidRequest);
  auto dup = h.remove({TopicRef{std::string("a"), {}}, TopicRef{std::nullopt, a.topic_id}});
  EXPECT_EQ(dup[0].error, ErrorCode::kInvalidRequest);
  EXPECT_EQ(dup[1].error, ErrorCode::kInvalidRequest);
  EXPECT_NE(h.image()->topic("a"), nullptr);
}

TEST(ControllerTopics, DeleteDisabled) {
  ControllerHarness h({{"delete.topic.enable", "false", 2}});
  h.create_one("keep");
  auto r = h.remove({TopicRef{std::string("keep"), {}}});
  EXPECT_EQ(r[0].error, ErrorCode::kTopicDeletionDisabled);
  EXPECT_NE(h.image()->topic("keep"), nullptr);
}

TEST(ControllerTopics, RecreateAfterDeleteGetsNewId) {
  ControllerHarness h;
  auto first = h.create_one("t");
  h.remove({TopicRef{std::string("t"), {}}});
  auto second = h.create_one("t");
  ASSERT_EQ(second.error, ErrorCode::kNone);
  EXPECT_NE(first.topic_id, second.topic_id);
}

TEST(ControllerTopics, CreatePartitions) {
  ControllerHarness h;
  h.create_one("t", 2);
  auto grow = [&](std::vector<CreatePartitionsTopic> topics, bool validate_only = false) {
    return h.call<ItemResult>([&](auto done) { h.controller().create_partitions(topics, validate_only, done); });
  };
  auto r = grow({{"t", 4, std::nullopt}});
  ASSERT_EQ(r[0].error, ErrorCode::kNone) << r[0].message;
  EXPECT_EQ(h.image()->topic("t")->partitions.size(), 4u);
  EXPECT_EQ(grow({{"t", 6, std::nullopt}}, true)[0].error, ErrorCode::kNone);
  EXPECT_EQ(h.image()->topic("t")->partitions.size(), 4u) << "validate_only";
  auto same = grow({{"t", 4, std::nullopt}});
  EXPECT_EQ(same[0].error, ErrorCode::kInvalidPartitions);
  EXPECT_NE(same[0].message.find("already has 4"), std::string::npos);
  auto fewer = grow({{"t", 2, std::nullopt}});
  EXPECT_EQ(fewer[0].error, ErrorCode::kInvalidPartitions);
  EXPECT_NE(fewer[0].message.find("would not be an increase"), std::string::npos);
  EXPECT_EQ(grow({{"nope", 3, std::nullopt}})[0].error, ErrorCode::kUnknownTopicOrPartition);
  auto wrong_count = grow({{"t", 6, std::vector<std::vector<int32_t>>{{1}}}});
  EXPECT_EQ(wrong_count[0].error, ErrorCode::kInvalidReplicaAssignment);
  auto absent = grow({{"t", 5, std::vector<std::vector<int32_t>>{{4}}}});
  EXPECT_EQ(absent[0].error, ErrorCode::kInvalidReplicaAssignment);
  EXPECT_NE(absent[0].message.find("broker 4"), std::string::npos);
  auto dup = grow({{"t", 5, std::nullopt}, {"t", 6, std::nullopt}});
  EXPECT_EQ(dup[0].error, ErrorCode::kInvalidRequest);
  auto manual = grow({{"t", 5, std::vector<std::vector<int32_t>>{{1}}}});
  EXPECT_EQ(manual[0].error, ErrorCode::kNone) << manual[0].message;
  EXPECT_EQ(h.image()->topic("t")->partitions.size(), 5u);
}

TEST(ControllerTopics, InternalTopics) {
  ControllerHarness h({{"offsets.topic.num.partitions", "5", 2}});
  bool ok = false;
  h.controller().ensure_internal_topic(kConsumerOffsetsTopic, [&](Status s) { ok = s.ok(); });
  ASSERT_TRUE(ok);
  const TopicImage* t = h.image()->topic(kConsumerOffsetsTopic);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->partitions.size(), 5u);
  EXPECT_EQ(t->configs.at("cleanup.policy"), "compact");
  int64_t offset = h.image()->last_offset();
  h.controller().ensure_internal_topic(kConsumerOffsetsTopic, [&](Status s) { ok = s.ok(); });
  EXPECT_TRUE(ok);
  EXPECT_EQ(h.image()->last_offset(), offset);
  h.controller().ensure_internal_topic(kTransactionStateTopic, [&](Status s) { ok = s.ok(); });
  ASSERT_TRUE(ok);
  EXPECT_EQ(h.image()->topic(kTransactionStateTopic)->partitions.size(), 50u);
  EXPECT_EQ(h.image()->topic(kTransactionStateTopic)->configs.at("min.insync.replicas"), "1");
  h.controller().ensure_internal_topic("orders", [&](Status s) { ok = s.ok(); });
  EXPECT_FALSE(ok);
}

TEST(ControllerTopics, InternalTopicNeedsEnoughBrokers) {
  ControllerHarness h({{"offsets.topic.replication.factor", "3", 2}});
  Status result;
  h.controller().ensure_internal_topic(kConsumerOffsetsTopic, [&](Status s) { result = s; });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidReplicationFactor);
}

TEST(ControllerTopics, AutoCreate) {
  ControllerHarness h;
  EXPECT_TRUE(h.controller().auto_create_enabled());
  auto r = h.call<CreateTopicResult>([&](auto done) { h.controller().auto_create_topics({"auto1", "bad name"}, done); });
  EXPECT_EQ(r[0].error, ErrorCode::kNone);
  EXPECT_EQ(r[1].error, ErrorCode::kInvalidTopicException);
  EXPECT_NE(h.image()->topic("auto1"), nullptr);
  ControllerHarness off({{"auto.create.topics.enable", "false", 2}});
  EXPECT_FALSE(off.controller().auto_create_enabled());
}

TEST(ControllerTopics, ListenerMayStartAnotherOperation) {
  ControllerHarness h;
  std::vector<std::pair<size_t, size_t>> seen;  // topic counts of (old, new) per change
  h.controller().on_change([&](const ImagePtr& o, const ImagePtr& n, const CommittedBatch&) {
    seen.push_back({o->topics().size(), n->topics().size()});
    if (n->topic("first") && !n->topic("second")) {
      CreatableTopic t;
      t.name = "second";
      h.controller().create_topics({t}, false, [](std::vector<CreateTopicResult> r) {
        EXPECT_EQ(r[0].error, ErrorCode::kNone);
      });
    }
  });
  ASSERT_EQ(h.create_one("first").error, ErrorCode::kNone);
  EXPECT_NE(h.image()->topic("second"), nullptr);
  // Each listener call sees a consistent pair of images.
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<size_t, size_t>{0, 1}));
  EXPECT_EQ(seen[1], (std::pair<size_t, size_t>{1, 2}));
}

TEST(ControllerTopics, RestartReplaysToTheSameImage) {
  ControllerHarness h;
  h.add_broker(2);
  h.create_one("a", 3, 2, {{"retention.ms", "1234"}});
  h.create_one("b");
  h.remove({TopicRef{std::string("b"), {}}});
  h.create_one("c", 2);
  ImagePtr before = h.image();
  h.restart();
  EXPECT_TRUE(h.image()->same_state(*before));
  EXPECT_EQ(h.image()->topic("a")->configs.at("retention.ms"), "1234");
  EXPECT_EQ(h.image()->topic("b"), nullptr);
  // And the log continues where it stopped.
  ASSERT_EQ(h.create_one("d").error, ErrorCode::kNone);
  EXPECT_EQ(h.image()->last_offset(), before->last_offset() + 2);  // TopicRecord, PartitionRecord
}

}  // namespace
}  // namespace moldau::metadata
