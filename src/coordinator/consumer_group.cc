#include "coordinator/consumer_group.h"

#include <algorithm>
#include <cassert>

namespace moldau::coordinator {

namespace {

constexpr int32_t kLeaveEpoch = -1;
constexpr int32_t kStaticLeaveEpoch = -2;
// Compiled regexes kept per group; cleared when it grows past this.
constexpr size_t kMaxCachedRegexes = 64;

bool contains(const PartitionSet& s, const std::string& topic, int32_t p) {
  auto it = s.find(topic);
  return it != s.end() && it->second.contains(p);
}

bool intersects(const PartitionSet& a, const PartitionSet& b) {
  for (const auto& [t, ps] : a) {
    for (int32_t p : ps) {
      if (contains(b, t, p)) return true;
    }
  }
  return false;
}

bool subset_of(const PartitionSet& a, const PartitionSet& b) {
  for (const auto& [t, ps] : a) {
    for (int32_t p : ps) {
      if (!contains(b, t, p)) return false;
    }
  }
  return true;
}

// Kafka leaves internal topics out of regex subscriptions.
bool is_internal(const std::string& topic) { return topic.starts_with("__"); }

// FNV-1a (64 bits) over the subscribed topics' names and partition counts:
// what the group metadata record keeps of them (Kafka's own hash differs).
int64_t metadata_hash(const TopicPartitionCounts& topics) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  for (const auto& [name, count] : topics) {
    mix(name.data(), name.size());
    const uint8_t sep = 0;
    mix(&sep, 1);
    mix(&count, sizeof count);
  }
  return int64_t(h == 0 ? 1 : h);
}

int8_t state_code(ConsumerMemberState s) {
  switch (s) {
    case ConsumerMemberState::kStable: return 0;
    case ConsumerMemberState::kUnrevokedPartitions: return 1;
    case ConsumerMemberState::kUnreleasedPartitions: return 2;
  }
  return 0;
}

ConsumerHeartbeatResponse error_response(ErrorCode e, std::string message) {
  ConsumerHeartbeatResponse r;
  r.error = e;
  r.error_message = std::move(message);
  return r;
}

}  // namespace

