#include <gtest/gtest.h>

#include "cli/topic_cmd.h"

namespace moldau::cli {
namespace {

TopicInfo orders() {
  TopicInfo t;
  t.name = "orders";
  t.topic_id = protocol::Uuid{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  t.partitions.push_back({0, ErrorCode::kNone, 1, 3, {1, 2}, {1, 2}, {}});
  t.partitions.push_back({1, ErrorCode::kNone, 2, 0, {2, 1}, {2}, {}});
  return t;
}

TEST(TopicList, TableAndJson) {
  TopicInfo internal;
  internal.name = "__consumer_offsets";
  internal.internal = true;
  internal.partitions.push_back({0, ErrorCode::kNone, 1, 0, {1}, {1}, {}});
  std::string id = orders().topic_id.to_string();
  EXPECT_EQ(render_topic_list({orders(), internal}),
            "TOPIC                          PARTITIONS  REPLICATION  ID\n"
            "orders                         2           2            " + id + "\n"
            "__consumer_offsets (internal)  1           1            -\n");
  EXPECT_EQ(topic_list_json({orders()}).dump(-1),
            "[{\"name\":\"orders\",\"topic_id\":\"" + id +
                "\",\"partitions\":2,\"replication_factor\":2,\"internal\":false}]");
  EXPECT_NE(render_topic_list({}).find("moldau topic create"), std::string::npos);
}

TEST(TopicDescribe, ShowsPartitionsAndNonDefaultConfigs) {
  TopicDescription d{orders(), {}, {}};
  d.configs.push_back({"cleanup.policy", "compact", 1, false, false});
  d.configs.push_back({"retention.ms", "3600000", 4, false, false});
  std::string id = orders().topic_id.to_string();
  EXPECT_EQ(render_topic_describe({d}),
            "Topic: orders\n"
            "Id: " + id + "\n"
            "Partitions: 2, replication factor: 2\n"
            "Configs:\n"
            "  cleanup.policy  compact  (topic)\n"
            "  retention.ms    3600000  (broker config file)\n"
            "PARTITION  LEADER  EPOCH  REPLICAS  ISR\n"
            "0          1       3      1,2       1,2\n"
            "1          2       0      2,1       2\n");
}

TEST(TopicDescribe, OfflineReplicasErrorsAndMissingConfigsAreShown) {
  TopicDescription d{orders(), {}, "UNKNOWN_SERVER_ERROR: boom"};
  d.topic.partitions[1].offline = {1};
  d.topic.partitions[1].leader = -1;
  d.topic.partitions[1].error = ErrorCode::kLeaderNotAvailable;
  std::string out = render_topic_describe({d});
  EXPECT_NE(out.find("Configs: not available (UNKNOWN_SERVER_ERROR: boom)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("PARTITION  LEADER  EPOCH  REPLICAS  ISR  OFFLINE  ERROR\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("1          none    0      2,1       2    1        LEADER_NOT_AVAILABLE\n"),
            std::string::npos)
      << out;
  TopicDescription plain{orders(), {}, {}};
  EXPECT_NE(render_topic_describe({plain}).find("Configs: all defaults\n"), std::string::npos);
}

TEST(TopicDescribe, Json) {
  TopicDescription d{orders(), {}, {}};
  d.topic.partitions.resize(1);
  d.configs.push_back({"retention.ms", "1", 1, false, false});
  d.configs.push_back({"sasl.secret", std::nullopt, 1, true, false});
  std::string id = orders().topic_id.to_string();
  EXPECT_EQ(topic_describe_json({d}).dump(-1),
            "[{\"name\":\"orders\",\"topic_id\":\"" + id +
                "\",\"internal\":false,\"replication_factor\":2,\"partitions\":[{\"partition\":0,"
                "\"leader\":1,\"leader_epoch\":3,\"replicas\":[1,2],\"isr\":[1,2],\"offline\":[],"
                "\"error\":null}],\"configs\":{\"retention.ms\":{\"value\":\"1\",\"source\":"
                "\"DYNAMIC_TOPIC_CONFIG\",\"sensitive\":false},\"sasl.secret\":{\"value\":null,"
                "\"source\":\"DYNAMIC_TOPIC_CONFIG\",\"sensitive\":true}}}]");
}

TEST(ConfigSource, NamesAreKafkas) {
  EXPECT_EQ(config_source_name(1), "DYNAMIC_TOPIC_CONFIG");
  EXPECT_EQ(config_source_name(5), "DEFAULT_CONFIG");
  EXPECT_EQ(config_source_name(42), "UNKNOWN");
  EXPECT_EQ(join_ids({}), "-");
  EXPECT_EQ(join_ids({3, 1}), "3,1");
}

}  // namespace
}  // namespace moldau::cli
