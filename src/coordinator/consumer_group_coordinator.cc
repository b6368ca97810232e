#include "coordinator/consumer_group_coordinator.h"

#include <algorithm>
#include <regex>

#include "coordinator/group_coordinator.h"

namespace moldau::coordinator {

namespace {

ConsumerHeartbeatResponse invalid(std::string message) {
  ConsumerHeartbeatResponse r;
  r.error = ErrorCode::kInvalidRequest;
  r.error_message = std::move(message);
  return r;
}

// Kafka's checks of a heartbeat that need no group state.
std::optional<ConsumerHeartbeatResponse> check_request(const ConsumerHeartbeatRequest& req,
                                                       const ConsumerGroupConfig& config) {
  if (req.group_id.empty()) return invalid("GroupId can't be empty.");
  if (req.group_id.size() > kMaxIdBytes || req.member_id.size() > kMaxIdBytes) return invalid("id too long");
  if (req.instance_id && (req.instance_id->empty() || req.instance_id->size() > kMaxIdBytes)) {
    return invalid("InstanceId can't be empty.");
  }
  if (req.rack_id && (req.rack_id->empty() || req.rack_id->size() > kMaxIdBytes)) {
    return invalid("RackId can't be empty.");
  }
  if (req.member_epoch < -2) return invalid("MemberEpoch is invalid.");
  if (req.member_epoch != 0 && req.member_id.empty()) return invalid("MemberId can't be empty.");
  if (req.api_version >= 1 && req.member_id.empty()) return invalid("MemberId can't be empty.");
  if (req.member_epoch == 0) {
    if (req.rebalance_timeout_ms == -1) return invalid("RebalanceTimeoutMs must be provided in first request.");
    if (req.owned && !req.owned->empty()) return invalid("TopicPartitions must be empty when (re-)joining.");
    if (!req.subscribed_topic_names && !req.subscribed_topic_regex) {
      return invalid("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
    }
  }
  if (req.member_epoch == -2 && !req.instance_id) return invalid("InstanceId can't be null.");
  if (req.rebalance_timeout_ms < -1) return invalid("RebalanceTimeoutMs is invalid.");
  if (req.subscribed_topic_names && req.subscribed_topic_names->size() > kMaxSubscribedTopics) {
    return invalid("too many subscribed topics");
  }
  if (req.subscribed_topic_regex && !req.subscribed_topic_regex->empty()) {
    if (req.subscribed_topic_regex->size() > kMaxRegexBytes) return invalid("SubscribedTopicRegex is too long.");
    try {
      std::regex re(*req.subscribed_topic_regex);
    } catch (const std::regex_error&) {
      return invalid("SubscribedTopicRegex " + *req.subscribed_topic_regex + " is not a valid regular expression.");
    }
  }
  if (req.server_assignor &&
      std::find(config.assignors.begin(), config.assignors.end(), *req.server_assignor) == config.assignors.end()) {
    ConsumerHeartbeatResponse r;
    r.error = ErrorCode::kUnsupportedAssignor;
    r.error_message = "ServerAssignor " + *req.server_assignor + " is not supported.";
    return r;
  }
  return std::nullopt;
}

}  // namespace

ConsumerGroupCoordinator::ConsumerGroupCoordinator(ConsumerGroupConfig config, int32_t offsets_topic_num_partitions,
                                                   uint64_t member_id_seed)
    : config_(std::move(config)), num_partitions_(offsets_topic_num_partitions), ids_(member_id_seed) {
  if (config_.assignors.empty()) config_.assignors = {"uniform", "range"};
}

ConsumerHeartbeatResponse ConsumerGroupCoordinator::heartbeat(ConsumerHeartbeatRequest req,
                                                              const TopicPartitionCounts& topics,
                                                              uint64_t topics_version, int64_t now_ms) {
  if (auto bad = check_request(req, config_)) return *bad;
  auto it = groups_.find(req.group_id);
  if (it == groups_.end()) {
    if (req.member_epoch != 0) {
      ConsumerHeartbeatResponse r;
      r.error = ErrorCode::kUnknownMemberId;
      r.error_message = "group " + req.group_id + " has no such member";
      return r;
    }
    const int32_t p = partition_for(req.group_id, num_partitions_);
    it = groups_.emplace(req.group_id, std::make_unique<ConsumerGroup>(req.group_id, p)).first;
  }
  // Version 0 lets the coordinator pick the id (version 1 clients do).
  if (req.member_id.empty()) req.member_id = ids_.uuid();
  ConsumerGroup& g = *it->second;
  g.expire(now_ms);  // so that the outcome does not depend on when the driver ticked
  auto resp = g.heartbeat(req, topics, topics_version, config_, now_ms);
  persist(g.group_id());
  return resp;
}

void ConsumerGroupCoordinator::tick(int64_t now_ms) {
  for (auto& [id, g] : groups_) {
    if (!g->expire(now_ms).empty()) persist(id);
  }
}

std::optional<int64_t> ConsumerGroupCoordinator::next_deadline_ms() const {
  std::optional<int64_t> next;
  for (const auto& [id, g] : groups_) {
    auto d = g->next_deadline_ms();
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

const ConsumerGroup* ConsumerGroupCoordinator::group(std::string_view group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

void ConsumerGroupCoordinator::unload(int32_t partition) {
  std::erase_if(groups_, [&](const auto& kv) { return kv.second->offsets_partition() == partition; });
  std::erase_if(written_, [&](const auto& kv) { return kv.second.partition == partition; });
  std::erase_if(staged_, [&](const auto& kv) { return kv.second.partition == partition; });
}

ErrorCode ConsumerGroupCoordinator::delete_group(std::string_view group_id) {
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return ErrorCode::kGroupIdNotFound;
  if (!it->second->members().empty()) return ErrorCode::kNonEmptyGroup;
  const std::string id = it->first;
  groups_.erase(it);
  persist(id);
  return ErrorCode::kNone;
}

void ConsumerGroupCoordinator::persist(const std::string& group_id) {
  auto g = groups_.find(group_id);
  auto w = written_.find(group_id);
  if (g == groups_.end() && w == written_.end()) return;
  const int32_t p = g != groups_.end() ? g->second->offsets_partition() : w->second.partition;
  ConsumerRecordImage now;
  if (g != groups_.end()) now = g->second->record_image();
  static const ConsumerRecordImage kNothing;
  const ConsumerRecordImage& before = w != written_.end() ? w->second.image : kNothing;
  auto emit = [&](ConsumerRecordType type, const std::string& member, std::optional<ConsumerRecordValue> v) {
    records_.push_back({p, {type, group_id, member}, std::move(v)});
  };
  // Writes: member metadata, group epoch, target (members, then its
  // epoch), current assignments -- so that a reader never sees an epoch
  // before what it covers.
  const ConsumerRecordType order[] = {ConsumerRecordType::kMemberMetadata, ConsumerRecordType::kGroupMetadata,
                                      ConsumerRecordType::kTargetAssignmentMember,
                                      ConsumerRecordType::kTargetAssignmentMetadata,
                                      ConsumerRecordType::kCurrentMemberAssignment};
  for (ConsumerRecordType type : order) {
    for (const auto& [key, value] : now) {
      if (key.first != type) continue;
      auto b = before.find(key);
      if (b == before.end() || !(b->second == value)) emit(type, key.second, value);
    }
  }
  // Tombstones: members' records first, then the group's.
  const ConsumerRecordType gone_order[] = {
      ConsumerRecordType::kCurrentMemberAssignment, ConsumerRecordType::kTargetAssignmentMember,
      ConsumerRecordType::kMemberMetadata, ConsumerRecordType::kTargetAssignmentMetadata,
      ConsumerRecordType::kGroupMetadata};
  for (ConsumerRecordType type : gone_order) {
    for (const auto& [key, value] : before) {
      if (key.first == type && !now.contains(key)) emit(type, key.second, std::nullopt);
    }
  }
  if (g == groups_.end()) {
    written_.erase(w);
  } else {
    Written& out = written_[group_id];
    out.partition = p;
    out.image = std::move(now);
  }
}

void ConsumerGroupCoordinator::begin_loading(int32_t partition) { unload(partition); }

void ConsumerGroupCoordinator::replay(int32_t partition, const ConsumerRecordKey& key,
                                      const std::optional<ConsumerRecordValue>& value) {
  if (key.type == ConsumerRecordType::kPartitionMetadata) return;  // not used: the metadata hash serves
  Written& s = staged_[key.group_id];
  s.partition = partition;
  const std::pair<ConsumerRecordType, std::string> k{key.type, key.member_id};
  if (!value || record_type_of(*value) != key.type) {
    s.image.erase(k);
    return;
  }
  s.image[k] = *value;
}

void ConsumerGroupCoordinator::complete_loading(int32_t partition, int64_t now_ms) {
  for (auto it = staged_.begin(); it != staged_.end();) {
    if (it->second.partition != partition) {
      ++it;
      continue;
    }
    auto g = ConsumerGroup::restore(it->first, partition, it->second.image, now_ms, config_);
    if (g) {
      // What the log holds: the group's next change writes what differs
      // (records of members without metadata get their tombstones then).
      written_[it->first] = std::move(it->second);
      groups_[it->first] = std::move(g);
    }
    it = staged_.erase(it);
  }
}

}  // namespace moldau::coordinator
