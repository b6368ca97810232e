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
  return g.heartbeat(req, topics, topics_version, config_, now_ms);
}

void ConsumerGroupCoordinator::tick(int64_t now_ms) {
  for (auto& [id, g] : groups_) g->expire(now_ms);
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
}

ErrorCode ConsumerGroupCoordinator::delete_group(std::string_view group_id) {
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return ErrorCode::kGroupIdNotFound;
  if (!it->second->members().empty()) return ErrorCode::kNonEmptyGroup;
  groups_.erase(it);
  return ErrorCode::kNone;
}

}  // namespace moldau::coordinator
