#include <gtest/gtest.h>

#include "kafka/handlers/admin_handlers.h"
#include "kafka/handlers/admin_test_util.h"

namespace moldau::kafka::admin {
namespace {

using protocol::DescribeClusterRequest;
using protocol::DescribeTopicPartitionsRequest;
using testing::at_version;

// Brokers 1 and 2; topics "a" (1 partition), "b" (3 partitions, partition 2
// led by broker 9, which is not registered), "c" (2 partitions).
metadata::ImagePtr cluster() {
  metadata::ImageBuilder b(metadata::MetadataImage::empty("cluster-x"));
  int64_t offset = 0;
  auto apply = [&](const metadata::Record& r) {
    Status s = b.apply(offset++, r);
    EXPECT_TRUE(s.ok()) << s.error().message;
  };
  apply(metadata::RegisterBrokerRecord{
      1, {{"PLAINTEXT", "h1", 9092, metadata::SecurityProtocol::kPlaintext},
          {"INTERNAL", "i1", 9093, metadata::SecurityProtocol::kPlaintext}}, std::string("rack-a")});
  apply(metadata::RegisterBrokerRecord{2, {{"PLAINTEXT", "h2", 9094, metadata::SecurityProtocol::kPlaintext}}, {}});
  int64_t id = 0;
  for (auto [name, partitions] : {std::pair{"a", 1}, std::pair{"b", 3}, std::pair{"c", 2}}) {
    auto topic_id = metadata::TopicId::from_halves(7, uint64_t(++id));
    apply(metadata::TopicRecord{name, topic_id});
    for (int32_t p = 0; p < partitions; ++p) {
      int32_t leader = (std::string(name) == "b" && p == 2) ? 9 : 1 + p % 2;
      std::vector<int32_t> replicas = {leader, leader == 9 ? 1 : 3 - leader};
      apply(metadata::PartitionRecord{topic_id, p, replicas, {leader}, leader, 4, 5});
    }
  }
  return b.build();
}

TEST(AdminDescribeCluster, BrokersClusterIdAndController) {
  auto image = cluster();
  DescribeClusterRequest req;
  auto resp = at_version(describe_cluster(*image, 1, req, 1), 1);
  EXPECT_EQ(resp.error_code, 0);
  EXPECT_EQ(resp.cluster_id, "cluster-x");
  EXPECT_EQ(resp.controller_id, 1);
  EXPECT_EQ(resp.endpoint_type, 1);
  EXPECT_EQ(resp.cluster_authorized_operations, INT32_MIN) << "not requested";
  ASSERT_EQ(resp.brokers.size(), 2u);
  EXPECT_EQ(resp.brokers[0].broker_id, 1);
  EXPECT_EQ(resp.brokers[0].host, "h1");
  EXPECT_EQ(resp.brokers[0].port, 9092);
  EXPECT_EQ(resp.brokers[0].rack, "rack-a");
  EXPECT_EQ(resp.brokers[1].host, "h2");
  EXPECT_EQ(resp.brokers[1].rack, std::nullopt);
}

TEST(AdminDescribeCluster, AuthorizedOperationsWhenAsked) {
  DescribeClusterRequest req;
  req.include_cluster_authorized_operations = true;
  auto resp = describe_cluster(*cluster(), 1, req, 0);
  // CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE
  EXPECT_EQ(resp.cluster_authorized_operations, 8096);
  EXPECT_EQ(cluster_authorized_operations(), (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12));
  EXPECT_EQ(topic_authorized_operations(), (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11));
}

TEST(AdminDescribeCluster, ControllerEndpointsAreNotServedHere) {
  DescribeClusterRequest req;
  req.endpoint_type = 2;
  auto resp = describe_cluster(*cluster(), 1, req, 1);
  EXPECT_EQ(resp.error_code, wire(ErrorCode::kMismatchedEndpointType));
  EXPECT_TRUE(resp.brokers.empty());
  req.endpoint_type = 7;
  EXPECT_EQ(describe_cluster(*cluster(), 1, req, 1).error_code, wire(ErrorCode::kUnsupportedEndpointType));
  EXPECT_EQ(describe_cluster(*cluster(), 1, req, 0).error_code, wire(ErrorCode::kInvalidRequest));
}

DescribeTopicPartitionsRequest dtp(std::vector<std::string> topics, int32_t limit = 2000) {
  DescribeTopicPartitionsRequest req;
  for (auto& t : topics) req.topics.push_back({std::move(t), {}});
  req.response_partition_limit = limit;
  return req;
}

std::vector<std::string> names(const protocol::DescribeTopicPartitionsResponse& r) {
  std::vector<std::string> out;
  for (const auto& t : r.topics) out.push_back(t.name.value_or("<null>"));
  return out;
}

TEST(AdminDescribeTopicPartitions, AllTopicsSortedWithPartitions) {
  auto image = cluster();
  auto resp = at_version(describe_topic_partitions(*image, dtp({})), 0);
  EXPECT_EQ(names(resp), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(resp.next_cursor.has_value());
  const auto& b = resp.topics[1];
  EXPECT_EQ(b.error_code, 0);
  EXPECT_EQ(b.topic_id, (protocol::Uuid{7, 2}));
  EXPECT_FALSE(b.is_internal);
  EXPECT_EQ(b.topic_authorized_operations, topic_authorized_operations());
  ASSERT_EQ(b.partitions.size(), 3u);
  EXPECT_EQ(b.partitions[0].partition_index, 0);
  EXPECT_EQ(b.partitions[0].leader_id, 1);
  EXPECT_EQ(b.partitions[0].leader_epoch, 4);
  EXPECT_EQ(b.partitions[0].replica_nodes, (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(b.partitions[0].isr_nodes, (std::vector<NodeId>{1}));
  EXPECT_TRUE(b.partitions[0].offline_replicas.empty());
  EXPECT_EQ(b.partitions[0].eligible_leader_replicas, std::vector<NodeId>{});
  // Partition 2: leader 9 is not registered, so no leader and 9 is offline.
  EXPECT_EQ(b.partitions[2].leader_id, -1);
  EXPECT_EQ(b.partitions[2].replica_nodes, (std::vector<NodeId>{9, 1}));
  EXPECT_EQ(b.partitions[2].offline_replicas, (std::vector<NodeId>{9}));
}

TEST(AdminDescribeTopicPartitions, NamedTopicsIncludingUnknownAndInvalid) {
  auto resp = describe_topic_partitions(*cluster(), dtp({"c", "zzz", "a", "bad/name"}));
  EXPECT_EQ(names(resp), (std::vector<std::string>{"a", "bad/name", "c", "zzz"}));
  EXPECT_EQ(resp.topics[1].error_code, wire(ErrorCode::kInvalidTopicException));
  EXPECT_EQ(resp.topics[3].error_code, wire(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_TRUE(resp.topics[3].topic_id.is_zero());
  EXPECT_EQ(resp.topics[2].partitions.size(), 2u);
}

TEST(AdminDescribeTopicPartitions, PagesWithACursor) {
  auto image = cluster();
  // 6 partitions in all (a:1, b:3, c:2), 2 per page.
  auto p1 = describe_topic_partitions(*image, dtp({}, 2));
  EXPECT_EQ(names(p1), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p1.topics[1].partitions.size(), 1u);
  ASSERT_TRUE(p1.next_cursor.has_value());
  EXPECT_EQ(p1.next_cursor->topic_name, "b");
  EXPECT_EQ(p1.next_cursor->partition_index, 1);

  auto req = dtp({}, 2);
  req.cursor = DescribeTopicPartitionsRequest::Cursor{"b", 1, {}};
  auto p2 = describe_topic_partitions(*image, req);
  EXPECT_EQ(names(p2), (std::vector<std::string>{"b"}));
  ASSERT_EQ(p2.topics[0].partitions.size(), 2u);
  EXPECT_EQ(p2.topics[0].partitions[0].partition_index, 1);
  ASSERT_TRUE(p2.next_cursor.has_value());
  EXPECT_EQ(p2.next_cursor->topic_name, "c") << "stopped between topics";
  EXPECT_EQ(p2.next_cursor->partition_index, 0);

  req.cursor = DescribeTopicPartitionsRequest::Cursor{"c", 0, {}};
  auto p3 = describe_topic_partitions(*image, req);
  EXPECT_EQ(names(p3), (std::vector<std::string>{"c"}));
  EXPECT_EQ(p3.topics[0].partitions.size(), 2u);
  EXPECT_FALSE(p3.next_cursor.has_value());

  auto zero = describe_topic_partitions(*image, dtp({}, 0));
  ASSERT_EQ(zero.topics.size(), 1u) << "a limit below 1 still makes progress";
  EXPECT_EQ(zero.topics[0].partitions.size(), 1u);
}

TEST(AdminDescribeTopicPartitions, BadCursorFailsTheRequest) {
  auto req = dtp({"a", "c"});
  req.cursor = DescribeTopicPartitionsRequest::Cursor{"b", 0, {}};
  auto resp = describe_topic_partitions(*cluster(), req);
  ASSERT_EQ(resp.topics.size(), 2u);
  for (const auto& t : resp.topics) EXPECT_EQ(t.error_code, wire(ErrorCode::kInvalidRequest));
  req.cursor = DescribeTopicPartitionsRequest::Cursor{"a", -1, {}};
  resp = describe_topic_partitions(*cluster(), req);
  for (const auto& t : resp.topics) EXPECT_EQ(t.error_code, wire(ErrorCode::kInvalidRequest));
}

}  // namespace
}  // namespace moldau::kafka::admin