const ConsumerMember* ConsumerGroup::member(std::string_view member_id) const {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

const PartitionSet& ConsumerGroup::target(std::string_view member_id) const {
  static const PartitionSet kEmpty;
  auto it = target_.find(member_id);
  return it == target_.end() ? kEmpty : it->second;
}

std::string ConsumerGroup::state() const {
  if (members_.empty()) return "Empty";
  if (assignment_epoch_ != group_epoch_) return "Assigning";
  for (const auto& [id, m] : members_) {
    if (m.member_epoch != assignment_epoch_ || m.state != ConsumerMemberState::kStable) return "Reconciling";
  }
  return "Stable";
}

std::optional<std::string> ConsumerGroup::owner(std::string_view topic, int32_t partition) const {
  auto it = owners_.find({std::string(topic), partition});
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

ConsumerHeartbeatResponse ConsumerGroup::heartbeat(const ConsumerHeartbeatRequest& req,
                                                   const TopicPartitionCounts& topics, uint64_t topics_version,
                                                   const ConsumerGroupConfig& config, int64_t now_ms) {
  if (req.member_epoch == kLeaveEpoch || req.member_epoch == kStaticLeaveEpoch) return leave(req, config);
  ConsumerHeartbeatResponse resp;
  bool bump = false;
  ConsumerMember* m = nullptr;
  if (req.member_epoch == 0) {
    m = join_member(req, config, resp, bump);
    if (!m) return resp;
  } else {
    auto it = members_.find(req.member_id);
    if (it == members_.end()) {
      return error_response(ErrorCode::kUnknownMemberId,
                            "member " + req.member_id + " is not a member of group " + group_id_);
    }
    m = &it->second;
    if (req.instance_id && m->instance_id != req.instance_id) {
      return error_response(ErrorCode::kFencedInstanceId, "the instance id belongs to another member");
    }
    if (ErrorCode e = check_epoch(*m, req.member_epoch, req.owned); e != ErrorCode::kNone) {
      return error_response(e, "member epoch " + std::to_string(req.member_epoch) + " is not the current one (" +
                                   std::to_string(m->member_epoch) + ")");
    }
  }
  if (update_member(*m, req)) bump = true;
  m->session_deadline_ms = now_ms + config.session_timeout_ms;
  if (bump || metadata_dirty_ || refreshed_version_ != topics_version) {
    if (refresh_metadata(topics)) bump = true;
    refreshed_version_ = topics_version;
    metadata_dirty_ = false;
  }
  if (bump) ++group_epoch_;
  if (assignment_epoch_ < group_epoch_) compute_target(topics, config);

  const PartitionSet before = m->assigned;
  reconcile(*m, req.owned, now_ms);
  resp.member_id = m->member_id;
  resp.member_epoch = m->member_epoch;
  resp.heartbeat_interval_ms = config.heartbeat_interval_ms;
  const bool full = req.member_epoch == 0 ||
                    (req.rebalance_timeout_ms != -1 && req.subscribed_topic_names && req.owned);
  // Kafka sends the assignment on a full request or when it changed. A
  // member still at its previous epoch missed the answer that moved it on;
  // it gets the assignment again rather than waiting for its own full
  // request.
  const bool behind = req.member_epoch != m->member_epoch;
  if (full || behind || m->assigned != before) resp.assignment = m->assigned;
  return resp;
}

ConsumerHeartbeatResponse ConsumerGroup::leave(const ConsumerHeartbeatRequest& req, const ConsumerGroupConfig& config) {
  auto it = members_.find(req.member_id);
  if (it == members_.end()) {
    return error_response(ErrorCode::kUnknownMemberId, "member " + req.member_id + " is not a member of group " + group_id_);
  }
  ConsumerMember& m = it->second;
  if (req.instance_id && m.instance_id != req.instance_id) {
    return error_response(ErrorCode::kFencedInstanceId, "the instance id belongs to another member");
  }
  ConsumerHeartbeatResponse resp;
  resp.member_id = req.member_id;
  resp.member_epoch = req.member_epoch;
  resp.heartbeat_interval_ms = config.heartbeat_interval_ms;
  if (req.member_epoch == kStaticLeaveEpoch && m.instance_id) {
    // A static member going away for a while: it keeps its place and its
    // partitions until a new incarnation takes them over or the session
    // ends.
    m.member_epoch = kStaticLeaveEpoch;
    return resp;
  }
  remove_member(req.member_id);
  ++group_epoch_;
  return resp;
}

ConsumerMember* ConsumerGroup::join_member(const ConsumerHeartbeatRequest& req, const ConsumerGroupConfig& config,
                                           ConsumerHeartbeatResponse& error, bool& is_new) {
  if (req.instance_id) {
    auto prev = std::find_if(members_.begin(), members_.end(),
                             [&](const auto& kv) { return kv.second.instance_id == req.instance_id; });
    if (prev != members_.end() && prev->first != req.member_id) {
      if (prev->second.member_epoch != kStaticLeaveEpoch) {
        error = error_response(ErrorCode::kUnreleasedInstanceId,
                               "instance id " + *req.instance_id + " is in use by member " + prev->first);
        return nullptr;
      }
      // The new incarnation takes the old one's place, partitions and
      // target: no rebalance.
      ConsumerMember m = prev->second;
      const std::string old_id = prev->first;
      // What the old incarnation was giving up is free: it owns nothing now.
      release(m, m.pending_revocation);
      m.pending_revocation.clear();
      m.member_id = req.member_id;
      m.member_epoch = 0;
      m.previous_member_epoch = -1;
      m.state = ConsumerMemberState::kStable;
      m.revocation_deadline_ms.reset();
      members_.erase(prev);
      for (auto& [tp, owner] : owners_) {
        if (owner == old_id) owner = req.member_id;
      }
      if (auto t = target_.find(old_id); t != target_.end()) {
        PartitionSet moved = std::move(t->second);
        target_.erase(t);
        target_[req.member_id] = std::move(moved);
      }
      return &members_.emplace(req.member_id, std::move(m)).first->second;
    }
  }
  if (auto it = members_.find(req.member_id); it != members_.end()) {
    // A known member joining again lost its state (it was fenced, or it
    // restarted with the same id): it owns nothing now.
    ConsumerMember& m = it->second;
    release(m, m.assigned);
    release(m, m.pending_revocation);
    m.assigned.clear();
    m.pending_revocation.clear();
    m.member_epoch = 0;
    m.previous_member_epoch = -1;
    m.state = ConsumerMemberState::kStable;
    m.revocation_deadline_ms.reset();
    return &m;
  }
  if (members_.size() >= size_t(std::max(config.max_size, 0))) {
    error = error_response(ErrorCode::kGroupMaxSizeReached, "group " + group_id_ + " is full");
    return nullptr;
  }
  ConsumerMember m;
  m.member_id = req.member_id;
  m.instance_id = req.instance_id;
  is_new = true;
  return &members_.emplace(req.member_id, std::move(m)).first->second;
}

ErrorCode ConsumerGroup::check_epoch(const ConsumerMember& m, int32_t epoch,
                                     const std::optional<PartitionSet>& owned) const {
  if (epoch > m.member_epoch) return ErrorCode::kFencedMemberEpoch;
  if (epoch < m.member_epoch) {
    // The member may have missed the answer that moved it to its current
    // epoch: its previous epoch is fine as long as it owns nothing beyond
    // what it has now.
    if (epoch != m.previous_member_epoch) return ErrorCode::kFencedMemberEpoch;
    if (owned && !subset_of(*owned, m.assigned)) return ErrorCode::kFencedMemberEpoch;
  }
  return ErrorCode::kNone;
}

bool ConsumerGroup::update_member(ConsumerMember& m, const ConsumerHeartbeatRequest& req) {
  if (req.instance_id) m.instance_id = req.instance_id;
  if (req.rack_id) m.rack_id = req.rack_id;
  if (req.rebalance_timeout_ms != -1) m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  bool changed = false;
  if (req.subscribed_topic_names) {
    std::vector<std::string> names = *req.subscribed_topic_names;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (names != m.subscribed_topic_names) {
      m.subscribed_topic_names = std::move(names);
      changed = true;
    }
  }
  if (req.subscribed_topic_regex) {
    std::optional<std::string> regex;
    if (!req.subscribed_topic_regex->empty()) regex = req.subscribed_topic_regex;
    if (regex != m.subscribed_topic_regex) {
      m.subscribed_topic_regex = std::move(regex);
      changed = true;
    }
  }
  if (req.server_assignor && req.server_assignor != m.server_assignor) {
    m.server_assignor = req.server_assignor;
    changed = true;
  }
  return changed;
}

void ConsumerGroup::remove_member(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  release(it->second, it->second.assigned);
  release(it->second, it->second.pending_revocation);
  members_.erase(it);
  target_.erase(member_id);
  metadata_dirty_ = true;
}

void ConsumerGroup::release(ConsumerMember& m, const PartitionSet& partitions) {
  for (const auto& [t, ps] : partitions) {
    for (int32_t p : ps) {
      auto it = owners_.find({t, p});
      if (it != owners_.end() && it->second == m.member_id) owners_.erase(it);
    }
  }
}

void ConsumerGroup::take(ConsumerMember& m, const std::string& topic, int32_t partition) {
  owners_[{topic, partition}] = m.member_id;
  m.assigned[topic].insert(partition);
}

std::set<std::string, std::less<>> ConsumerGroup::resolve(const ConsumerMember& m,
                                                          const TopicPartitionCounts& topics) {
  std::set<std::string, std::less<>> out;
  for (const auto& t : m.subscribed_topic_names) {
    if (topics.contains(t)) out.insert(t);
  }
  if (m.subscribed_topic_regex) {
    auto it = regex_cache_.find(*m.subscribed_topic_regex);
    if (it == regex_cache_.end()) {
      if (regex_cache_.size() >= kMaxCachedRegexes) regex_cache_.clear();
      try {
        it = regex_cache_.emplace(*m.subscribed_topic_regex, std::regex(*m.subscribed_topic_regex)).first;
      } catch (const std::regex_error&) {
        return out;  // checked when the member sent it; nothing matches
      }
    }
    for (const auto& [t, n] : topics) {
      if (!is_internal(t) && std::regex_match(t, it->second)) out.insert(t);
    }
  }
  return out;
}

bool ConsumerGroup::refresh_metadata(const TopicPartitionCounts& topics) {
  TopicPartitionCounts now;
  for (const auto& [id, m] : members_) {
    for (const auto& t : resolve(m, topics)) now[t] = topics.find(t)->second;
  }
  if (restored_hash_) {
    // The first look after a restore: the epoch moves only if the topics
    // changed while the group was not loaded.
    const bool same = metadata_hash(now) == *restored_hash_;
    restored_hash_.reset();
    subscribed_metadata_ = std::move(now);
    return !same;
  }
  if (now == subscribed_metadata_) return false;
  subscribed_metadata_ = std::move(now);
  return true;
}

void ConsumerGroup::compute_target(const TopicPartitionCounts& topics, const ConsumerGroupConfig& config) {
  assert(!config.assignors.empty());
  // The assignor most members ask for (ties: the configured order), else the
  // default (the first configured).
  std::string chosen = config.assignors.front();
  size_t best = 0;
  for (const auto& name : config.assignors) {
    size_t votes = size_t(std::count_if(members_.begin(), members_.end(),
                                        [&](const auto& kv) { return kv.second.server_assignor == name; }));
    if (votes > best) best = votes, chosen = name;
  }
  assignor_ = chosen;
  AssignorInput in;
  for (const auto& [id, m] : members_) {
    in.members.push_back({id, m.rack_id, resolve(m, topics)});
  }
  in.partitions = subscribed_metadata_;
  in.previous = target_;
  target_ = run_assignor(assignor_, in);
  assignment_epoch_ = group_epoch_;
}

void ConsumerGroup::reconcile(ConsumerMember& m, const std::optional<PartitionSet>& owned, int64_t now_ms) {
  switch (m.state) {
    case ConsumerMemberState::kStable:
      if (m.member_epoch != assignment_epoch_) next_assignment(m, owned, now_ms);
      return;
    case ConsumerMemberState::kUnrevokedPartitions:
      // Waits until the member reports that it no longer owns what it gives
      // up; only then can other members have those partitions.
      if (owned && !intersects(*owned, m.pending_revocation)) {
        release(m, m.pending_revocation);
        m.pending_revocation.clear();
        m.revocation_deadline_ms.reset();
        next_assignment(m, owned, now_ms);
      }
      return;
    case ConsumerMemberState::kUnreleasedPartitions:
      next_assignment(m, owned, now_ms);
      return;
  }
}

void ConsumerGroup::next_assignment(ConsumerMember& m, const std::optional<PartitionSet>& owned, int64_t now_ms) {
  const PartitionSet& tgt = target(m.member_id);
  PartitionSet kept, revoking;
  for (const auto& [t, ps] : m.assigned) {
    for (int32_t p : ps) (contains(tgt, t, p) ? kept : revoking)[t].insert(p);
  }
  if (!revoking.empty()) {
    if (!owned || intersects(*owned, revoking)) {
      // Revoke first; the member stays at its epoch until it confirms.
      m.assigned = std::move(kept);
      m.pending_revocation = std::move(revoking);
      m.state = ConsumerMemberState::kUnrevokedPartitions;
      m.revocation_deadline_ms = now_ms + std::max(m.rebalance_timeout_ms, 0);
      return;
    }
    release(m, revoking);  // the member reports it already gave them up
  }
  m.assigned = std::move(kept);
  bool unreleased = false;
  for (const auto& [t, ps] : tgt) {
    for (int32_t p : ps) {
      if (contains(m.assigned, t, p)) continue;
      auto o = owners_.find({t, p});
      if (o != owners_.end() && o->second != m.member_id) {
        unreleased = true;  // still owned by a member that is revoking it
        continue;
      }
      take(m, t, p);
    }
  }
  if (m.member_epoch != assignment_epoch_) {
    m.previous_member_epoch = m.member_epoch;
    m.member_epoch = assignment_epoch_;
  }
  m.state = unreleased ? ConsumerMemberState::kUnreleasedPartitions : ConsumerMemberState::kStable;
  m.revocation_deadline_ms.reset();
}

std::vector<std::string> ConsumerGroup::expire(int64_t now_ms) {
  std::vector<std::string> gone;
  for (const auto& [id, m] : members_) {
    if (m.session_deadline_ms <= now_ms || (m.revocation_deadline_ms && *m.revocation_deadline_ms <= now_ms)) {
      gone.push_back(id);
    }
  }
  for (const auto& id : gone) remove_member(id);
  if (!gone.empty()) ++group_epoch_;
  return gone;
}

std::optional<int64_t> ConsumerGroup::next_deadline_ms() const {
  std::optional<int64_t> next;
  auto consider = [&](int64_t t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [id, m] : members_) {
    consider(m.session_deadline_ms);
    if (m.revocation_deadline_ms) consider(*m.revocation_deadline_ms);
  }
  return next;
}

ErrorCode ConsumerGroup::validate_offset_commit(std::string_view member_id, int32_t member_epoch) const {
  if (member_epoch < 0 && members_.empty()) return ErrorCode::kNone;
  const ConsumerMember* m = member(member_id);
  if (!m) return ErrorCode::kUnknownMemberId;
  if (member_epoch != m->member_epoch) return ErrorCode::kStaleMemberEpoch;
  return ErrorCode::kNone;
}

ErrorCode ConsumerGroup::validate_offset_fetch(std::string_view member_id, int32_t member_epoch) const {
  if (member_epoch < 0) return ErrorCode::kNone;  // the admin client, or a consumer outside the group
  const ConsumerMember* m = member(member_id);
  if (!m) return ErrorCode::kUnknownMemberId;
  if (member_epoch != m->member_epoch) return ErrorCode::kStaleMemberEpoch;
  return ErrorCode::kNone;
}

ConsumerRecordImage ConsumerGroup::record_image() const {
  ConsumerRecordImage out;
  out[{ConsumerRecordType::kGroupMetadata, ""}] = ConsumerGroupMetadataValue{
      group_epoch_, restored_hash_ ? *restored_hash_ : metadata_hash(subscribed_metadata_)};
  out[{ConsumerRecordType::kTargetAssignmentMetadata, ""}] = ConsumerTargetAssignmentMetadataValue{assignment_epoch_};
  for (const auto& [id, m] : members_) {
    ConsumerMemberMetadataValue md;
    md.instance_id = m.instance_id;
    md.rack_id = m.rack_id;
    md.client_id = m.client_id;
    md.client_host = m.client_host;
    md.subscribed_topic_names = m.subscribed_topic_names;
    md.subscribed_topic_regex = m.subscribed_topic_regex;
    md.rebalance_timeout_ms = m.rebalance_timeout_ms;
    md.server_assignor = m.server_assignor;
    out[{ConsumerRecordType::kMemberMetadata, id}] = std::move(md);
    auto t = target_.find(id);
    out[{ConsumerRecordType::kTargetAssignmentMember, id}] =
        ConsumerTargetAssignmentMemberValue{t == target_.end() ? PartitionSet{} : t->second};
    ConsumerCurrentAssignmentValue cur;
    cur.member_epoch = m.member_epoch;
    cur.previous_member_epoch = m.previous_member_epoch;
    cur.state = state_code(m.state);
    cur.assigned = m.assigned;
    cur.pending_revocation = m.pending_revocation;
    out[{ConsumerRecordType::kCurrentMemberAssignment, id}] = std::move(cur);
  }
  return out;
}

std::unique_ptr<ConsumerGroup> ConsumerGroup::restore(std::string group_id, int32_t offsets_partition,
                                                      const ConsumerRecordImage& image, int64_t now_ms,
                                                      const ConsumerGroupConfig& config) {
  auto meta = image.find({ConsumerRecordType::kGroupMetadata, ""});
  if (meta == image.end()) return nullptr;
  auto g = std::make_unique<ConsumerGroup>(std::move(group_id), offsets_partition);
  const auto& gm = std::get<ConsumerGroupMetadataValue>(meta->second);
  g->group_epoch_ = gm.epoch;
  g->restored_hash_ = gm.metadata_hash;
  if (auto it = image.find({ConsumerRecordType::kTargetAssignmentMetadata, ""}); it != image.end()) {
    g->assignment_epoch_ = std::get<ConsumerTargetAssignmentMetadataValue>(it->second).assignment_epoch;
  }
  // A member needs its metadata record; its assignment records may be
  // missing (written later): it then has none yet.
  for (const auto& [key, value] : image) {
    if (key.first != ConsumerRecordType::kMemberMetadata) continue;
    const auto& md = std::get<ConsumerMemberMetadataValue>(value);
    ConsumerMember m;
    m.member_id = key.second;
    m.instance_id = md.instance_id;
    m.rack_id = md.rack_id;
    m.client_id = md.client_id;
    m.client_host = md.client_host;
    m.subscribed_topic_names = md.subscribed_topic_names;
    std::sort(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end());
    m.subscribed_topic_names.erase(std::unique(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end()),
                                   m.subscribed_topic_names.end());
    m.subscribed_topic_regex = md.subscribed_topic_regex;
    m.rebalance_timeout_ms = md.rebalance_timeout_ms;
    m.server_assignor = md.server_assignor;
    m.session_deadline_ms = now_ms + config.session_timeout_ms;
    if (auto it = image.find({ConsumerRecordType::kCurrentMemberAssignment, key.second}); it != image.end()) {
      const auto& cur = std::get<ConsumerCurrentAssignmentValue>(it->second);
      m.member_epoch = cur.member_epoch;
      m.previous_member_epoch = cur.previous_member_epoch;
      m.state = cur.state == 1   ? ConsumerMemberState::kUnrevokedPartitions
                : cur.state == 2 ? ConsumerMemberState::kUnreleasedPartitions
                                 : ConsumerMemberState::kStable;
      m.assigned = cur.assigned;
      m.pending_revocation = cur.pending_revocation;
      if (m.state == ConsumerMemberState::kUnrevokedPartitions) {
        m.revocation_deadline_ms = now_ms + std::max(0, m.rebalance_timeout_ms);
      }
    }
    if (auto it = image.find({ConsumerRecordType::kTargetAssignmentMember, key.second}); it != image.end()) {
      g->target_[m.member_id] = std::get<ConsumerTargetAssignmentMemberValue>(it->second).partitions;
    }
    for (const auto* set : {&m.assigned, &m.pending_revocation}) {
      for (const auto& [t, ps] : *set) {
        for (int32_t p : ps) g->owners_[{t, p}] = m.member_id;
      }
    }
    g->members_.emplace(m.member_id, std::move(m));
  }
  // Which assignor computed the target: the one the members vote for, as
  // compute_target chooses it (it is not in the records).
  std::string chosen = config.assignors.empty() ? std::string("uniform") : config.assignors.front();
  size_t best = 0;
  for (const auto& name : config.assignors) {
    size_t votes = size_t(std::count_if(g->members_.begin(), g->members_.end(),
                                        [&](const auto& kv) { return kv.second.server_assignor == name; }));
    if (votes > best) best = votes, chosen = name;
  }
  g->assignor_ = chosen;
  return g;
}

}  // namespace moldau::coordinator
