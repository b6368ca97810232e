#include "metadata/broker_config.h"

#include <gtest/gtest.h>

namespace moldau::metadata {
namespace {

// The server.properties Kafka 4.0 ships for a combined node, comments left out.
constexpr const char* kKafkaServerProperties = R"(
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
)";

Result<BrokerConfig> parse(std::string_view text, std::vector<PropertyEntry> overrides = {}) {
  auto entries = parse_properties(text);
  EXPECT_TRUE(entries.ok());
  return parse_broker_config(entries.value(), overrides);
}

TEST(BrokerConfig, KafkasShippedFileParsesCleanly) {
  auto c = parse(kKafkaServerProperties);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->warnings.empty()) << c->warnings.front();
  EXPECT_EQ(c->node_id, 1);
  ASSERT_EQ(c->listeners.size(), 2u);
  ASSERT_EQ(c->advertised_listeners.size(), 1u);
  EXPECT_EQ(c->advertised_listeners[0], (ListenerSpec{"PLAINTEXT", "localhost", 9092}));
  EXPECT_EQ(c->controller_listener_names, std::vector<std::string>{"CONTROLLER"});
  EXPECT_EQ(c->log_dirs, std::vector<std::string>{"/tmp/kraft-combined-logs"});
  EXPECT_EQ(c->metadata_log_dir, "/tmp/kraft-combined-logs");
  EXPECT_EQ(c->get_long("log.retention.hours"), 168);
  EXPECT_EQ(c->static_values.at("num.partitions"), "1");
}

TEST(BrokerConfig, EmptyFileGivesDeveloperDefaults) {
  auto c = parse("");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->node_id, 1);
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("node.id"), std::string::npos);
  EXPECT_EQ(c->advertised_listeners, (std::vector<ListenerSpec>{{"PLAINTEXT", "", 9092}}));
  EXPECT_EQ(c->log_dirs, std::vector<std::string>{"/tmp/moldau-logs"});
  EXPECT_EQ(c->get_long("num.partitions"), 1);
  EXPECT_EQ(c->get_long("offsets.topic.num.partitions"), 50);
  EXPECT_TRUE(c->get_bool("auto.create.topics.enable"));
  EXPECT_FALSE(c->get_bool(kFlushOnAckBrokerConfig));
  EXPECT_FALSE(c->get("log.retention.ms").has_value());
  EXPECT_FALSE(c->cluster_id.has_value());
}

TEST(BrokerConfig, BadValueNamesKeyValueAllowedAndLine) {
  auto c = parse("node.id=1\nnum.partitions=0\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidConfig);
  const std::string& m = c.error().message;
  EXPECT_NE(m.find("num.partitions"), std::string::npos) << m;
  EXPECT_NE(m.find("Invalid value 0"), std::string::npos) << m;
  EXPECT_NE(m.find("at least 1"), std::string::npos) << m;
  EXPECT_NE(m.find("line 2"), std::string::npos) << m;
}

TEST(BrokerConfig, UnknownKeysWarnWithLine) {
  auto c = parse("node.id=1\nlog.retention.hourz=5\n");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("log.retention.hourz"), std::string::npos);
  EXPECT_NE(c->warnings[0].find("line 2"), std::string::npos);
}

TEST(BrokerConfig, OverridesWinAndAreNamedInErrors) {
  auto c = parse("node.id=1\nnum.partitions=3\n", {{"num.partitions", "6", 0}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->get_long("num.partitions"), 6);
  auto bad = parse("node.id=1\n", {{"num.partitions", "x", 0}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("override"), std::string::npos);
}

TEST(BrokerConfig, RelatedKeysAreChecked) {
  struct Case {
    const char* text;
    const char* fragment;
  } cases[] = {
      {"node.id=1\nbroker.id=2\n", "disagree"},
      {"node.id=1\nprocess.roles=broker\n", "process.roles"},
      {"node.id=1\ncontroller.quorum.voters=1@a:9093,2@b:9093\n", "single controller voter"},
      {"node.id=1\ncontroller.quorum.voters=2@a:9093\n", "single controller voter"},
      {"node.id=1\nlisteners=FOO://:9092\n", "FOO has no entry in listener.security.protocol.map"},
      {"node.id=1\nlisteners=CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n"
       "listener.security.protocol.map=CONTROLLER:PLAINTEXT\n", "no listener for clients"},
      {"node.id=1\nadvertised.listeners=SSL://h:1\n", "not in listeners"},
      {"node.id=1\nlog.dirs=/a,/a\n", "listed twice"},
      {"node.id=1\ncluster.id=abc\n", "cluster.id"},
      {"node.id=1\ndefault.replication.factor=0\n", "default.replication.factor"},
      {"node.id=1\ngroup.min.session.timeout.ms=10\ngroup.max.session.timeout.ms=5\n", "group.min.session"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidConfig);
    EXPECT_NE(r.error().message.find(c.fragment), std::string::npos) << r.error().message;
  }
}

TEST(BrokerConfig, BrokerIdAloneIsTheNodeId) {
  auto c = parse("broker.id=4\ncontroller.quorum.voters=4@localhost:9093\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->node_id, 4);
}

TEST(BrokerConfig, DirectoriesAndClusterId) {
  auto c = parse("node.id=1\nlog.dir=/x\nlog.dirs=/a,/b\nmetadata.log.dir=/m\ncluster.id=AAAAAAAAAAEAAAAAAAAAAQ\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->log_dirs, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(c->metadata_log_dir, "/m");
  EXPECT_EQ(c->cluster_id, "AAAAAAAAAAEAAAAAAAAAAQ");
}

TEST(BrokerConfig, EffectiveValuePrecedence) {
  auto c = parse("node.id=1\nlog.retention.ms=100\n");
  ASSERT_TRUE(c.ok());
  auto image = MetadataImage::empty("c");
  EXPECT_EQ(effective_broker_value(*image, *c, "log.retention.ms"), "100");
  EXPECT_EQ(effective_broker_value(*image, *c, "message.max.bytes"), "1048588");
  ImageBuilder b(image);
  ASSERT_TRUE(b.apply(0, ConfigRecord{ConfigResourceType::kBroker, "", "log.retention.ms", "200"}));
  auto with_default = b.build();
  EXPECT_EQ(effective_broker_value(*with_default, *c, "log.retention.ms"), "200");
  ASSERT_TRUE(b.apply(1, ConfigRecord{ConfigResourceType::kBroker, "1", "log.retention.ms", "300"}));
  ASSERT_TRUE(b.apply(2, ConfigRecord{ConfigResourceType::kBroker, "2", "log.retention.ms", "400"}));
  EXPECT_EQ(effective_broker_value(*b.build(), *c, "log.retention.ms"), "300");
}

}  // namespace
}  // namespace moldau::metadata
