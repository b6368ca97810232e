// The admin APIs (issue 2, docs/apis.md): topics, configs, the cluster and
// DeleteRecords.
//
// Each handler decodes, checks the request's shape the way a Kafka broker does
// before it forwards to its controller, calls the metadata controller (or the
// partition log, for DeleteRecords), and maps the results back at the
// request's version. The mappings are pure functions, declared here so that
// tests can check them without a broker or a socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "kafka/broker.h"
#include "metadata/controller.h"
#include "metadata/image.h"
#include "protocol/msg/create_partitions_request.h"
#include "protocol/msg/create_partitions_response.h"
#include "protocol/msg/create_topics_request.h"
#include "protocol/msg/create_topics_response.h"
#include "protocol/msg/delete_topics_request.h"
#include "protocol/msg/delete_topics_response.h"
#include "protocol/msg/describe_cluster_request.h"
#include "protocol/msg/describe_cluster_response.h"
#include "protocol/msg/describe_configs_response.h"
#include "protocol/msg/describe_topic_partitions_request.h"
#include "protocol/msg/describe_topic_partitions_response.h"

namespace moldau::kafka {

void handle_create_topics(Broker&, RequestContext&);
void handle_delete_topics(Broker&, RequestContext&);
void handle_create_partitions(Broker&, RequestContext&);
void handle_describe_configs(Broker&, RequestContext&);
void handle_alter_configs(Broker&, RequestContext&);
void handle_incremental_alter_configs(Broker&, RequestContext&);
void handle_describe_cluster(Broker&, RequestContext&);
void handle_describe_topic_partitions(Broker&, RequestContext&);
void handle_delete_records(Broker&, RequestContext&);

namespace admin {

// The authorized-operations value that means "not computed" (INT32_MIN).
inline constexpr int32_t kAuthorizedOperationsOmitted = INT32_MIN;
// Kafka's max.request.partition.size.limit default: most partitions one
// DescribeTopicPartitions response carries.
inline constexpr int32_t kMaxDescribePartitions = 2000;

protocol::Uuid to_wire(const metadata::TopicId& id);
metadata::TopicId from_wire(const protocol::Uuid& id);

// Wire value (ConfigResource.Type) -> our type; kUnknown for the types Moldau
// does not configure (BROKER_LOGGER, CLIENT_METRICS, GROUP, unknown numbers).
metadata::ConfigResourceType config_resource_type(int8_t wire_type);
// Kafka's name of a resource type number, for messages.
std::string_view config_resource_type_name(int8_t wire_type);

// ---- CreateTopics
// The controller's form of a requested topic, or the error Kafka gives a
// request of that shape (a partition assigned twice).
Result<metadata::CreatableTopic> to_creatable_topic(const protocol::CreateTopicsRequest::CreatableTopic& t);
// One result at any version (fields a version lacks are not encoded).
protocol::CreateTopicsResponse::CreatableTopicResult to_wire(const metadata::CreateTopicResult& r);

// ---- DeleteTopics
// v1-5 name topics in topic_names; v6 in topics, by name or by id.
std::vector<metadata::TopicRef> to_topic_refs(const protocol::DeleteTopicsRequest& req, int16_t version);
protocol::DeleteTopicsResponse::DeletableTopicResult to_wire(const metadata::DeleteTopicResult& r,
                                                             int16_t version);

// ---- CreatePartitions
metadata::CreatePartitionsTopic to_create_partitions_topic(
    const protocol::CreatePartitionsRequest::CreatePartitionsTopic& t);
protocol::CreatePartitionsResponse::CreatePartitionsTopicResult to_wire(const metadata::ItemResult& r);

// ---- AlterConfigs / IncrementalAlterConfigs
// What the broker checks before a config change reaches the controller
// (Kafka's ConfigAdminManager.preprocess): one resource's shape.
struct AlterShape {
  int8_t resource_type = 0;
  std::string resource_name;
  std::vector<std::string> keys;
  std::vector<std::string> null_values;  // keys whose null value the operation refuses
  std::optional<int8_t> bad_operation;   // an IncrementalAlterConfigs operation we do not know
};
// Per resource: the error to answer without asking the controller, if any.
// Resources named twice all fail; a broker resource must be "" or this node.
std::vector<std::optional<Error>> preprocess_alter(const std::vector<AlterShape>& shapes, int32_t node_id);
// INVALID_REQUEST unless `name` is this node's id (Kafka's wording).
std::optional<Error> check_broker_resource_name(std::string_view name, int32_t node_id);

// ---- DescribeConfigs
// An empty key list means every key, as a null one does (Kafka treats both alike).
std::optional<std::vector<std::string>> describe_keys(const std::optional<std::vector<std::string>>& keys);
protocol::DescribeConfigsResponse::DescribeConfigsResult to_wire(const metadata::DescribeConfigsResult& r,
                                                                 int8_t wire_type);

// ---- DescribeCluster
// The endpoint clients are given for a broker: its first advertised one, as
// Metadata answers (listeners are not yet known per connection).
const metadata::BrokerEndpoint* client_endpoint(const metadata::BrokerRegistration& broker);
// Bit field of Kafka's AclOperation codes supported on the cluster resource;
// what Kafka answers, with no authorizer, when operations are requested.
int32_t cluster_authorized_operations();
int32_t topic_authorized_operations();
protocol::DescribeClusterResponse describe_cluster(const metadata::MetadataImage& image, int32_t controller_id,
                                                   const protocol::DescribeClusterRequest& req, int16_t version);

// ---- DescribeTopicPartitions
// Topics sorted by name from the cursor on, at most
// min(response_partition_limit, kMaxDescribePartitions) partitions (at least
// one), with next_cursor where the answer stopped.
protocol::DescribeTopicPartitionsResponse describe_topic_partitions(
    const metadata::MetadataImage& image, const protocol::DescribeTopicPartitionsRequest& req);

// ---- DeleteRecords
inline constexpr int64_t kDeleteToHighWatermark = -1;
// The offset the log start moves to: `requested`, or the high watermark for
// -1; OFFSET_OUT_OF_RANGE for another negative offset or one beyond the high
// watermark.
Result<int64_t> delete_records_target(int64_t requested, int64_t high_watermark);
// Records may be deleted unless cleanup.policy compacts without deleting.
bool cleanup_policy_allows_delete_records(std::string_view cleanup_policy);

}  // namespace admin

}  // namespace moldau::kafka
