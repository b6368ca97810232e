// One group of the consumer rebalance protocol (KIP-848): members that
// heartbeat with ConsumerGroupHeartbeat, a target assignment computed on the
// broker by a server-side assignor, and the reconciliation that moves each
// member towards its target without two members owning a partition at once.
// Pure: events in, answers out, time as an argument (docs/groups.md,
// "KIP-848").
//
// Epochs: the group epoch goes up whenever the group changes (a member
// joins, leaves, is fenced or changes its subscription; the partition count
// of a subscribed topic changes). The target assignment is recomputed when
// its epoch is behind the group epoch. A member's epoch becomes the target's
// epoch once it has revoked whatever the target takes away from it; partitions
// still owned by another member (pending revocation there) are handed over on
// a later heartbeat, once that member released them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "coordinator/consumer_group_assignor.h"
#include "coordinator/consumer_group_records.h"

namespace moldau::coordinator {

// Broker settings of the consumer protocol, Kafka's names and defaults.
struct ConsumerGroupConfig {
  int32_t session_timeout_ms = 45000;      // group.consumer.session.timeout.ms
  int32_t heartbeat_interval_ms = 5000;    // group.consumer.heartbeat.interval.ms
  int32_t max_size = 2147483647;           // group.consumer.max.size
  std::vector<std::string> assignors = {"uniform", "range"};  // group.consumer.assignors; the first is the default
};

// The coordinator's view of ConsumerGroupHeartbeat (any version). Null
// fields: "unchanged since the last heartbeat".
struct ConsumerHeartbeatRequest {
  int16_t api_version = 1;
  std::string group_id;
  std::string member_id;  // version 0: "" to have the coordinator pick one
  int32_t member_epoch = 0;  // 0 join, -1 leave, -2 static member leaves for now
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  int32_t rebalance_timeout_ms = -1;
  std::optional<std::vector<std::string>> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  std::optional<std::string> server_assignor;
  std::optional<PartitionSet> owned;  // topic ids the driver could not name are left out
  std::string client_id;
  std::string client_host;
};

struct ConsumerHeartbeatResponse {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> error_message;
  std::string member_id;
  int32_t member_epoch = 0;
  int32_t heartbeat_interval_ms = 0;
  std::optional<PartitionSet> assignment;  // null: unchanged
};

enum class ConsumerMemberState { kStable, kUnrevokedPartitions, kUnreleasedPartitions };

struct ConsumerMember {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  int32_t member_epoch = 0;
  int32_t previous_member_epoch = -1;
  ConsumerMemberState state = ConsumerMemberState::kStable;
  int32_t rebalance_timeout_ms = 0;
  std::vector<std::string> subscribed_topic_names;  // sorted, unique
  std::optional<std::string> subscribed_topic_regex;
  std::optional<std::string> server_assignor;
  PartitionSet assigned;            // the member may use these
  PartitionSet pending_revocation;  // taken away, the member has not confirmed yet
  int64_t session_deadline_ms = 0;
  std::optional<int64_t> revocation_deadline_ms;  // rebalance timeout while revoking
};

// The records that describe a group, by record type and member id ("" for
// the group-wide ones): the last value of each key in __consumer_offsets.
using ConsumerRecordImage = std::map<std::pair<ConsumerRecordType, std::string>, ConsumerRecordValue>;

class ConsumerGroup {
 public:
  ConsumerGroup(std::string group_id, int32_t offsets_partition)
      : group_id_(std::move(group_id)), offsets_partition_(offsets_partition) {}

  const std::string& group_id() const { return group_id_; }
  int32_t offsets_partition() const { return offsets_partition_; }
  int32_t group_epoch() const { return group_epoch_; }
  int32_t assignment_epoch() const { return assignment_epoch_; }
  const std::string& assignor() const { return assignor_; }
  const std::map<std::string, ConsumerMember, std::less<>>& members() const { return members_; }
  const ConsumerMember* member(std::string_view member_id) const;
  // The member's target assignment (empty when it has none).
  const PartitionSet& target(std::string_view member_id) const;
  // "Empty", "Assigning", "Reconciling" or "Stable", as Kafka names them.
  std::string state() const;
  // The member that owns (or is revoking) a partition.
  std::optional<std::string> owner(std::string_view topic, int32_t partition) const;

