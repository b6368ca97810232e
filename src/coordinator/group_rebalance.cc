// Group: the rebalance (join phase, generation change, assignment hand-out)
// and the timers that drive it.
#include <algorithm>
#include <cassert>

#include "coordinator/group.h"

namespace moldau::coordinator {

void Group::maybe_prepare_rebalance_or_complete_join(int64_t now_ms, Effects& fx) {
  if (can_rebalance()) {
    prepare_rebalance(now_ms, fx);
  } else {
    maybe_complete_join_phase(now_ms, fx);
  }
}

void Group::prepare_rebalance(int64_t now_ms, Effects& fx) {
  // Members waiting for an assignment must rejoin instead.
  if (state_ == GroupState::kCompletingRebalance) {
    for (auto& m : members_) m.assignment.clear();
    propagate_assignment(ErrorCode::kRebalanceInProgress, now_ms, fx);
  }
  pending_sync_members_.clear();
  sync_deadline_ms_.reset();

  bool initial = state_ == GroupState::kEmpty;
  initial_delay_ms_.reset();
  initial_delay_remaining_ms_.reset();
  if (initial) {
    // A new group: give the other members time to arrive before the first
    // generation, in steps of the initial delay while they keep arriving.
    int64_t delay = config_.initial_rebalance_delay_ms;
    initial_delay_ms_ = delay;
    initial_delay_remaining_ms_ = std::max<int64_t>(rebalance_timeout_ms() - delay, 0);
    new_member_added_ = false;
    join_deadline_ms_ = deadline_after(now_ms, delay);
  }
  transition_to(GroupState::kPreparingRebalance, now_ms);
  if (initial) return;
  if (has_all_members_joined()) return complete_join(now_ms, fx);
  join_deadline_ms_ = deadline_after(now_ms, rebalance_timeout_ms());
}

// The join phase ends early once every member has rejoined, except in a new
// group's first rebalance, which waits out the initial delay.
void Group::maybe_complete_join_phase(int64_t now_ms, Effects& fx) {
  if (state_ != GroupState::kPreparingRebalance) return;
  if (previous_state_ == GroupState::kEmpty) return;
  if (!has_all_members_joined()) return;
  complete_join(now_ms, fx);
}

void Group::complete_join(int64_t now_ms, Effects& fx) {
  join_deadline_ms_.reset();
  initial_delay_ms_.reset();
  initial_delay_remaining_ms_.reset();

  // Dynamic members that did not rejoin are gone; static members stay (their
  // session timeout decides) and keep their place in the next generation.
  std::vector<std::string> gone;
  for (const auto& m : members_) {
    if (!m.awaiting_join() && !m.is_static()) gone.push_back(m.member_id);
  }
  for (const auto& id : gone) remove(id, fx);
  if (state_ == GroupState::kDead) return;

  // The leader must be a member that rejoined. If none did (only static
  // members, all silent), wait another rebalance timeout for their sessions
  // to expire.
  bool have_leader = false;
  if (leader_id_) {
    const GroupMember* leader = member(*leader_id_);
    if (leader && leader->awaiting_join()) {
      have_leader = true;
    } else {
      for (const auto& m : members_) {
        if (m.awaiting_join()) {
          leader_id_ = m.member_id;
          have_leader = true;
          break;
        }
      }
    }
  }
  if (!have_leader && !members_.empty()) {
    join_deadline_ms_ = deadline_after(now_ms, rebalance_timeout_ms());
    return;
  }

  // The next generation.
  ++generation_id_;
  pending_sync_members_.clear();
  if (members_.empty()) {
    protocol_name_.reset();
    subscribed_topics_ = compute_subscribed_topics();
    transition_to(GroupState::kEmpty, now_ms);
    append_group_record(fx);
    return;
  }
  protocol_name_ = select_protocol();
  subscribed_topics_ = compute_subscribed_topics();
  transition_to(GroupState::kCompletingRebalance, now_ms);
  auto everyone = current_member_metadata();
  for (auto& m : members_) {
    JoinGroupResponse r = current_generation_response(m);
    if (leader_id_ == m.member_id) r.members = everyone;
    respond_join(m, std::move(r), fx);
    reschedule_heartbeat(m, now_ms, m.session_timeout_ms);
    m.is_new = false;
    pending_sync_members_.insert(m.member_id);
  }
  sync_deadline_ms_ = deadline_after(now_ms, rebalance_timeout_ms());
  sync_deadline_generation_ = generation_id_;
}

void Group::propagate_assignment(ErrorCode error, int64_t now_ms, Effects& fx) {
  for (auto& m : members_) {
    if (!m.awaiting_sync()) continue;
    SyncGroupResponse r = sync_error(0, error);
    r.assignment = m.assignment;
    if (error == ErrorCode::kNone) {
      r.protocol_type = protocol_type_;
      r.protocol_name = protocol_name_;
    }
    respond_sync(m, std::move(r), fx);
    // Expiries that came due while the member waited were ignored: start its
    // session afresh from here.
    reschedule_heartbeat(m, now_ms, m.session_timeout_ms);
  }
}

void Group::remove_member_and_update_group(std::string_view member_id, int64_t now_ms,
                                           Effects& fx) {
  // A held JoinGroup is answered UNKNOWN_MEMBER_ID so that a live client
  // joins again (remove does it).
  remove(member_id, fx);
  switch (state_) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      maybe_prepare_rebalance_or_complete_join(now_ms, fx);
      break;
    case GroupState::kPreparingRebalance:
      if (has_all_members_joined()) complete_join(now_ms, fx);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

void Group::remove_pending_member_and_update_group(std::string_view member_id, int64_t now_ms,
                                                   Effects& fx) {
  pending_members_.erase(std::string(member_id));
  if (state_ == GroupState::kPreparingRebalance && has_all_members_joined()) {
    complete_join(now_ms, fx);
  }
}

// --- timers ------------------------------------------------------------------------

void Group::fire_join_timer(int64_t now_ms, Effects& fx) {
  join_deadline_ms_.reset();
  if (state_ != GroupState::kPreparingRebalance) return;
  if (initial_delay_remaining_ms_) {
    int64_t delay = *initial_delay_ms_;
    int64_t remaining = *initial_delay_remaining_ms_;
    if (new_member_added_ && remaining != 0) {
      // Members are still arriving: wait another step, within the budget.
      new_member_added_ = false;
      int64_t next_delay = std::min<int64_t>(config_.initial_rebalance_delay_ms, remaining);
      initial_delay_ms_ = next_delay;
      initial_delay_remaining_ms_ = std::max<int64_t>(remaining - delay, 0);
      join_deadline_ms_ = deadline_after(now_ms, next_delay);
      return;
    }
  }
  complete_join(now_ms, fx);
}

void Group::fire_sync_timer(int64_t now_ms, Effects& fx) {
  sync_deadline_ms_.reset();
  if (sync_deadline_generation_ != generation_id_) return;
  if (state_ != GroupState::kCompletingRebalance && state_ != GroupState::kStable) return;
  if (pending_sync_members_.empty()) return;
  // Members that got their JoinGroup answer but never sent SyncGroup.
  std::vector<std::string> silent(pending_sync_members_.begin(), pending_sync_members_.end());
  for (const auto& id : silent) remove(id, fx);
  prepare_rebalance(now_ms, fx);
}

void Group::fire_heartbeat(std::string member_id, int64_t now_ms, Effects& fx) {
  if (is_pending_member(member_id)) {
    if (state_ == GroupState::kDead) {
      pending_members_.erase(member_id);
    } else {
      remove_pending_member_and_update_group(member_id, now_ms, fx);
    }
    return;
  }
  GroupMember* m = find(member_id);
  if (!m) return;
  m->heartbeat_deadline_ms.reset();
  if (state_ == GroupState::kDead) return;
  if (!m->has_satisfied_heartbeat()) remove_member_and_update_group(member_id, now_ms, fx);
}

std::optional<int64_t> Group::next_deadline_ms() const {
  std::optional<int64_t> next;
  auto consider = [&](std::optional<int64_t> d) {
    if (d && (!next || *d < *next)) next = d;
  };
  consider(join_deadline_ms_);
  consider(sync_deadline_ms_);
  for (const auto& m : members_) consider(m.heartbeat_deadline_ms);
  for (const auto& [id, d] : pending_members_) consider(d);
  return next;
}

void Group::tick(int64_t now_ms, Effects& fx) {
  // Fire the due deadlines in order, each at its own time, so that the
  // outcome does not depend on how often the driver ticks. A fired deadline
  // is cleared or moved past the time it fired at, so time advances; the
  // bound only matters for a driver that slept through many tiny timeouts.
  // Ties go join, sync, members, pending members.
  for (int firing = 0; firing < kMaxDeadlinesPerTick; ++firing) {
    enum class Kind { kNone, kJoin, kSync, kMember, kPending } kind = Kind::kNone;
    int64_t at = 0;
    std::string who;
    auto consider = [&](std::optional<int64_t> d, Kind k, const std::string* id) {
      if (!d || *d > now_ms) return;
      if (kind != Kind::kNone && *d >= at) return;
      kind = k;
      at = *d;
      if (id) who = *id;
    };
    consider(join_deadline_ms_, Kind::kJoin, nullptr);
    consider(sync_deadline_ms_, Kind::kSync, nullptr);
    for (const auto& m : members_) consider(m.heartbeat_deadline_ms, Kind::kMember, &m.member_id);
    for (const auto& [id, d] : pending_members_) consider(d, Kind::kPending, &id);
    switch (kind) {
      case Kind::kNone: return;
      case Kind::kJoin: fire_join_timer(at, fx); break;
      case Kind::kSync: fire_sync_timer(at, fx); break;
      case Kind::kMember:
      case Kind::kPending: fire_heartbeat(who, at, fx); break;
    }
  }
}

}  // namespace moldau::coordinator
