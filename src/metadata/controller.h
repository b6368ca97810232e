// The controller: turns admin operations into metadata records.
//
// Each operation is checked against the current image and the config
// catalog; what passes becomes records appended to the metadata quorum as one
// batch; once committed, the batch is applied to the image and subscribers
// hear of it (on_change). Callers get one result per item, with Kafka's error
// code and a message for people.
//
// Single-threaded: call everything from the broker's event loop. With the
// single-voter quorum, results arrive before the call returns; with Raft they
// will arrive later, so callers must not rely on either.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadata/broker_config.h"
#include "metadata/describe_configs.h"
#include "metadata/image.h"
#include "metadata/quorum.h"
#include "metadata/records.h"

namespace moldau::metadata {

inline constexpr const char* kConsumerOffsetsTopic = "__consumer_offsets";
inline constexpr const char* kTransactionStateTopic = "__transaction_state";
inline constexpr size_t kMaxTopicNameLength = 249;
// Most partitions one request may create (Kafka refuses larger batches too).
inline constexpr int32_t kMaxPartitionsPerRequest = 10000;

// Kafka's topic name rules: 1..249 of [a-zA-Z0-9._-], not "." or "..".
// INVALID_TOPIC_EXCEPTION with Kafka's wording when broken.
Status validate_topic_name(std::string_view name);
bool is_internal_topic(std::string_view name);

// ---- CreateTopics
struct CreatableTopic {
  std::string name;
  int32_t num_partitions = -1;      // -1: num.partitions
  int16_t replication_factor = -1;  // -1: default.replication.factor
  // Manual assignment, partition -> broker ids; partitions must be 0..n-1.
  std::map<int32_t, std::vector<int32_t>> assignments;
  std::vector<std::pair<std::string, std::optional<std::string>>> configs;
};

struct CreateTopicResult {
  std::string name;
  TopicId topic_id;
  ErrorCode error = ErrorCode::kNone;
  std::string message;
  int32_t num_partitions = -1;
  int16_t replication_factor = -1;
  std::vector<DescribedConfig> configs;  // the topic's configs, as CreateTopics v5+ returns them
};

// ---- DeleteTopics: by name or by id (exactly one).
struct TopicRef {
  std::optional<std::string> name;
  TopicId id;
};

struct DeleteTopicResult {
  std::optional<std::string> name;
  TopicId topic_id;
  ErrorCode error = ErrorCode::kNone;
  std::string message;
};

// ---- CreatePartitions
struct CreatePartitionsTopic {
  std::string name;
  int32_t count = 0;  // new total
  std::optional<std::vector<std::vector<int32_t>>> assignments;  // one per new partition
};

struct ItemResult {
  std::string name;
  ErrorCode error = ErrorCode::kNone;
  std::string message;
};

// ---- AlterConfigs and IncrementalAlterConfigs
struct ConfigResource {
  ConfigResourceType type = ConfigResourceType::kUnknown;
  std::string name;
  friend bool operator==(const ConfigResource&, const ConfigResource&) = default;
};

struct AlterConfigsResource {
  ConfigResource resource;
  std::vector<std::pair<std::string, std::optional<std::string>>> configs;
};

enum class AlterConfigOp : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

struct AlterableConfig {
  std::string name;
  AlterConfigOp op = AlterConfigOp::kSet;
  std::optional<std::string> value;
};

struct IncrementalAlterConfigsResource {
  ConfigResource resource;
  std::vector<AlterableConfig> configs;
};

struct AlterConfigsResult {
  ConfigResource resource;
  ErrorCode error = ErrorCode::kNone;
  std::string message;
};

// ---- DescribeConfigs
struct DescribeConfigsResource {
  ConfigResource resource;
  std::optional<std::vector<std::string>> keys;  // nullopt: all
};

struct DescribeConfigsResult {
  ConfigResource resource;
  ErrorCode error = ErrorCode::kNone;
  std::string message;
  std::vector<DescribedConfig> configs;
};

class Controller {
 public:
  using ChangeListener =
      std::function<void(const ImagePtr& old_image, const ImagePtr& new_image, const CommittedBatch& batch)>;
  using IdGenerator = std::function<TopicId()>;
  template <typename R>
  using Done = std::function<void(std::vector<R>)>;

