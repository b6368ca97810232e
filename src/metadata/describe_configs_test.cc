#include "metadata/describe_configs.h"

#include <gtest/gtest.h>

namespace moldau::metadata {
namespace {

BrokerConfig config(std::vector<PropertyEntry> entries = {}) {
  entries.insert(entries.begin(), PropertyEntry{"node.id", "1", 1});
  auto c = parse_broker_config(entries);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.value();
}

ImagePtr image_with(std::vector<ConfigRecord> records) {
  ImageBuilder b(MetadataImage::empty("c"));
  int64_t offset = 0;
  for (auto& r : records) EXPECT_TRUE(b.apply(offset++, r));
  return b.build();
}

const DescribedConfig& find(const std::vector<DescribedConfig>& all, std::string_view name) {
  for (const auto& c : all) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no config " << name;
  static DescribedConfig none;
  return none;
}

DescribeOptions with_synonyms() {
  DescribeOptions o;
  o.include_synonyms = true;
  return o;
}

using Syn = ConfigSynonymInfo;

TEST(DescribeTopic, DefaultsCarryTheBrokerDefaultSynonym) {
  auto c = config();
  auto all = describe_topic_configs({}, *MetadataImage::empty("c"), c, with_synonyms());
  EXPECT_EQ(all.size(), topic_config_defs().size());
  const auto& seg = find(all, "segment.bytes");
  EXPECT_EQ(seg.value, "1073741824");
  EXPECT_EQ(seg.source, ConfigSource::kDefault);
  EXPECT_FALSE(seg.read_only);
  EXPECT_FALSE(seg.sensitive);
  EXPECT_EQ(seg.type, ConfigType::kInt);
  EXPECT_EQ(seg.synonyms, (std::vector<Syn>{{"log.segment.bytes", "1073741824", ConfigSource::kDefault}}));
  EXPECT_FALSE(seg.documentation.has_value());
  // No broker synonym at all.
  const auto& remote = find(all, "remote.storage.enable");
  EXPECT_EQ(remote.value, "false");
  EXPECT_TRUE(remote.synonyms.empty());
}

TEST(DescribeTopic, RetentionSynonymsFollowKafkasRules) {
  // Nothing set: log.retention.ms has no default, so Kafka's synonym list,
  // which starts at log.retention.ms, is empty.
  auto plain = describe_topic_configs({}, *MetadataImage::empty("c"), config(), with_synonyms());
  EXPECT_EQ(find(plain, "retention.ms").value, "604800000");
  EXPECT_TRUE(find(plain, "retention.ms").synonyms.empty());

  // log.retention.hours in server.properties: the value follows it.
  auto hours = describe_topic_configs({}, *MetadataImage::empty("c"), config({{"log.retention.hours", "24", 2}}),
                                      with_synonyms());
  EXPECT_EQ(find(hours, "retention.ms").value, "86400000");
  auto minutes = describe_topic_configs({}, *MetadataImage::empty("c"),
                                        config({{"log.retention.minutes", "2", 2}, {"log.retention.hours", "24", 3}}),
                                        with_synonyms());
  EXPECT_EQ(find(minutes, "retention.ms").value, "120000");
  auto forever = describe_topic_configs({}, *MetadataImage::empty("c"), config({{"log.retention.hours", "-1", 2}}),
                                        with_synonyms());
  EXPECT_EQ(find(forever, "retention.ms").value, "-1");

  // Every layer set: topic, dynamic default, static, then the default of
  // log.retention.hours.
  auto c = config({{"log.retention.ms", "1000", 2}});
  auto image = image_with({{ConfigResourceType::kBroker, "", "log.retention.ms", "2000"}});
  auto all = describe_topic_configs({{"retention.ms", "3000"}}, *image, c, with_synonyms());
  const auto& r = find(all, "retention.ms");
  EXPECT_EQ(r.value, "3000");
  EXPECT_EQ(r.source, ConfigSource::kDynamicTopic);
  EXPECT_EQ(r.synonyms, (std::vector<Syn>{{"retention.ms", "3000", ConfigSource::kDynamicTopic},
                                          {"log.retention.ms", "2000", ConfigSource::kDynamicDefaultBroker},
                                          {"log.retention.ms", "1000", ConfigSource::kStaticBroker},
                                          {"log.retention.hours", "168", ConfigSource::kDefault}}));
  auto no_topic = describe_topic_configs({}, *image, c, with_synonyms());
  EXPECT_EQ(find(no_topic, "retention.ms").value, "2000");
  EXPECT_EQ(find(no_topic, "retention.ms").source, ConfigSource::kDynamicDefaultBroker);
}

TEST(DescribeTopic, PerBrokerDynamicBeatsClusterDefault) {
  auto image = image_with({{ConfigResourceType::kBroker, "", "message.max.bytes", "100"},
                           {ConfigResourceType::kBroker, "1", "message.max.bytes", "200"},
                           {ConfigResourceType::kBroker, "2", "message.max.bytes", "300"}});
  auto all = describe_topic_configs({}, *image, config(), with_synonyms());
  const auto& m = find(all, "max.message.bytes");
  EXPECT_EQ(m.value, "200");
  EXPECT_EQ(m.source, ConfigSource::kDynamicBroker);
  EXPECT_EQ(m.synonyms.size(), 3u);  // broker 1, cluster default, catalog default
}

TEST(DescribeTopic, KeysDocumentationAndNoSynonymsByDefault) {
  std::vector<std::string> keys = {"cleanup.policy", "no.such.key"};
  DescribeOptions o;
  o.keys = &keys;
  o.include_documentation = true;
  auto all = describe_topic_configs({{"cleanup.policy", "compact"}}, *MetadataImage::empty("c"), config(), o);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].value, "compact");
  EXPECT_EQ(all[0].source, ConfigSource::kDynamicTopic);
  EXPECT_TRUE(all[0].synonyms.empty());
  ASSERT_TRUE(all[0].documentation.has_value());
  EXPECT_FALSE(all[0].documentation->empty());
}

