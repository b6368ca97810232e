// One consumer group of the classic protocol (JoinGroup/SyncGroup), as a
// deterministic state machine. docs/groups.md draws the states and lists the
// timers; Kafka's ClassicGroup and the classic half of its
// GroupMetadataManager define the behaviour this reproduces.
//
//              +-----------------------------------------------+
//              v                                               |
//   Empty --> PreparingRebalance --> CompletingRebalance --> Stable
//     ^              |   ^                   |                 |
//     +--------------+   +-------------------+-----------------+
//   (all members gone)        (membership or metadata changed)
//   Dead: deleted or unloaded; nothing more happens to the group.
//
// A rebalance: members (re)send JoinGroup, which is held; when all known
// members have rejoined (or the rebalance timeout passes, or, for a new
// group, the initial delay) the generation advances, every held JoinGroup is
// answered and the leader's answer carries all members' metadata. Members
// then send SyncGroup; the followers' are held until the leader's brings the
// assignment, which is persisted and handed out. Heartbeats keep members
// alive and tell them (REBALANCE_IN_PROGRESS) to rejoin.
//
// Events take the current time; the group keeps deadlines and `tick` fires
// the ones that have passed. Responses and records go to an Effects.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/group_events.h"
#include "coordinator/group_member.h"
#include "coordinator/member_id.h"
#include "coordinator/offsets_records.h"

namespace moldau::coordinator {

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// Kafka's names: "Empty", "PreparingRebalance", ... (DescribeGroups, ListGroups).
std::string_view group_state_name(GroupState s);

class Group {
 public:
  // A new, empty group.
  Group(std::string group_id, int32_t offsets_partition, const GroupConfig& config,
        MemberIdGenerator& ids, int64_t now_ms);
  // A group as its last GroupMetadataValue record left it: Stable with its
  // members and their assignments, or Empty. Every member must heartbeat
  // within its session timeout from `now_ms`.
  static std::unique_ptr<Group> from_record(std::string group_id, int32_t offsets_partition,
                                            const GroupMetadataValue& record,
                                            const GroupConfig& config, MemberIdGenerator& ids,
                                            int64_t now_ms);
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  // REQUIRES: the session timeout was validated and the group id belongs to
  // this coordinator (GroupCoordinator does both).
  void join(const JoinGroupRequest& req, int64_t now_ms, Effects& fx);
  void sync(const SyncGroupRequest& req, int64_t now_ms, Effects& fx);
  void heartbeat(const HeartbeatRequest& req, int64_t now_ms, Effects& fx);
  void leave(const LeaveGroupRequest& req, int64_t now_ms, Effects& fx);
  // Fires the deadlines due at `now_ms`, in order and each at its own time
  // (at most kMaxDeadlinesPerTick of them; the rest at the next tick).
  void tick(int64_t now_ms, Effects& fx);
  static constexpr int kMaxDeadlinesPerTick = 10000;
  // The earliest pending deadline, for the driver's timer.
  std::optional<int64_t> next_deadline_ms() const;

  // The group goes away (deleted, or its partition unloaded): held requests
  // are answered with `error` and the group turns Dead. No record is written.
  void mark_dead(ErrorCode error, int64_t now_ms, Effects& fx);

  // The GroupMetadataValue of the group as it is now.
  GroupMetadataValue to_record() const;

  const std::string& group_id() const { return group_id_; }
  int32_t offsets_partition() const { return partition_; }
  GroupState state() const { return state_; }
  int32_t generation_id() const { return generation_id_; }
  const std::optional<std::string>& protocol_type() const { return protocol_type_; }
  const std::optional<std::string>& protocol_name() const { return protocol_name_; }
  const std::optional<std::string>& leader_id() const { return leader_id_; }
  int64_t current_state_timestamp_ms() const { return current_state_timestamp_ms_; }
  const std::vector<GroupMember>& members() const { return members_; }
  const GroupMember* member(std::string_view member_id) const;
  bool is_pending_member(std::string_view member_id) const {
    return pending_members_.count(std::string(member_id)) > 0;
  }
  size_t num_pending_members() const { return pending_members_.size(); }
  bool uses_consumer_protocol() const;
  // The topics the members subscribe to, when the group uses the consumer
  // protocol and their metadata parses (computed at each generation).
  const std::optional<std::set<std::string>>& subscribed_topics() const { return subscribed_topics_; }
  // Kafka's ClassicGroup.isSubscribedToTopic: when the topics are unknown, a
  // consumer-protocol group counts as subscribed to everything.
  bool is_subscribed_to(std::string_view topic) const;

