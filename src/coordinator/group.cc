// Group: membership bookkeeping, SyncGroup, Heartbeat, LeaveGroup and the
// records of the group. The rebalance itself is in group_rebalance.cc and
// JoinGroup in group_join.cc.
#include "coordinator/group.h"

#include <algorithm>
#include <cassert>

#include "coordinator/consumer_protocol.h"

namespace moldau::coordinator {

std::string_view group_state_name(GroupState s) {
  switch (s) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Unknown";
}

Group::Group(std::string group_id, int32_t offsets_partition, const GroupConfig& config,
             MemberIdGenerator& ids, int64_t now_ms)
    : group_id_(std::move(group_id)),
      partition_(offsets_partition),
      config_(config),
      ids_(ids),
      current_state_timestamp_ms_(now_ms) {}

std::unique_ptr<Group> Group::from_record(std::string group_id, int32_t offsets_partition,
                                          const GroupMetadataValue& record,
                                          const GroupConfig& config, MemberIdGenerator& ids,
                                          int64_t now_ms) {
  auto g = std::make_unique<Group>(std::move(group_id), offsets_partition, config, ids, now_ms);
  if (!record.protocol_type.empty()) g->protocol_type_ = record.protocol_type;
  g->generation_id_ = record.generation;
  g->protocol_name_ = record.protocol;
  g->current_state_timestamp_ms_ = record.current_state_timestamp_ms;
  for (const auto& rm : record.members) {
    if (g->find(rm.member_id)) continue;  // a corrupt record: keep the first
    if (rm.group_instance_id && g->static_members_.count(*rm.group_instance_id)) continue;
    GroupMember m;
    m.member_id = rm.member_id;
    m.group_instance_id = rm.group_instance_id;
    m.client_id = rm.client_id;
    m.client_host = rm.client_host;
    m.rebalance_timeout_ms = rm.rebalance_timeout_ms;
    m.session_timeout_ms = rm.session_timeout_ms;
    m.protocol_type = record.protocol_type;
    m.protocols.push_back(Protocol{record.protocol.value_or(""), rm.subscription});
    m.assignment = rm.assignment;
    g->reschedule_heartbeat(m, now_ms, m.session_timeout_ms);
    if (m.group_instance_id) g->static_members_[*m.group_instance_id] = m.member_id;
    g->members_.push_back(std::move(m));
  }
  if (record.leader && g->find(*record.leader)) {
    g->leader_id_ = record.leader;
  } else if (!g->members_.empty()) {
    g->leader_id_ = g->members_.front().member_id;
  }
  g->state_ = g->members_.empty() ? GroupState::kEmpty : GroupState::kStable;
  g->subscribed_topics_ = g->compute_subscribed_topics();
  return g;
}

// --- membership ----------------------------------------------------------------

const GroupMember* Group::member(std::string_view member_id) const {
  for (const auto& m : members_) {
    if (m.member_id == member_id) return &m;
  }
  return nullptr;
}

GroupMember* Group::find(std::string_view member_id) {
  return const_cast<GroupMember*>(std::as_const(*this).member(member_id));
}

void Group::add_member(GroupMember m) {
  assert(!find(m.member_id));
  if (m.group_instance_id) {
    assert(!static_members_.count(*m.group_instance_id));
    static_members_[*m.group_instance_id] = m.member_id;
  }
  if (members_.empty()) protocol_type_ = m.protocol_type;
  if (!leader_id_) leader_id_ = m.member_id;
  pending_members_.erase(m.member_id);
  members_.push_back(std::move(m));
}

void Group::remove(std::string_view member_id, Effects& fx) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const GroupMember& m) { return m.member_id == member_id; });
  std::string id(member_id);
  if (it != members_.end()) {
    // Kafka drops the futures of a removed member; we answer them so that no
    // handle is left without a response.
    respond_join(*it, join_error(0, ErrorCode::kUnknownMemberId), fx);
    respond_sync(*it, sync_error(0, ErrorCode::kUnknownMemberId), fx);
    if (it->group_instance_id) {
      auto s = static_members_.find(*it->group_instance_id);
      if (s != static_members_.end() && s->second == id) static_members_.erase(s);
    }
    members_.erase(it);
  }
  if (leader_id_ == id) {
    leader_id_.reset();
    if (!members_.empty()) leader_id_ = members_.front().member_id;
  }
  pending_members_.erase(id);
  pending_sync_members_.erase(id);
}

std::optional<std::string> Group::static_member_id(const std::string& instance_id) const {
  auto it = static_members_.find(instance_id);
  if (it == static_members_.end()) return std::nullopt;
  return it->second;
}