  // One heartbeat (join, leave, or keep-alive). `member_id` is the id to use
  // for a new member (the coordinator generated it or took the client's).
  // `topics_version` changes whenever `topics` does: the subscribed topics'
  // partition counts are only looked at again then, or when the members or
  // their subscriptions changed.
  ConsumerHeartbeatResponse heartbeat(const ConsumerHeartbeatRequest& req, const TopicPartitionCounts& topics,
                                      uint64_t topics_version, const ConsumerGroupConfig& config, int64_t now_ms);
  // Removes members whose session or revocation deadline has passed; their
  // ids, for logs and tests.
  std::vector<std::string> expire(int64_t now_ms);
  std::optional<int64_t> next_deadline_ms() const;

  // --- persistence (docs/groups.md, "KIP-848": what is persisted)
  // The records of the group as it is now: group epoch (with a hash of the
  // subscribed topics' partition counts), target assignment epoch, and per
  // member its metadata, target and current assignment.
  ConsumerRecordImage record_image() const;
  // A group rebuilt from its records (the last one of each key); nullptr
  // when there is no group metadata record. Sessions start at `now_ms`; a
  // member revoking partitions gets its rebalance timeout from `now_ms`.
  static std::unique_ptr<ConsumerGroup> restore(std::string group_id, int32_t offsets_partition,
                                                const ConsumerRecordImage& image, int64_t now_ms,
                                                const ConsumerGroupConfig& config);

  // Offsets from a member (KIP-848): the member must exist and send its
  // current epoch (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID). Epoch -1 from
  // outside the group (the admin client) is allowed while the group is empty.
  ErrorCode validate_offset_commit(std::string_view member_id, int32_t member_epoch) const;
  ErrorCode validate_offset_fetch(std::string_view member_id, int32_t member_epoch) const;

 private:
  ConsumerHeartbeatResponse leave(const ConsumerHeartbeatRequest& req, const ConsumerGroupConfig& config);
  // Finds or creates the member of a join (epoch 0), `is_new` when created;
  // sets `error` instead.
  ConsumerMember* join_member(const ConsumerHeartbeatRequest& req, const ConsumerGroupConfig& config,
                              ConsumerHeartbeatResponse& error, bool& is_new);
  // Kafka's rules for the epoch a known member sends.
  ErrorCode check_epoch(const ConsumerMember& m, int32_t epoch, const std::optional<PartitionSet>& owned) const;
  // Applies the request's non-null fields; true when the subscription changed.
  bool update_member(ConsumerMember& m, const ConsumerHeartbeatRequest& req);
  void remove_member(const std::string& member_id);
  void release(ConsumerMember& m, const PartitionSet& partitions);
  void take(ConsumerMember& m, const std::string& topic, int32_t partition);
  // The topics a member subscribes to that exist (names and regex).
  std::set<std::string, std::less<>> resolve(const ConsumerMember& m, const TopicPartitionCounts& topics);
  // Whether the subscribed topics or their partition counts moved (the group
  // epoch must go up).
  bool refresh_metadata(const TopicPartitionCounts& topics);
  void compute_target(const TopicPartitionCounts& topics, const ConsumerGroupConfig& config);
  // Moves the member towards its target; see the file comment.
  void reconcile(ConsumerMember& m, const std::optional<PartitionSet>& owned, int64_t now_ms);
  void next_assignment(ConsumerMember& m, const std::optional<PartitionSet>& owned, int64_t now_ms);

  std::string group_id_;
  int32_t offsets_partition_ = 0;
  int32_t group_epoch_ = 0;
  int32_t assignment_epoch_ = 0;
  std::string assignor_ = "uniform";
  std::map<std::string, ConsumerMember, std::less<>> members_;
  std::map<std::string, PartitionSet, std::less<>> target_;
  // Owner of every partition assigned to or being revoked from a member.
  std::map<std::pair<std::string, int32_t>, std::string> owners_;
  // Partition counts of the subscribed topics when the epoch last moved.
  TopicPartitionCounts subscribed_metadata_;
  bool metadata_dirty_ = true;  // members left since the last refresh
  // After a restore: the hash the records held, until the first refresh
  // compares the current topics with it.
  std::optional<int64_t> restored_hash_;
  std::optional<uint64_t> refreshed_version_;
  std::map<std::string, std::regex, std::less<>> regex_cache_;
};

}  // namespace moldau::coordinator
