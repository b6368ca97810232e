#include "metadata/image.h"

#include <fmt/format.h>

#include <cassert>

namespace moldau::metadata {
namespace {

Error inconsistent(int64_t offset, std::string what) {
  return Error{ErrorCode::kCorruptMessage,
               fmt::format("metadata record at offset {} does not fit the image: {}", offset,
                           std::move(what))};
}

const ConfigMap kNoConfigs;

}  // namespace

std::shared_ptr<const MetadataImage> MetadataImage::empty(std::string cluster_id) {
  auto image = std::make_shared<MetadataImage>();
  image->cluster_id_ = std::move(cluster_id);
  return image;
}

const BrokerRegistration* MetadataImage::broker(int32_t node_id) const {
  auto it = brokers_.find(node_id);
  return it == brokers_.end() ? nullptr : &it->second;
}

const TopicImage* MetadataImage::topic(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

const TopicImage* MetadataImage::topic(const TopicId& id) const {
  auto it = names_by_id_.find(id);
  return it == names_by_id_.end() ? nullptr : topic(it->second);
}

const PartitionInfo* MetadataImage::partition(std::string_view topic_name, int32_t p) const {
  const TopicImage* t = topic(topic_name);
  if (!t || p < 0 || size_t(p) >= t->partitions.size()) return nullptr;
  return &t->partitions[size_t(p)];
}

const ConfigMap& MetadataImage::broker_configs(std::string_view resource_name) const {
  auto it = broker_configs_.find(resource_name);
  return it == broker_configs_.end() ? kNoConfigs : it->second;
}

bool MetadataImage::same_state(const MetadataImage& o) const {
  if (cluster_id_ != o.cluster_id_ || last_offset_ != o.last_offset_ || brokers_ != o.brokers_ ||
      broker_configs_ != o.broker_configs_ || next_producer_id_ != o.next_producer_id_ ||
      topics_.size() != o.topics_.size() || names_by_id_ != o.names_by_id_) {
    return false;
  }
  for (const auto& [name, t] : topics_) {
    const TopicImage* other = o.topic(name);
    if (!other || !(*other == *t)) return false;
  }
  return true;
}

ImageBuilder::ImageBuilder(const ImagePtr& base) : next_(*base) {}

ImagePtr ImageBuilder::build() {
  owned_.clear();  // from now on shared with the returned image
  return std::make_shared<const MetadataImage>(next_);
}

TopicImage& ImageBuilder::mutable_topic(const std::string& name) {
  auto it = owned_.find(name);
  if (it != owned_.end()) return *it->second;
  auto copy = std::make_shared<TopicImage>(*next_.topics_.at(name));
  next_.topics_[name] = copy;
  owned_[name] = copy;
  return *copy;
}

Status ImageBuilder::apply_batch(int64_t base_offset, std::span<const Record> records) {
  for (size_t i = 0; i < records.size(); ++i) {
    if (auto s = apply(base_offset + int64_t(i), records[i]); !s) return s;
  }
  return {};
}

Status ImageBuilder::apply(int64_t offset, const Record& record) {
  if (offset <= next_.last_offset_) {
    return inconsistent(offset, fmt::format("the image is already at offset {}", next_.last_offset_));
  }
  Status s = std::visit([&](const auto& r) { return apply_one(offset, r); }, record);
  if (s) next_.last_offset_ = offset;
  return s;
}

Status ImageBuilder::apply_one(int64_t offset, const RegisterBrokerRecord& r) {
  if (r.node_id < 0) return inconsistent(offset, fmt::format("broker id {} is negative", r.node_id));
  next_.brokers_[r.node_id] = BrokerRegistration{r.node_id, r.endpoints, r.rack, offset};
  return {};
}

Status ImageBuilder::apply_one(int64_t offset, const TopicRecord& r) {
  if (r.topic_id.is_zero()) return inconsistent(offset, fmt::format("topic {} has a zero id", r.name));
  if (next_.topics_.count(r.name)) {
    return inconsistent(offset, fmt::format("topic {} already exists", r.name));
  }
  if (next_.names_by_id_.count(r.topic_id)) {
    return inconsistent(offset, fmt::format("topic id {} is already used by topic {}",
                                            r.topic_id.to_string(), next_.names_by_id_[r.topic_id]));
  }
  auto t = std::make_shared<TopicImage>();
  t->name = r.name;
  t->id = r.topic_id;
  next_.topics_[r.name] = t;
  owned_[r.name] = t;
  next_.names_by_id_[r.topic_id] = r.name;
  return {};
}

Status ImageBuilder::apply_one(int64_t offset, const PartitionRecord& r) {
  auto it = next_.names_by_id_.find(r.topic_id);
  if (it == next_.names_by_id_.end()) {
    return inconsistent(offset, fmt::format("partition {} of unknown topic id {}", r.partition,
                                            r.topic_id.to_string()));
  }
  TopicImage& t = mutable_topic(it->second);
  if (r.partition < 0 || size_t(r.partition) > t.partitions.size()) {
    return inconsistent(offset, fmt::format("partition {} of topic {} which has {} partitions",
                                            r.partition, t.name, t.partitions.size()));
  }
  PartitionInfo p{r.partition, r.replicas, r.isr, r.leader, r.leader_epoch, r.partition_epoch};
  if (size_t(r.partition) == t.partitions.size()) {
    t.partitions.push_back(std::move(p));
  } else {
    t.partitions[size_t(r.partition)] = std::move(p);
  }
  return {};
}

Status ImageBuilder::apply_one(int64_t offset, const RemoveTopicRecord& r) {
  auto it = next_.names_by_id_.find(r.topic_id);
  if (it == next_.names_by_id_.end()) {
    return inconsistent(offset, fmt::format("removal of unknown topic id {}", r.topic_id.to_string()));
  }
  next_.topics_.erase(it->second);
  owned_.erase(it->second);
  next_.names_by_id_.erase(it);
  return {};
}

Status ImageBuilder::apply_one(int64_t offset, const ConfigRecord& r) {
  switch (r.resource_type) {
    case ConfigResourceType::kTopic: {
      if (!next_.topics_.count(r.resource_name)) {
        return inconsistent(offset, fmt::format("config {} of unknown topic {}", r.name, r.resource_name));
      }
      ConfigMap& configs = mutable_topic(r.resource_name).configs;
      if (r.value) {
        configs[r.name] = *r.value;
      } else {
        configs.erase(r.name);
      }
      return {};
    }
    case ConfigResourceType::kBroker: {
      if (r.value) {
        next_.broker_configs_[r.resource_name][r.name] = *r.value;
      } else if (auto it = next_.broker_configs_.find(r.resource_name); it != next_.broker_configs_.end()) {
        it->second.erase(r.name);
        if (it->second.empty()) next_.broker_configs_.erase(it);
      }
      return {};
    }
    default:
      return inconsistent(offset, fmt::format("config resource type {}", int(r.resource_type)));
  }
}

Status ImageBuilder::apply_one(int64_t offset, const ProducerIdsRecord& r) {
  if (r.next_producer_id < next_.next_producer_id_) {
    return inconsistent(offset, fmt::format("next producer id {} goes back from {}",
                                            r.next_producer_id, next_.next_producer_id_));
  }
  next_.next_producer_id_ = r.next_producer_id;
  return {};
}

Result<ImagePtr> apply(const ImagePtr& image, int64_t offset, const Record& record) {
  ImageBuilder b(image);
  if (auto s = b.apply(offset, record); !s) return s.error();
  return b.build();
}

}  // namespace moldau::metadata
