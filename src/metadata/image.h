// The metadata image: cluster state as of one offset of the metadata log.
//
// An image is immutable and shared as std::shared_ptr<const MetadataImage>;
// request handlers keep the pointer they started with, so a change never
// happens under their feet. A new image is made by applying records to the
// previous one (ImageBuilder); topics are shared between images, so applying a
// batch costs the topics it touches, not the whole cluster.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "metadata/records.h"
#include "metadata/topic_id.h"

namespace moldau::metadata {

using ConfigMap = std::map<std::string, std::string, std::less<>>;

struct BrokerRegistration {
  int32_t node_id = -1;
  std::vector<BrokerEndpoint> endpoints;
  std::optional<std::string> rack;
  int64_t epoch = -1;  // offset of the RegisterBrokerRecord
  friend bool operator==(const BrokerRegistration&, const BrokerRegistration&) = default;
};

struct PartitionInfo {
  int32_t partition = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  friend bool operator==(const PartitionInfo&, const PartitionInfo&) = default;
};

struct TopicImage {
  std::string name;
  TopicId id;
  std::vector<PartitionInfo> partitions;  // index == partition id, no gaps
  ConfigMap configs;                      // dynamic topic overrides only
  friend bool operator==(const TopicImage&, const TopicImage&) = default;
};

class MetadataImage {
 public:
  using TopicMap = std::map<std::string, std::shared_ptr<const TopicImage>, std::less<>>;

  static std::shared_ptr<const MetadataImage> empty(std::string cluster_id);

  const std::string& cluster_id() const { return cluster_id_; }
  // Offset of the last record applied; -1 for an image of an empty log.
  int64_t last_offset() const { return last_offset_; }

  const std::map<int32_t, BrokerRegistration>& brokers() const { return brokers_; }
  const BrokerRegistration* broker(int32_t node_id) const;

  const TopicMap& topics() const { return topics_; }
  const TopicImage* topic(std::string_view name) const;
  const TopicImage* topic(const TopicId& id) const;
  const PartitionInfo* partition(std::string_view topic, int32_t partition) const;

  // Dynamic broker configs: resource "" is the cluster-wide default, "<id>"
  // one broker's. Empty map when none are set.
  const ConfigMap& broker_configs(std::string_view resource_name) const;
  const std::map<std::string, ConfigMap, std::less<>>& all_broker_configs() const {
    return broker_configs_;
  }

  // Start of the next producer-id block to hand out.
  int64_t next_producer_id() const { return next_producer_id_; }

  // Same state (ignores nothing: cluster id, offset, brokers, topics, configs).
  bool same_state(const MetadataImage& other) const;

 private:
  friend class ImageBuilder;
  std::string cluster_id_;
  int64_t last_offset_ = -1;
  std::map<int32_t, BrokerRegistration> brokers_;
  TopicMap topics_;
  std::unordered_map<TopicId, std::string> names_by_id_;
  std::map<std::string, ConfigMap, std::less<>> broker_configs_;
  int64_t next_producer_id_ = 0;
};

using ImagePtr = std::shared_ptr<const MetadataImage>;

// Applies records in log order to a copy of an image. A record that does not
// fit the state (a partition of an unknown topic, a second topic of the same
// name) is refused with CORRUPT_MESSAGE: the log and the code disagree, and
// going on would build a wrong picture of the cluster.
class ImageBuilder {
 public:
  explicit ImageBuilder(const ImagePtr& base);

  // Applies `record`, which sits at `offset` of the log. Offsets must grow.
  Status apply(int64_t offset, const Record& record);
  Status apply_batch(int64_t base_offset, std::span<const Record> records);

  // The image so far; the builder can go on applying afterwards.
  ImagePtr build();

 private:
  Status apply_one(int64_t offset, const RegisterBrokerRecord& r);
  Status apply_one(int64_t offset, const TopicRecord& r);
  Status apply_one(int64_t offset, const PartitionRecord& r);
  Status apply_one(int64_t offset, const RemoveTopicRecord& r);
  Status apply_one(int64_t offset, const ConfigRecord& r);
  Status apply_one(int64_t offset, const ProducerIdsRecord& r);
  TopicImage& mutable_topic(const std::string& name);

  MetadataImage next_;
  // Topics created or copied by this builder since the last build(): these
  // are not shared with any image yet and can be changed in place.
  std::map<std::string, std::shared_ptr<TopicImage>, std::less<>> owned_;
};

// Convenience: the image after one record (pure; `image` is unchanged).
Result<ImagePtr> apply(const ImagePtr& image, int64_t offset, const Record& record);

}  // namespace moldau::metadata
