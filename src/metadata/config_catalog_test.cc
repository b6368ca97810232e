#include "metadata/config_catalog.h"

#include <gtest/gtest.h>

#include <set>

namespace moldau::metadata {
namespace {

TEST(ConfigCatalog, TypeAndSourceNumbersAreKafkas) {
  EXPECT_EQ(int(ConfigType::kBoolean), 1);
  EXPECT_EQ(int(ConfigType::kString), 2);
  EXPECT_EQ(int(ConfigType::kInt), 3);
  EXPECT_EQ(int(ConfigType::kShort), 4);
  EXPECT_EQ(int(ConfigType::kLong), 5);
  EXPECT_EQ(int(ConfigType::kDouble), 6);
  EXPECT_EQ(int(ConfigType::kList), 7);
  EXPECT_EQ(int(ConfigType::kClass), 8);
  EXPECT_EQ(int(ConfigType::kPassword), 9);
  EXPECT_EQ(int(ConfigSource::kDynamicTopic), 1);
  EXPECT_EQ(int(ConfigSource::kDynamicBroker), 2);
  EXPECT_EQ(int(ConfigSource::kDynamicDefaultBroker), 3);
  EXPECT_EQ(int(ConfigSource::kStaticBroker), 4);
  EXPECT_EQ(int(ConfigSource::kDefault), 5);
}

TEST(ConfigCatalog, HasEveryKafkaTopicConfig) {
  for (const char* name :
       {"cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type",
        "compression.zstd.level", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
        "follower.replication.throttled.replicas", "index.interval.bytes",
        "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
        "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable",
        "message.timestamp.after.max.ms", "message.timestamp.before.max.ms", "message.timestamp.type",
        "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
        "remote.log.copy.disable", "remote.log.delete.on.disable", "remote.storage.enable",
        "retention.bytes", "retention.ms", "segment.bytes", "segment.index.bytes", "segment.jitter.ms",
        "segment.ms", "unclean.leader.election.enable"}) {
    EXPECT_NE(find_topic_config(name), nullptr) << name;
  }
  EXPECT_EQ(find_topic_config("message.format.version"), nullptr) << "removed in Kafka 4.0";
}

TEST(ConfigCatalog, DefaultsAreValidAndCanonical) {
  for (const auto* defs : {&topic_config_defs(), &broker_config_defs()}) {
    std::set<std::string> names;
    for (const ConfigDef& d : *defs) {
      EXPECT_TRUE(names.insert(d.name).second) << "duplicate " << d.name;
      EXPECT_FALSE(d.doc.empty()) << d.name;
      if (!d.default_value) continue;
      auto v = validate_config_value(d, *d.default_value);
      ASSERT_TRUE(v.ok()) << d.name << ": " << v.error().message;
      EXPECT_EQ(v.value(), *d.default_value) << d.name;
    }
  }
}

TEST(ConfigCatalog, SynonymsAreBrokerConfigsOfTheSameMeaning) {
  for (const ConfigDef& t : topic_config_defs()) {
    for (const BrokerSynonym& s : t.synonyms) {
      const ConfigDef* b = find_broker_config(s.name);
      ASSERT_NE(b, nullptr) << t.name << " <- " << s.name;
      if (s.factor == 1 && b->default_value && t.default_value) {
        EXPECT_EQ(*b->default_value, *t.default_value) << t.name << " <- " << s.name;
      }
    }
    // The first synonym is the one that may change at run time, as in Kafka.
    if (!t.synonyms.empty()) EXPECT_TRUE(find_broker_config(t.synonyms[0].name)->dynamic) << t.name;
  }
  const ConfigDef* retention = find_topic_config("retention.ms");
  ASSERT_EQ(retention->synonyms.size(), 3u);
  EXPECT_EQ(retention->synonyms[0].name, "log.retention.ms");
  EXPECT_EQ(retention->synonyms[1].name, "log.retention.minutes");
  EXPECT_EQ(retention->synonyms[1].factor, 60000);
  EXPECT_EQ(retention->synonyms[2].name, "log.retention.hours");
  EXPECT_EQ(retention->synonyms[2].factor, 3600000);
  EXPECT_EQ(find_topic_config("max.message.bytes")->synonyms[0].name, "message.max.bytes");
  EXPECT_EQ(find_topic_config("segment.ms")->synonyms[1].name, "log.roll.hours");
}

TEST(ConfigCatalog, DynamicAndReadOnlyBrokerConfigs) {
  EXPECT_TRUE(find_broker_config("log.retention.ms")->dynamic);
  EXPECT_TRUE(find_broker_config("message.max.bytes")->dynamic);
  EXPECT_TRUE(find_broker_config(kFlushOnAckBrokerConfig)->dynamic);
  EXPECT_FALSE(find_broker_config("log.retention.hours")->dynamic);
  EXPECT_FALSE(find_broker_config("num.partitions")->dynamic);
  EXPECT_FALSE(find_broker_config("node.id")->dynamic);
  EXPECT_FALSE(find_broker_config("log.retention.check.interval.ms")->dynamic);
}

std::string bad(const char* name, const char* value) {
  const ConfigDef* d = find_topic_config(name);
  if (!d) d = find_broker_config(name);
  auto v = validate_config_value(*d, value);
  EXPECT_FALSE(v.ok()) << name << "=" << value;
  if (v.ok()) return "";
  EXPECT_EQ(v.error().code, ErrorCode::kInvalidConfig);
  EXPECT_NE(v.error().message.find(name), std::string::npos) << v.error().message;
  EXPECT_NE(v.error().message.find(value), std::string::npos) << v.error().message;
  return v.error().message;
}

std::string good(const char* name, const char* value) {
  const ConfigDef* d = find_topic_config(name);
  if (!d) d = find_broker_config(name);
  auto v = validate_config_value(*d, value);
  EXPECT_TRUE(v.ok()) << name << "=" << value << ": " << (v.ok() ? "" : v.error().message);
  return v.ok() ? v.value() : "";
}

TEST(ConfigCatalog, Validation) {
  EXPECT_NE(bad("retention.ms", "-2").find("Value must be at least -1"), std::string::npos);
  EXPECT_NE(bad("retention.ms", "1h").find("Not a number of type LONG"), std::string::npos);
  EXPECT_NE(bad("segment.bytes", "4294967296").find("Not a number of type INT"), std::string::npos);
  EXPECT_NE(bad("offsets.topic.replication.factor", "40000").find("SHORT"), std::string::npos);
  EXPECT_NE(bad("min.cleanable.dirty.ratio", "1.5").find("no more than 1"), std::string::npos);
  bad("min.cleanable.dirty.ratio", "NaN");
  bad("min.cleanable.dirty.ratio", "0x1p-1");
  EXPECT_NE(bad("compression.lz4.level", "18").find("no more than 17"), std::string::npos);
  bad("compression.gzip.level", "0");
  EXPECT_NE(bad("message.timestamp.type", "createtime").find("CreateTime, LogAppendTime"), std::string::npos);
  bad("cleanup.policy", "delete,shred");
  bad("unclean.leader.election.enable", "yes");
  bad("leader.replication.throttled.replicas", "0:1,x");
  bad("listeners", "PLAINTEXT:9092");
  bad("listeners", "A://:1,A://:2");
  bad("listener.security.protocol.map", "A:TLS");
  bad("controller.quorum.voters", "1@host");

  EXPECT_EQ(good("retention.ms", " +1000 "), "1000");
  EXPECT_EQ(good("preallocate", "TRUE"), "true");
  EXPECT_EQ(good("min.cleanable.dirty.ratio", "1"), "1.0");
  EXPECT_EQ(good("min.cleanable.dirty.ratio", "0.25"), "0.25");
  EXPECT_EQ(good("cleanup.policy", " compact , delete "), "compact,delete");
  EXPECT_EQ(good("cleanup.policy", ""), "");
  EXPECT_EQ(good("compression.gzip.level", "-1"), "-1");
  EXPECT_EQ(good("leader.replication.throttled.replicas", "*"), "*");
  EXPECT_EQ(good("leader.replication.throttled.replicas", "0:1, 1:2"), "0:1,1:2");
  EXPECT_EQ(good("compression.type", " zstd"), "zstd");
  EXPECT_EQ(good("retention.bytes", "-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(good("listeners", "PLAINTEXT://:9092,CONTROLLER://[::1]:9093"), "PLAINTEXT://:9092,CONTROLLER://[::1]:9093");
}

TEST(ConfigCatalog, ListHelpers) {
  EXPECT_EQ(config_as_list("a, b,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(config_as_list("  ").empty());
  EXPECT_EQ(join_list({"a", "b"}), "a,b");
  EXPECT_EQ(config_as_long("9223372036854775807"), INT64_MAX);
  EXPECT_DOUBLE_EQ(config_as_double("0.5"), 0.5);
}

}  // namespace
}  // namespace moldau::metadata