  struct Options {
    // Host advertised for listeners bound to all interfaces (empty host).
    std::string default_advertised_host = "localhost";
    IdGenerator new_topic_id;  // TopicId::random when empty; tests make it deterministic
  };

  // `quorum` and `config` must outlive the controller.
  Controller(MetadataQuorum& quorum, const BrokerConfig& config, std::string cluster_id, Options options);
  Controller(MetadataQuorum& quorum, const BrokerConfig& config, std::string cluster_id)
      : Controller(quorum, config, std::move(cluster_id), Options()) {}

  // Start-up: replays the whole log into the image and listens for commits.
  Status load();
  // Registers this broker (node id, advertised listeners, rack) unless the
  // image already has exactly that registration.
  void register_broker(std::function<void(Status)> done);
  // Creates __consumer_offsets or __transaction_state with the settings of
  // the offsets.topic.* / transaction.state.log.* configs, through the same
  // path as CreateTopics; succeeds when it already exists.
  void ensure_internal_topic(std::string_view name, std::function<void(Status)> done);

  const ImagePtr& image() const { return image_; }
  const BrokerConfig& config() const { return config_; }
  // Called after each committed batch is applied (not for the replay in load()).
  void on_change(ChangeListener listener) { listeners_.push_back(std::move(listener)); }

  void create_topics(std::vector<CreatableTopic> topics, bool validate_only, Done<CreateTopicResult> done);
  void delete_topics(std::vector<TopicRef> topics, Done<DeleteTopicResult> done);
  void create_partitions(std::vector<CreatePartitionsTopic> topics, bool validate_only, Done<ItemResult> done);
  void alter_configs(std::vector<AlterConfigsResource> resources, bool validate_only,
                     Done<AlterConfigsResult> done);
  void incremental_alter_configs(std::vector<IncrementalAlterConfigsResource> resources, bool validate_only,
                                 Done<AlterConfigsResult> done);
  std::vector<DescribeConfigsResult> describe_configs(const std::vector<DescribeConfigsResource>& resources,
                                                      bool include_synonyms, bool include_documentation) const;

  // For Metadata and Produce: whether unknown topics may be created, and the
  // creation itself with the broker's defaults (results as CreateTopics').
  bool auto_create_enabled() const;
  void auto_create_topics(std::vector<std::string> names, Done<CreateTopicResult> done);

  // Reserves the next `count` producer ids by committing a ProducerIdsRecord
  // (so a restart never hands them out again); `done` gets the first id of
  // the block. Blocks reserved while an earlier commit is still in flight do
  // not overlap it.
  void allocate_producer_ids(int64_t count, std::function<void(Result<int64_t>)> done);

 private:
  struct TopicPlan;
  void handle_commit(const CommittedBatch& batch);
  // Appends `records` (nothing to do when empty) and reports the outcome.
  void commit(std::vector<Record> records, std::function<void(Status)> done);
  Result<TopicPlan> plan_topic(const CreatableTopic& topic, const MetadataImage& image) const;
  Status check_assignment(const std::vector<int32_t>& replicas, size_t expected_rf) const;
  std::vector<int32_t> place_replicas(int32_t partition, int32_t rf, const std::vector<int32_t>& brokers) const;
  Status validate_topic_overrides(const ConfigMap& overrides) const;
  Result<std::vector<Record>> plan_config_change(const ConfigResource& resource, const ConfigMap& current,
                                                 const ConfigMap& wanted) const;
  Status check_config_resource(const ConfigResource& resource, const ConfigMap** current) const;
  Result<std::string> validate_alter_value(const ConfigResource& resource, const std::string& key,
                                           std::string_view value) const;

  MetadataQuorum& quorum_;
  const BrokerConfig& config_;
  Options options_;
  ImagePtr image_;
  std::vector<ChangeListener> listeners_;
  int64_t reserved_producer_ids_ = 0;  // end of the last block asked of the quorum
};

}  // namespace moldau::metadata
