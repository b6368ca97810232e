// Group: JoinGroup. New members get an id (and, from version 4, are asked to
// come back with it: KIP-394); static members replace their previous
// incarnation (KIP-345); known members rejoin, which starts a rebalance when
// something changed.
#include <algorithm>
#include <cassert>

#include "coordinator/group.h"

namespace moldau::coordinator {

namespace {
constexpr int16_t kJoinVersionRequiringMemberId = 4;
constexpr int16_t kJoinVersionSkippingAssignment = 9;
}  // namespace

void Group::join(const JoinGroupRequest& req, int64_t now_ms, Effects& fx) {
  if (!accept_joining_member(req.member_id)) {
    remove(req.member_id, fx);
    fx.responses.emplace_back(
        join_error(req.handle, ErrorCode::kGroupMaxSizeReached));
    return;
  }
  if (req.member_id.empty()) {
    join_new_member(req, now_ms, fx);
  } else {
    join_existing_member(req, now_ms, fx);
  }
}

// group.max.size counts the members that are in (or rejoining) the group.
bool Group::accept_joining_member(std::string_view member_id) const {
  const GroupMember* m = member(member_id);
  size_t max = size_t(std::max(config_.max_size, 0));
  switch (state_) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return true;
    case GroupState::kPreparingRebalance:
      // Counting only the members that rejoined lets a group whose limit was
      // lowered shed the members that rejoin last.
      return (m && m->awaiting_join()) || num_awaiting_join() < max;
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      return m || members_.size() < max;
  }
  return false;
}

void Group::join_new_member(const JoinGroupRequest& req, int64_t now_ms, Effects& fx) {
  auto reply = [&](ErrorCode e) {
    fx.responses.emplace_back(join_error(req.handle, e));
  };
  // A Dead group was just deleted or unloaded: the member rediscovers its
  // coordinator and comes back.
  if (state_ == GroupState::kDead) return reply(ErrorCode::kCoordinatorNotAvailable);
  if (!supports_protocols(req.protocol_type, req.protocols)) {
    return reply(ErrorCode::kInconsistentGroupProtocol);
  }
  std::string new_id = ids_.member_id(req.client_id, req.group_instance_id);
  if (req.group_instance_id) {
    if (auto old_id = static_member_id(*req.group_instance_id)) {
      return replace_static_member(req, *old_id, new_id, now_ms, fx);
    }
    return add_member_and_rebalance(req, std::move(new_id), now_ms, fx);
  }
  if (req.api_version >= kJoinVersionRequiringMemberId) {
    // The member is only pending until it joins again with this id, which
    // proves the client got it; a client that retries blindly leaves no
    // member behind. Pending members hold up the join phase.
    pending_members_[new_id] = deadline_after(now_ms, req.session_timeout_ms);
    fx.responses.emplace_back(join_error(req.handle, ErrorCode::kMemberIdRequired, new_id));
    return;
  }
  add_member_and_rebalance(req, std::move(new_id), now_ms, fx);
}

void Group::join_existing_member(const JoinGroupRequest& req, int64_t now_ms, Effects& fx) {
  auto reply = [&](ErrorCode e) {
    fx.responses.emplace_back(
        join_error(req.handle, e, req.member_id));
  };
  if (state_ == GroupState::kDead) return reply(ErrorCode::kCoordinatorNotAvailable);
  if (!supports_protocols(req.protocol_type, req.protocols)) {
    return reply(ErrorCode::kInconsistentGroupProtocol);
  }
  if (is_pending_member(req.member_id)) {
    // Pending ids are only handed to dynamic members; Kafka fails such a
    // request with an internal error.
    if (req.group_instance_id) return reply(ErrorCode::kUnknownServerError);
    return add_member_and_rebalance(req, req.member_id, now_ms, fx);
  }
  if (ErrorCode e = validate_member(req.member_id, req.group_instance_id); e != ErrorCode::kNone) {
    return reply(e);
  }
  GroupMember& m = *find(req.member_id);
  switch (state_) {
    case GroupState::kPreparingRebalance:
      return update_member_and_rebalance(m, req, now_ms, fx);
    case GroupState::kCompletingRebalance:
      if (m.matches(req.protocols)) {
        // Same metadata: the member probably lost our JoinGroup answer.
        // Answer again with the current generation.
        JoinGroupResponse r = current_generation_response(m);
        r.handle = req.handle;
        if (leader_id_ == m.member_id) r.members = current_member_metadata();
        fx.responses.emplace_back(std::move(r));
        return;
      }
      return update_member_and_rebalance(m, req, now_ms, fx);
    case GroupState::kStable:
      // The leader rejoining always rebalances: that is how a consumer leader
      // reacts to changes the metadata does not show (new partitions). So
      // does a member whose metadata changed (for the cooperative protocol,
      // a member that gave up partitions: its owned partitions changed). A
      // follower with the same metadata just gets the current generation
      // again and syncs to fetch its assignment.
      if (leader_id_ == m.member_id || !m.matches(req.protocols)) {
        return update_member_and_rebalance(m, req, now_ms, fx);
      } else {
        JoinGroupResponse r = current_generation_response(m);
        r.handle = req.handle;
        fx.responses.emplace_back(std::move(r));
        return;
      }
    case GroupState::kEmpty:
    case GroupState::kDead:
      return reply(ErrorCode::kUnknownMemberId);
  }
}

