// The admin rows of the API table (docs/apis.md says what each version
// supports and why the ranges are what they are).
#include "kafka/handlers/admin_handlers.h"
#include "kafka/handlers/handlers.h"
#include "protocol/msg/api_keys.h"

namespace moldau::kafka {

void register_admin_apis(Broker&, const AddApi& add) {
  namespace k = protocol::api_key;
  // Ranges are clipped to the codec's: CreateTopics starts at v2, DeleteTopics
  // at v1 and DescribeConfigs at v1 there, as in Kafka 4.x (KIP-896).
  add(k::kCreateTopics, 0, 7, handle_create_topics);
  add(k::kDeleteTopics, 0, 6, handle_delete_topics);
  add(k::kCreatePartitions, 0, 3, handle_create_partitions);
  add(k::kDescribeConfigs, 0, 4, handle_describe_configs);
  add(k::kAlterConfigs, 0, 2, handle_alter_configs);
  add(k::kIncrementalAlterConfigs, 0, 1, handle_incremental_alter_configs);
  // v2 (fenced brokers, KIP-1073) is left out until brokers can be fenced.
  add(k::kDescribeCluster, 0, 1, handle_describe_cluster);
  add(k::kDeleteRecords, 0, 2, handle_delete_records);
  add(k::kDescribeTopicPartitions, 0, 0, handle_describe_topic_partitions);
}

}  // namespace moldau::kafka
