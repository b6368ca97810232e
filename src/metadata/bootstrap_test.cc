#include "metadata/bootstrap.h"

#include <gtest/gtest.h>

#include "metadata/meta_properties.h"
#include "metadata/test_util.h"

namespace moldau::metadata {
namespace {

using testing::TempDir;

BrokerConfig config_for(const TempDir& dir, int node_id = 1) {
  auto c = parse_broker_config({{"node.id", std::to_string(node_id), 1},
                                {"log.dirs", dir.sub("a") + "," + dir.sub("b"), 2},
                                {"metadata.log.dir", dir.sub("meta"), 3}});
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.value();
}

TEST(Bootstrap, FirstStartThenRestart) {
  TempDir dir;
  BrokerConfig config = config_for(dir);
  std::string cluster_id;
  TopicId id;
  {
    auto node = start_metadata(config);
    ASSERT_TRUE(node.ok()) << node.error().message;
    cluster_id = node->cluster_id;
    EXPECT_EQ(node->controller->image()->cluster_id(), cluster_id);
    EXPECT_NE(node->controller->image()->broker(1), nullptr);
    for (const char* d : {"a", "b", "meta"}) {
      auto m = read_meta_properties(dir.sub(d));
      ASSERT_TRUE(m.ok() && m.value()) << d;
      EXPECT_EQ(m.value()->cluster_id, cluster_id);
    }
    std::vector<CreateTopicResult> r;
    CreatableTopic t;
    t.name = "kept";
    node->controller->create_topics({t}, false, [&](std::vector<CreateTopicResult> x) { r = std::move(x); });
    ASSERT_EQ(r.at(0).error, ErrorCode::kNone);
    id = r[0].topic_id;
  }
  auto node = start_metadata(config);
  ASSERT_TRUE(node.ok()) << node.error().message;
  EXPECT_EQ(node->cluster_id, cluster_id);
  ASSERT_NE(node->controller->image()->topic("kept"), nullptr);
  EXPECT_EQ(node->controller->image()->topic("kept")->id, id);
}

TEST(Bootstrap, RefusesAnotherNodesDirectories) {
  TempDir dir;
  {
    BrokerConfig config = config_for(dir, 1);
    ASSERT_TRUE(start_metadata(config).ok());
  }
  BrokerConfig other = config_for(dir, 2);
  auto node = start_metadata(other);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("node.id=1"), std::string::npos) << node.error().message;
}

}  // namespace
}  // namespace moldau::metadata