  // The commit checks of OffsetCommit for this group (Kafka's
  // ClassicGroup.validateOffsetCommit). kNone when the commit may proceed.
  ErrorCode validate_offset_commit(std::string_view member_id,
                                   const std::optional<std::string>& group_instance_id,
                                   int32_t generation_id) const;

 private:
  // group.cc: membership bookkeeping
  GroupMember* find(std::string_view member_id);
  void add_member(GroupMember m);
  void remove(std::string_view member_id, Effects& fx);
  std::optional<std::string> static_member_id(const std::string& instance_id) const;
  ErrorCode validate_member(std::string_view member_id,
                            const std::optional<std::string>& group_instance_id) const;
  bool supports_protocols(std::string_view type, const std::vector<Protocol>& protocols) const;
  std::set<std::string> candidate_protocols() const;
  std::string select_protocol() const;
  std::optional<std::set<std::string>> compute_subscribed_topics() const;
  size_t num_awaiting_join() const;
  bool has_all_members_joined() const;
  bool can_rebalance() const;
  int32_t rebalance_timeout_ms() const;
  void transition_to(GroupState s, int64_t now_ms);
  void reschedule_heartbeat(GroupMember& m, int64_t now_ms, int64_t timeout_ms);
  void respond_join(GroupMember& m, JoinGroupResponse r, Effects& fx);
  void respond_sync(GroupMember& m, SyncGroupResponse r, Effects& fx);
  std::vector<JoinGroupMember> current_member_metadata() const;
  JoinGroupResponse current_generation_response(const GroupMember& m) const;
  void append_group_record(Effects& fx) const;

  // group_rebalance.cc: the rebalance and its timers
  void maybe_prepare_rebalance_or_complete_join(int64_t now_ms, Effects& fx);
  void prepare_rebalance(int64_t now_ms, Effects& fx);
  void maybe_complete_join_phase(int64_t now_ms, Effects& fx);
  void complete_join(int64_t now_ms, Effects& fx);
  void propagate_assignment(ErrorCode error, int64_t now_ms, Effects& fx);
  void remove_member_and_update_group(std::string_view member_id, int64_t now_ms, Effects& fx);
  void remove_pending_member_and_update_group(std::string_view member_id, int64_t now_ms,
                                              Effects& fx);
  void fire_join_timer(int64_t now_ms, Effects& fx);
  void fire_sync_timer(int64_t now_ms, Effects& fx);
  void fire_heartbeat(std::string member_id, int64_t now_ms, Effects& fx);

  // group_join.cc: JoinGroup
  bool accept_joining_member(std::string_view member_id) const;
  void join_new_member(const JoinGroupRequest& req, int64_t now_ms, Effects& fx);
  void join_existing_member(const JoinGroupRequest& req, int64_t now_ms, Effects& fx);
  void add_member_and_rebalance(const JoinGroupRequest& req, std::string member_id,
                                int64_t now_ms, Effects& fx);
  void update_member_and_rebalance(GroupMember& m, const JoinGroupRequest& req, int64_t now_ms,
                                   Effects& fx);
  void replace_static_member(const JoinGroupRequest& req, const std::string& old_member_id,
                             const std::string& new_member_id, int64_t now_ms, Effects& fx);

  std::string group_id_;
  int32_t partition_;
  const GroupConfig& config_;
  MemberIdGenerator& ids_;

  GroupState state_ = GroupState::kEmpty;
  GroupState previous_state_ = GroupState::kDead;
  int64_t current_state_timestamp_ms_ = -1;
  int32_t generation_id_ = 0;
  std::optional<std::string> protocol_type_;
  std::optional<std::string> protocol_name_;
  std::optional<std::string> leader_id_;
  std::vector<GroupMember> members_;  // in the order they joined
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  std::map<std::string, int64_t> pending_members_;     // member id -> expiry (KIP-394)
  std::set<std::string> pending_sync_members_;
  std::optional<std::set<std::string>> subscribed_topics_;
  // A new group waits group.initial.rebalance.delay.ms for more members,
  // extended while members keep arriving (up to the rebalance timeout).
  bool new_member_added_ = false;

  // The join phase ends at this deadline (the rebalance timeout, or a step
  // of the initial delay when initial_delay_remaining_ms_ is set).
  std::optional<int64_t> join_deadline_ms_;
  std::optional<int64_t> initial_delay_ms_;
  std::optional<int64_t> initial_delay_remaining_ms_;
  // Members that have not sent SyncGroup by this deadline are removed.
  std::optional<int64_t> sync_deadline_ms_;
  int32_t sync_deadline_generation_ = 0;
};

}  // namespace moldau::coordinator