ErrorCode Group::validate_member(std::string_view member_id,
                                 const std::optional<std::string>& group_instance_id) const {
  if (group_instance_id) {
    auto existing = static_member_id(*group_instance_id);
    if (!existing) return ErrorCode::kUnknownMemberId;
    if (*existing != member_id) return ErrorCode::kFencedInstanceId;
  }
  return member(member_id) ? ErrorCode::kNone : ErrorCode::kUnknownMemberId;
}

namespace {
// How many members support each protocol (a member counts once per name).
std::map<std::string, size_t> protocol_support(const std::vector<GroupMember>& members) {
  std::map<std::string, size_t> counts;
  for (const auto& m : members) {
    std::set<std::string> names;
    for (const auto& p : m.protocols) names.insert(p.name);
    for (const auto& n : names) ++counts[n];
  }
  return counts;
}
}  // namespace

bool Group::supports_protocols(std::string_view type, const std::vector<Protocol>& protocols) const {
  if (state_ == GroupState::kEmpty) return !type.empty() && !protocols.empty();
  if (protocol_type_ != type) return false;
  auto counts = protocol_support(members_);
  return std::any_of(protocols.begin(), protocols.end(), [&](const Protocol& p) {
    auto it = counts.find(p.name);
    return (it == counts.end() ? 0 : it->second) == members_.size();
  });
}

std::set<std::string> Group::candidate_protocols() const {
  std::set<std::string> out;
  for (const auto& [name, n] : protocol_support(members_)) {
    if (n == members_.size()) out.insert(name);
  }
  return out;
}

