#include "metadata/image.h"

#include <gtest/gtest.h>

namespace moldau::metadata {
namespace {

const TopicId kId = TopicId::from_halves(10, 20);
const TopicId kId2 = TopicId::from_halves(30, 40);

ImagePtr must(Result<ImagePtr> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : nullptr;
}

TEST(Image, EmptyImage) {
  auto img = MetadataImage::empty("cid");
  EXPECT_EQ(img->cluster_id(), "cid");
  EXPECT_EQ(img->last_offset(), -1);
  EXPECT_TRUE(img->topics().empty());
  EXPECT_EQ(img->topic("x"), nullptr);
  EXPECT_TRUE(img->broker_configs("").empty());
}

TEST(Image, ApplyIsPure) {
  auto a = MetadataImage::empty("cid");
  auto b = must(apply(a, 0, TopicRecord{"t", kId}));
  EXPECT_EQ(a->topic("t"), nullptr);
  ASSERT_NE(b->topic("t"), nullptr);
  EXPECT_EQ(b->topic(kId)->name, "t");
  EXPECT_EQ(b->last_offset(), 0);
  auto c = must(apply(b, 1, PartitionRecord{kId, 0, {1}, {1}, 1, 0, 0}));
  EXPECT_TRUE(b->topic("t")->partitions.empty());
  EXPECT_EQ(c->topic("t")->partitions.size(), 1u);
}

TEST(Image, BatchBuildsTopicWithPartitionsAndConfigs) {
  ImageBuilder b(MetadataImage::empty("cid"));
  std::vector<Record> batch = {
      RegisterBrokerRecord{1, {{"PLAINTEXT", "h", 9092, SecurityProtocol::kPlaintext}}, {}},
      TopicRecord{"t", kId},
      ConfigRecord{ConfigResourceType::kTopic, "t", "retention.ms", "5"},
      PartitionRecord{kId, 0, {1}, {1}, 1, 0, 0},
      PartitionRecord{kId, 1, {1}, {1}, 1, 0, 0},
      ConfigRecord{ConfigResourceType::kBroker, "", "log.retention.ms", "7"},
      ProducerIdsRecord{1, 0, 1000},
  };
  ASSERT_TRUE(b.apply_batch(5, batch));
  auto img = b.build();
  EXPECT_EQ(img->last_offset(), 11);
  ASSERT_NE(img->broker(1), nullptr);
  EXPECT_EQ(img->broker(1)->epoch, 5);
  const TopicImage* t = img->topic("t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->partitions.size(), 2u);
  EXPECT_EQ(t->configs.at("retention.ms"), "5");
  EXPECT_EQ(img->broker_configs("").at("log.retention.ms"), "7");
  EXPECT_EQ(img->next_producer_id(), 1000);
  ASSERT_NE(img->partition("t", 1), nullptr);
  EXPECT_EQ(img->partition("t", 2), nullptr);
}

TEST(Image, BuilderDoesNotChangeEarlierBuilds) {
  ImageBuilder b(MetadataImage::empty("cid"));
  ASSERT_TRUE(b.apply(0, TopicRecord{"t", kId}));
  auto first = b.build();
  ASSERT_TRUE(b.apply(1, PartitionRecord{kId, 0, {1}, {1}, 1, 0, 0}));
  auto second = b.build();
  EXPECT_TRUE(first->topic("t")->partitions.empty());
  EXPECT_EQ(second->topic("t")->partitions.size(), 1u);
}

TEST(Image, UntouchedTopicsAreShared) {
  ImageBuilder b(MetadataImage::empty("cid"));
  ASSERT_TRUE(b.apply(0, TopicRecord{"a", kId}));
  ASSERT_TRUE(b.apply(1, TopicRecord{"b", kId2}));
  auto one = b.build();
  auto two = must(apply(one, 2, PartitionRecord{kId2, 0, {1}, {1}, 1, 0, 0}));
  EXPECT_EQ(one->topics().at("a").get(), two->topics().at("a").get());
  EXPECT_NE(one->topics().at("b").get(), two->topics().at("b").get());
}

TEST(Image, PartitionRecordReplacesExistingPartition) {
  ImageBuilder b(MetadataImage::empty("cid"));
  ASSERT_TRUE(b.apply(0, TopicRecord{"t", kId}));
  ASSERT_TRUE(b.apply(1, PartitionRecord{kId, 0, {1, 2}, {1, 2}, 1, 0, 0}));
  ASSERT_TRUE(b.apply(2, PartitionRecord{kId, 0, {1, 2}, {2}, 2, 1, 1}));
  auto img = b.build();
  EXPECT_EQ(img->partition("t", 0)->leader, 2);
  EXPECT_EQ(img->partition("t", 0)->isr, std::vector<int32_t>{2});
}

TEST(Image, RemoveTopicDropsNameIdAndConfigs) {
  ImageBuilder b(MetadataImage::empty("cid"));
  ASSERT_TRUE(b.apply(0, TopicRecord{"t", kId}));
  ASSERT_TRUE(b.apply(1, ConfigRecord{ConfigResourceType::kTopic, "t", "retention.ms", "5"}));
  ASSERT_TRUE(b.apply(2, RemoveTopicRecord{kId}));
  ASSERT_TRUE(b.apply(3, TopicRecord{"t", kId2}));  // same name, new id
  auto img = b.build();
  EXPECT_EQ(img->topic(kId), nullptr);
  ASSERT_NE(img->topic("t"), nullptr);
  EXPECT_EQ(img->topic("t")->id, kId2);
  EXPECT_TRUE(img->topic("t")->configs.empty());
}

TEST(Image, ConfigDeleteRemovesKey) {
  ImageBuilder b(MetadataImage::empty("cid"));
  ASSERT_TRUE(b.apply(0, ConfigRecord{ConfigResourceType::kBroker, "1", "a", "x"}));
  ASSERT_TRUE(b.apply(1, ConfigRecord{ConfigResourceType::kBroker, "1", "a", std::nullopt}));
  ASSERT_TRUE(b.apply(2, ConfigRecord{ConfigResourceType::kBroker, "1", "never-set", std::nullopt}));
  EXPECT_TRUE(b.build()->all_broker_configs().empty());
}

TEST(Image, InconsistentRecordsAreRefused) {
  auto base = must(apply(MetadataImage::empty("cid"), 0, TopicRecord{"t", kId}));
  struct Case {
    Record record;
    const char* why;
  } cases[] = {
      {TopicRecord{"t", kId2}, "already exists"},
      {TopicRecord{"u", kId}, "already used"},
      {TopicRecord{"z", TopicId()}, "zero id"},
      {PartitionRecord{kId2, 0, {}, {}, -1, 0, 0}, "unknown topic id"},
      {PartitionRecord{kId, 1, {}, {}, -1, 0, 0}, "has 0 partitions"},
      {RemoveTopicRecord{kId2}, "unknown topic id"},
      {ConfigRecord{ConfigResourceType::kTopic, "nope", "a", "b"}, "unknown topic"},
      {ConfigRecord{ConfigResourceType(9), "x", "a", "b"}, "resource type"},
      {RegisterBrokerRecord{-5, {}, {}}, "negative"},
  };
  for (const auto& c : cases) {
    auto r = apply(base, 1, c.record);
    ASSERT_FALSE(r.ok()) << to_string(c.record);
    EXPECT_EQ(r.error().code, ErrorCode::kCorruptMessage);
    EXPECT_NE(r.error().message.find(c.why), std::string::npos) << r.error().message;
  }
  auto back = apply(base, 0, RemoveTopicRecord{kId});
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("already at offset 0"), std::string::npos);
  auto pid = must(apply(base, 1, ProducerIdsRecord{1, 0, 5000}));
  EXPECT_FALSE(apply(pid, 2, ProducerIdsRecord{1, 0, 4000}).ok());
}

TEST(Image, SameState) {
  auto a = must(apply(MetadataImage::empty("cid"), 0, TopicRecord{"t", kId}));
  auto b = must(apply(MetadataImage::empty("cid"), 0, TopicRecord{"t", kId}));
  auto c = must(apply(MetadataImage::empty("cid"), 0, TopicRecord{"t", kId2}));
  EXPECT_TRUE(a->same_state(*b));
  EXPECT_FALSE(a->same_state(*c));
}

}  // namespace
}  // namespace moldau::metadata