TEST(EffectiveTopicConfig, ResolvesEveryKey) {
  auto c = config({{"log.roll.hours", "1", 2}, {"log.flush.scheduler.interval.ms", "500", 3}});
  auto all = effective_topic_configs({{"cleanup.policy", "compact"}}, *MetadataImage::empty("c"), c);
  EXPECT_EQ(all.size(), topic_config_defs().size());
  EXPECT_EQ(all.at("segment.ms"), "3600000");
  EXPECT_EQ(all.at("flush.ms"), "500");
  EXPECT_EQ(all.at("cleanup.policy"), "compact");
  EXPECT_EQ(all.at(kFlushOnAckTopicConfig), "false");
  auto image = image_with({{ConfigResourceType::kBroker, "", kFlushOnAckBrokerConfig, "true"}});
  EXPECT_EQ(effective_topic_value(kFlushOnAckTopicConfig, {}, *image, c), "true");
  EXPECT_FALSE(effective_topic_value("nope", {}, *image, c).has_value());
}

TEST(DescribeBroker, ThisBrokerListsEverything) {
  auto c = config({{"log.retention.ms", "1000", 2}});
  auto image = image_with({{ConfigResourceType::kBroker, "1", "log.retention.ms", "5000"}});
  auto all = describe_broker_configs("1", *image, c, with_synonyms());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), broker_config_defs().size());
  const auto& ms = find(*all, "log.retention.ms");
  EXPECT_EQ(ms.value, "5000");
  EXPECT_EQ(ms.source, ConfigSource::kDynamicBroker);
  EXPECT_FALSE(ms.read_only);
  EXPECT_EQ(ms.synonyms, (std::vector<Syn>{{"log.retention.ms", "5000", ConfigSource::kDynamicBroker},
                                           {"log.retention.ms", "1000", ConfigSource::kStaticBroker},
                                           {"log.retention.hours", "168", ConfigSource::kDefault}}));
  const auto& hours = find(*all, "log.retention.hours");
  EXPECT_TRUE(hours.read_only);
  EXPECT_EQ(hours.synonyms, (std::vector<Syn>{{"log.retention.hours", "168", ConfigSource::kDefault}}));
  const auto& node = find(*all, "node.id");
  EXPECT_EQ(node.value, "1");
  EXPECT_EQ(node.source, ConfigSource::kStaticBroker);
  const auto& unset = find(*all, "advertised.listeners");
  EXPECT_FALSE(unset.value.has_value());
  EXPECT_EQ(unset.source, ConfigSource::kDefault);
}

TEST(DescribeBroker, ClusterDefaultListsOnlyDynamicDefaults) {
  auto image = image_with({{ConfigResourceType::kBroker, "", "log.retention.ms", "7"},
                           {ConfigResourceType::kBroker, "1", "message.max.bytes", "9"}});
  auto all = describe_broker_configs("", *image, config({{"log.retention.ms", "1", 2}}), with_synonyms());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "log.retention.ms");
  EXPECT_EQ((*all)[0].value, "7");
  EXPECT_EQ((*all)[0].source, ConfigSource::kDynamicDefaultBroker);
  EXPECT_EQ((*all)[0].synonyms, (std::vector<Syn>{{"log.retention.ms", "7", ConfigSource::kDynamicDefaultBroker}}));
}

TEST(DescribeBroker, OtherOrMalformedBrokerIsInvalidRequest) {
  auto image = MetadataImage::empty("c");
  for (const char* name : {"2", "x", "-1", "1x"}) {
    auto r = describe_broker_configs(name, *image, config(), {});
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  }
}

}  // namespace
}  // namespace moldau::metadata
