// Broker::topic_settings: the produce path's per-topic settings, cached per
// metadata image and recomputed after any config change.
#include <gtest/gtest.h>

#include "kafka/broker.h"
#include "metadata/controller_test_util.h"
#include "storage/log_manager.h"

namespace moldau::kafka {
namespace {

using metadata::AlterConfigOp;
using metadata::AlterConfigsResult;
using metadata::ConfigResource;
using metadata::ConfigResourceType;
using metadata::testing::ControllerHarness;

class TopicSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(h.create_one("t").error, ErrorCode::kNone); }

  void set(ConfigResource res, std::string key, std::optional<std::string> value) {
    AlterConfigOp op = value ? AlterConfigOp::kSet : AlterConfigOp::kDelete;
    auto r = h.call<AlterConfigsResult>([&](auto done) {
      h.controller().incremental_alter_configs({{std::move(res), {{std::move(key), op, std::move(value)}}}}, false,
                                               done);
    });
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].error, ErrorCode::kNone) << r[0].message;
  }
  static ConfigResource topic(std::string name) { return {ConfigResourceType::kTopic, std::move(name)}; }

  ControllerHarness h;
  metadata::testing::TempDir logs_dir;
  asio::io_context io;
  storage::LogManager logs{{logs_dir.path()}, storage::LogConfig{}, [](std::function<void()> f) { f(); }};
  Broker broker{io, h.config(), h.controller(), logs};
};

TEST_F(TopicSettingsTest, DefaultsMatchTheCatalog) {
  const TopicSettings& s = broker.topic_settings("t");
  EXPECT_EQ(s.max_message_bytes, 1048588);
  EXPECT_FALSE(s.log_append_time);
  EXPECT_FALSE(s.target_compression.has_value()) << "compression.type=producer keeps the client's codec";
  EXPECT_FALSE(s.require_key);
  EXPECT_FALSE(s.log_config.fsync_on_ack);
  EXPECT_EQ(&broker.topic_settings("t"), &s) << "same image: served from the cache";
}

TEST_F(TopicSettingsTest, TopicOverrideIsSeenAfterAlterConfigs) {
  EXPECT_EQ(broker.topic_settings("t").max_message_bytes, 1048588);
  set(topic("t"), "max.message.bytes", "1000");
  EXPECT_EQ(broker.topic_settings("t").max_message_bytes, 1000);
  set(topic("t"), "cleanup.policy", "compact");
  set(topic("t"), "message.timestamp.type", "LogAppendTime");
  set(topic("t"), "compression.type", "zstd");
  set(topic("t"), "retention.ms", "5000");
  const TopicSettings& s = broker.topic_settings("t");
  EXPECT_EQ(s.max_message_bytes, 1000);
  EXPECT_TRUE(s.require_key);
  EXPECT_TRUE(s.log_append_time);
  EXPECT_EQ(s.target_compression, protocol::Compression::kZstd);
  EXPECT_EQ(s.log_config.retention_ms, 5000);
  EXPECT_EQ(broker.log_config_for("t").retention_ms, 5000);
  set(topic("t"), "max.message.bytes", std::nullopt);
  EXPECT_EQ(broker.topic_settings("t").max_message_bytes, 1048588) << "deleting the override restores the default";
}

TEST_F(TopicSettingsTest, DynamicBrokerDefaultIsSeen) {
  EXPECT_EQ(broker.topic_settings("t").max_message_bytes, 1048588);
  set({ConfigResourceType::kBroker, ""}, "message.max.bytes", "2000");
  EXPECT_EQ(broker.topic_settings("t").max_message_bytes, 2000);
}

TEST_F(TopicSettingsTest, TopicsCreatedLaterAndUnknownTopics) {
  EXPECT_EQ(broker.topic_settings("later").max_message_bytes, 1048588) << "unknown topic: the defaults";
  ASSERT_EQ(h.create_one("later", -1, -1, {{"max.message.bytes", "777"}}).error, ErrorCode::kNone);
  EXPECT_EQ(broker.topic_settings("later").max_message_bytes, 777);
  EXPECT_EQ(broker.topic_settings("t").max_message_bytes, 1048588);
}

}  // namespace
}  // namespace moldau::kafka