// Every member votes for its most preferred candidate; most votes wins. Kafka
// breaks ties by hash order; we take the one the earliest member voted for.
std::string Group::select_protocol() const {
  assert(!members_.empty());
  auto candidates = candidate_protocols();
  std::vector<std::pair<std::string, int>> votes;  // in order of first vote
  for (const auto& m : members_) {
    const std::string& v = m.vote(candidates);
    auto it = std::find_if(votes.begin(), votes.end(), [&](const auto& e) { return e.first == v; });
    if (it == votes.end()) {
      votes.emplace_back(v, 1);
    } else {
      ++it->second;
    }
  }
  auto best = votes.begin();
  for (auto it = votes.begin(); it != votes.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  return best->first;
}

bool Group::uses_consumer_protocol() const { return protocol_type_ == kConsumerProtocolType; }

std::optional<std::set<std::string>> Group::compute_subscribed_topics() const {
  if (!uses_consumer_protocol()) return std::nullopt;
  if (members_.empty()) return std::set<std::string>();
  if (!protocol_name_) return std::nullopt;
  std::set<std::string> all;
  for (const auto& m : members_) {
    const Bytes* md = m.metadata(*protocol_name_);
    if (!md) return std::nullopt;
    auto topics = subscription_topics(*md);
    if (!topics) return std::nullopt;
    all.insert(topics->begin(), topics->end());
  }
  return all;
}

bool Group::is_subscribed_to(std::string_view topic) const {
  if (subscribed_topics_) return subscribed_topics_->count(std::string(topic)) > 0;
  return uses_consumer_protocol();
}

size_t Group::num_awaiting_join() const {
  return size_t(std::count_if(members_.begin(), members_.end(),
                              [](const GroupMember& m) { return m.awaiting_join(); }));
}

bool Group::has_all_members_joined() const {
  return members_.size() == num_awaiting_join() && pending_members_.empty();
}

bool Group::can_rebalance() const {
  return state_ == GroupState::kStable || state_ == GroupState::kCompletingRebalance ||
         state_ == GroupState::kEmpty;
}

int32_t Group::rebalance_timeout_ms() const {
  int32_t t = 0;
  for (const auto& m : members_) t = std::max(t, m.rebalance_timeout_ms);
  return t;
}

namespace {
[[maybe_unused]] bool valid_transition(GroupState from, GroupState to) {
  using S = GroupState;
  switch (to) {
    case S::kPreparingRebalance:
      return from == S::kStable || from == S::kCompletingRebalance || from == S::kEmpty;
    case S::kCompletingRebalance: return from == S::kPreparingRebalance;
    case S::kStable: return from == S::kCompletingRebalance;
    case S::kEmpty: return from == S::kPreparingRebalance;
    case S::kDead: return true;
  }
  return false;
}
}  // namespace

void Group::transition_to(GroupState s, int64_t now_ms) {
  assert(valid_transition(state_, s));
  previous_state_ = state_;
  state_ = s;
  current_state_timestamp_ms_ = now_ms;
}

void Group::reschedule_heartbeat(GroupMember& m, int64_t now_ms, int64_t timeout_ms) {
  m.heartbeat_deadline_ms = deadline_after(now_ms, timeout_ms);
}

void Group::respond_join(GroupMember& m, JoinGroupResponse r, Effects& fx) {
  if (!m.join_handle) return;
  r.handle = *m.join_handle;
  m.join_handle.reset();
  fx.responses.emplace_back(std::move(r));
}

void Group::respond_sync(GroupMember& m, SyncGroupResponse r, Effects& fx) {
  if (!m.sync_handle) return;
  r.handle = *m.sync_handle;
  m.sync_handle.reset();
  fx.responses.emplace_back(std::move(r));
}

std::vector<JoinGroupMember> Group::current_member_metadata() const {
  std::vector<JoinGroupMember> out;
  out.reserve(members_.size());
  for (const auto& m : members_) {
    const Bytes* md = protocol_name_ ? m.metadata(*protocol_name_) : nullptr;
    out.push_back(JoinGroupMember{m.member_id, m.group_instance_id, md ? *md : Bytes()});
  }
  return out;
}

JoinGroupResponse Group::current_generation_response(const GroupMember& m) const {
  JoinGroupResponse r;
  r.generation_id = generation_id_;
  r.protocol_type = protocol_type_;
  r.protocol_name = protocol_name_;
  r.leader = leader_id_.value_or("");
  r.member_id = m.member_id;
  return r;
}

GroupMetadataValue Group::to_record() const {
  GroupMetadataValue v;
  v.protocol_type = protocol_type_.value_or("");
  v.generation = generation_id_;
  v.protocol = protocol_name_;
  v.leader = leader_id_;
  v.current_state_timestamp_ms = current_state_timestamp_ms_;
  for (const auto& m : members_) {
    const Bytes* md = protocol_name_ ? m.metadata(*protocol_name_) : nullptr;
    v.members.push_back(GroupMemberMetadata{m.member_id, m.group_instance_id, m.client_id,
                                            m.client_host, m.rebalance_timeout_ms,
                                            m.session_timeout_ms, md ? *md : Bytes(),
                                            m.assignment});
  }
  return v;
}

void Group::append_group_record(Effects& fx) const {
  fx.records.push_back(OffsetsRecord{partition_, encode_key(GroupMetadataKey{group_id_}),
                                     encode_value(to_record())});
}

// --- SyncGroup, Heartbeat, LeaveGroup ---------------------------------------------

void Group::sync(const SyncGroupRequest& req, int64_t now_ms, Effects& fx) {
  auto reply = [&](ErrorCode e) {
    fx.responses.emplace_back(sync_error(req.handle, e));
  };
  if (state_ == GroupState::kDead) return reply(ErrorCode::kCoordinatorNotAvailable);
  if (ErrorCode e = validate_member(req.member_id, req.group_instance_id); e != ErrorCode::kNone) {
    return reply(e);
  }
  if (req.generation_id != generation_id_) return reply(ErrorCode::kIllegalGeneration);
  auto inconsistent = [](const std::optional<std::string>& asked,
                         const std::optional<std::string>& ours) {
    return asked && ours && *asked != *ours;
  };
  if (inconsistent(req.protocol_type, protocol_type_) ||
      inconsistent(req.protocol_name, protocol_name_)) {
    return reply(ErrorCode::kInconsistentGroupProtocol);
  }
  GroupMember& m = *find(req.member_id);
  switch (state_) {
    case GroupState::kEmpty: return reply(ErrorCode::kUnknownMemberId);
    case GroupState::kPreparingRebalance: return reply(ErrorCode::kRebalanceInProgress);
    case GroupState::kStable: {
      pending_sync_members_.erase(m.member_id);
      if (pending_sync_members_.empty()) sync_deadline_ms_.reset();
      reschedule_heartbeat(m, now_ms, m.session_timeout_ms);
      fx.responses.emplace_back(SyncGroupResponse{req.handle, ErrorCode::kNone, protocol_type_,
                                                  protocol_name_, m.assignment});
      return;
    }
    case GroupState::kCompletingRebalance: break;
    case GroupState::kDead: return;  // handled above
  }
  // CompletingRebalance: hold the request until the leader's assignment.
  respond_sync(m, sync_error(0, ErrorCode::kRebalanceInProgress), fx);  // superseded
  m.sync_handle = req.handle;
  pending_sync_members_.erase(m.member_id);
  if (pending_sync_members_.empty()) sync_deadline_ms_.reset();
  if (leader_id_ != m.member_id) return;

  // The leader's assignment: members it left out get an empty one, ids that
  // are not members are ignored.
  std::map<std::string, const Bytes*> given;
  for (const auto& a : req.assignments) given[a.member_id] = &a.assignment;
  for (auto& member : members_) {
    auto it = given.find(member.member_id);
    member.assignment = it == given.end() ? Bytes() : *it->second;
  }
  append_group_record(fx);
  transition_to(GroupState::kStable, now_ms);
  propagate_assignment(ErrorCode::kNone, now_ms, fx);
}

void Group::heartbeat(const HeartbeatRequest& req, int64_t now_ms, Effects& fx) {
  auto reply = [&](ErrorCode e) {
    fx.responses.emplace_back(HeartbeatResponse{req.handle, e});
  };
  if (state_ == GroupState::kDead) return reply(ErrorCode::kCoordinatorNotAvailable);
  if (ErrorCode e = validate_member(req.member_id, req.group_instance_id); e != ErrorCode::kNone) {
    return reply(e);
  }
  if (req.generation_id != generation_id_) return reply(ErrorCode::kIllegalGeneration);
  GroupMember& m = *find(req.member_id);
  switch (state_) {
    case GroupState::kEmpty: return reply(ErrorCode::kUnknownMemberId);
    case GroupState::kPreparingRebalance:
      reschedule_heartbeat(m, now_ms, m.session_timeout_ms);
      return reply(ErrorCode::kRebalanceInProgress);
    case GroupState::kCompletingRebalance:  // members may heartbeat before SyncGroup
    case GroupState::kStable:
      reschedule_heartbeat(m, now_ms, m.session_timeout_ms);
      return reply(ErrorCode::kNone);
    case GroupState::kDead: return;
  }
}

void Group::leave(const LeaveGroupRequest& req, int64_t now_ms, Effects& fx) {
  LeaveGroupResponse r;
  r.handle = req.handle;
  if (state_ == GroupState::kDead) {
    r.error = ErrorCode::kCoordinatorNotAvailable;
    fx.responses.emplace_back(std::move(r));
    return;
  }
  for (const auto& who : req.members) {
    LeaveGroupMemberResponse mr{who.member_id, who.group_instance_id, ErrorCode::kNone};
    if (who.member_id.empty()) {
      // An administrator removes a static member by its instance id alone.
      auto id = who.group_instance_id ? static_member_id(*who.group_instance_id) : std::nullopt;
      if (id) {
        remove_member_and_update_group(*id, now_ms, fx);
      } else {
        mr.error = ErrorCode::kUnknownMemberId;
      }
    } else if (is_pending_member(who.member_id)) {
      remove_pending_member_and_update_group(who.member_id, now_ms, fx);
    } else {
      mr.error = validate_member(who.member_id, who.group_instance_id);
      if (mr.error == ErrorCode::kNone) remove_member_and_update_group(who.member_id, now_ms, fx);
    }
    r.members.push_back(std::move(mr));
  }
  fx.responses.emplace_back(std::move(r));
}

ErrorCode Group::validate_offset_commit(std::string_view member_id,
                                        const std::optional<std::string>& group_instance_id,
                                        int32_t generation_id) const {
  if (state_ == GroupState::kDead) return ErrorCode::kCoordinatorNotAvailable;
  // Generation -1 in an empty group: the admin client or a consumer that
  // assigns partitions itself.
  if (generation_id < 0 && state_ == GroupState::kEmpty) return ErrorCode::kNone;
  if (generation_id >= 0 || !member_id.empty() || group_instance_id) {
    if (ErrorCode e = validate_member(member_id, group_instance_id); e != ErrorCode::kNone) return e;
    if (generation_id != generation_id_) return ErrorCode::kIllegalGeneration;
  } else if (state_ != GroupState::kEmpty) {
    return ErrorCode::kUnknownMemberId;  // version 0 commits only to empty groups
  }
  // The member has the new generation but not its assignment yet. (During
  // PreparingRebalance commits with the current generation are accepted: a
  // cooperative member keeps consuming, and committing, while it rejoins.)
  if (state_ == GroupState::kCompletingRebalance) return ErrorCode::kRebalanceInProgress;
  return ErrorCode::kNone;
}

void Group::mark_dead(ErrorCode error, int64_t now_ms, Effects& fx) {
  for (auto& m : members_) {
    respond_join(m, join_error(0, error, m.member_id), fx);
    respond_sync(m, sync_error(0, error), fx);
    m.heartbeat_deadline_ms.reset();
  }
  pending_members_.clear();
  pending_sync_members_.clear();
  join_deadline_ms_.reset();
  initial_delay_ms_.reset();
  initial_delay_remaining_ms_.reset();
  sync_deadline_ms_.reset();
  transition_to(GroupState::kDead, now_ms);
}

}  // namespace moldau::coordinator