void Group::add_member_and_rebalance(const JoinGroupRequest& req, std::string member_id,
                                     int64_t now_ms, Effects& fx) {
  GroupMember m;
  m.member_id = std::move(member_id);
  m.group_instance_id = req.group_instance_id;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.session_timeout_ms = req.session_timeout_ms;
  m.protocol_type = req.protocol_type;
  m.protocols = req.protocols;
  m.join_handle = req.handle;
  m.is_new = true;
  // A member arriving during a new group's first rebalance extends its
  // initial delay.
  if (state_ == GroupState::kPreparingRebalance && previous_state_ == GroupState::kEmpty) {
    new_member_added_ = true;
  }
  std::string id = m.member_id;
  add_member(std::move(m));
  // A new member cannot heartbeat while its JoinGroup is held, and a client
  // that timed out and retried would leave it behind: bound the wait.
  reschedule_heartbeat(*find(id), now_ms, config_.new_member_join_timeout_ms);
  maybe_prepare_rebalance_or_complete_join(now_ms, fx);
}

void Group::update_member_and_rebalance(GroupMember& m, const JoinGroupRequest& req,
                                        int64_t now_ms, Effects& fx) {
  m.protocols = req.protocols;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.session_timeout_ms = req.session_timeout_ms;
  // A second JoinGroup while one is held replaces it. Kafka drops the first
  // one; we answer it so that no handle is left behind.
  respond_join(m, join_error(0, ErrorCode::kRebalanceInProgress, m.member_id),
               fx);
  m.join_handle = req.handle;
  maybe_prepare_rebalance_or_complete_join(now_ms, fx);
}

// A static member came back with no member id: it restarted. It takes over
// its previous incarnation's place (and assignment) under a new member id;
// the previous incarnation, if still alive, is fenced.
void Group::replace_static_member(const JoinGroupRequest& req, const std::string& old_member_id,
                                  const std::string& new_member_id, int64_t now_ms,
                                  Effects& fx) {
  std::optional<std::string> previous_leader = leader_id_;
  GroupMember& m = *find(old_member_id);
  respond_join(m, join_error(0, ErrorCode::kFencedInstanceId, old_member_id),
               fx);
  respond_sync(m, sync_error(0, ErrorCode::kFencedInstanceId), fx);
  m.member_id = new_member_id;
  static_members_[*req.group_instance_id] = new_member_id;
  if (leader_id_ == old_member_id) leader_id_ = new_member_id;
  // Kafka leaves the old id in the pending-sync set, so that the new
  // incarnation's SyncGroup does not count; we carry it over.
  if (pending_sync_members_.erase(old_member_id)) pending_sync_members_.insert(new_member_id);
  reschedule_heartbeat(m, now_ms, m.session_timeout_ms);
  m.protocols = req.protocols;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.session_timeout_ms = req.session_timeout_ms;
  m.join_handle = req.handle;

  switch (state_) {
    case GroupState::kStable:
      if (protocol_name_ == select_protocol()) {
        // Nothing the assignment depends on changed: no rebalance. Persist
        // the new member id and answer with the current generation.
        append_group_record(fx);
        JoinGroupResponse r = current_generation_response(m);
        if (req.api_version >= kJoinVersionSkippingAssignment) {
          // KIP-814: a leader learns it leads (to watch metadata) but must
          // not assign.
          bool is_leader = leader_id_ == new_member_id;
          if (is_leader) r.members = current_member_metadata();
          r.skip_assignment = is_leader;
        } else {
          // Older clients are told the previous leader id, so that a
          // restarted leader does not compute an assignment nobody would
          // receive.
          r.leader = previous_leader.value_or("");
        }
        respond_join(m, std::move(r), fx);
        return;
      }
      return maybe_prepare_rebalance_or_complete_join(now_ms, fx);
    case GroupState::kCompletingRebalance:
      // The leader may already be assigning to the old member id: start over.
      return prepare_rebalance(now_ms, fx);
    case GroupState::kPreparingRebalance:
      return maybe_complete_join_phase(now_ms, fx);
    case GroupState::kEmpty:
    case GroupState::kDead:
      assert(false && "a group with a static member is neither Empty nor Dead");
      return;
  }
}

}  // namespace moldau::coordinator
