// GroupCoordinator: routing to groups, the partition a group lives in, and
// the admin APIs (DeleteGroups, ListGroups, DescribeGroups).
#include "coordinator/group_coordinator.h"

#include <algorithm>
#include <cassert>
#include <cctype>

namespace moldau::coordinator {

// --- which partition -------------------------------------------------------------

namespace {

// Decodes one UTF-8 sequence at s[i]; returns the code point (U+FFFD for a
// malformed sequence) and advances i past what it consumed (at least 1).
uint32_t next_code_point(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return uint8_t(s[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t len;
  uint32_t cp, min;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2, cp = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3, cp = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return 0xfffd;
  }
  size_t k = 1;
  for (; k < len; ++k) {
    if (i + k >= s.size() || (byte(i + k) & 0xc0) != 0x80) break;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if (k < len) {
    i += k;
    return 0xfffd;
  }
  i += len;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0xfffd;
  return cp;
}

}  // namespace

int32_t java_string_hash(std::string_view utf8) {
  uint32_t h = 0;  // Java int arithmetic: wraps modulo 2^32
  auto add = [&](uint32_t unit) { h = 31 * h + unit; };
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = next_code_point(utf8, i);
    if (cp >= 0x10000) {  // a surrogate pair in UTF-16
      cp -= 0x10000;
      add(0xd800 + (cp >> 10));
      add(0xdc00 + (cp & 0x3ff));
    } else {
      add(cp);
    }
  }
  return int32_t(h);
}

int32_t partition_for(std::string_view group_id, int32_t num_partitions) {
  assert(num_partitions > 0);
  int32_t h = java_string_hash(group_id);
  int32_t abs = h == std::numeric_limits<int32_t>::min() ? 0 : (h < 0 ? -h : h);
  return abs % num_partitions;
}

// --- the coordinator ---------------------------------------------------------------

GroupCoordinator::GroupCoordinator(CoordinatorConfig config)
    : config_(std::move(config)),
      ids_(config_.member_id_seed),
      partitions_(size_t(std::max(config_.offsets_topic_num_partitions, 1)),
                  PartitionState::kNotLeader) {
  assert(config_.offsets_topic_num_partitions > 0);
}

PartitionState GroupCoordinator::partition_state(int32_t partition) const {
  if (partition < 0 || size_t(partition) >= partitions_.size()) return PartitionState::kNotLeader;
  return partitions_[size_t(partition)];
}

ErrorCode GroupCoordinator::group_status(std::string_view group_id, bool allow_empty_id) const {
  if ((group_id.empty() && !allow_empty_id) || group_id.size() > kMaxRecordStringBytes) {
    return ErrorCode::kInvalidGroupId;
  }
  switch (partition_state(partition_for(group_id))) {
    case PartitionState::kNotLeader: return ErrorCode::kNotCoordinator;
    case PartitionState::kLoading: return ErrorCode::kCoordinatorLoadInProgress;
    case PartitionState::kActive: return ErrorCode::kNone;
  }
  return ErrorCode::kUnknownServerError;
}

GroupCoordinator::Entry* GroupCoordinator::find(std::string_view group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : &it->second;
}

const Group* GroupCoordinator::group(std::string_view group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.group.get();
}

const OffsetMap* GroupCoordinator::offsets(std::string_view group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : &it->second.offsets;
}

GroupCoordinator::Entry& GroupCoordinator::create(const std::string& group_id, int64_t now_ms) {
  Entry& e = groups_[group_id];
  assert(!e.group);
  e.group = std::make_unique<Group>(group_id, partition_for(group_id), config_.group, ids_, now_ms);
  return e;
}

namespace {
// A member id is the client id or instance id plus "-" and a 36-character
// UUID, and must still fit a record string.
constexpr size_t kMemberIdSuffixBytes = 37;

bool join_strings_fit(const JoinGroupRequest& req) {
  size_t prefix = req.group_instance_id ? req.group_instance_id->size() : req.client_id.size();
  return prefix + kMemberIdSuffixBytes <= kMaxRecordStringBytes &&
         req.client_id.size() <= kMaxRecordStringBytes &&
         req.client_host.size() <= kMaxRecordStringBytes &&
         req.member_id.size() <= kMaxRecordStringBytes &&
         req.protocol_type.size() <= kMaxRecordStringBytes &&
         std::all_of(req.protocols.begin(), req.protocols.end(),
                     [](const Protocol& p) { return p.name.size() <= kMaxRecordStringBytes; });
}
}  // namespace

Effects GroupCoordinator::join(const JoinGroupRequest& req, int64_t now_ms) {
  Effects fx;
  auto reply = [&](ErrorCode e) {
    fx.responses.emplace_back(join_error(req.handle, e, req.member_id));
    return std::move(fx);
  };
  if (ErrorCode e = group_status(req.group_id, false); e != ErrorCode::kNone) return reply(e);
  if (req.session_timeout_ms < config_.group.min_session_timeout_ms ||
      req.session_timeout_ms > config_.group.max_session_timeout_ms) {
    return reply(ErrorCode::kInvalidSessionTimeout);
  }
  if (!join_strings_fit(req)) return reply(ErrorCode::kInvalidRequest);
  Entry* e = find(req.group_id);
  if (!e) {
    // Only a member without an id may create a group.
    if (!req.member_id.empty()) return reply(ErrorCode::kUnknownMemberId);
    e = &create(req.group_id, now_ms);
  }
  e->group->tick(now_ms, fx);  // deadlines that passed come first
  e->group->join(req, now_ms, fx);
  return fx;
}

Effects GroupCoordinator::sync(const SyncGroupRequest& req, int64_t now_ms) {
  Effects fx;
  ErrorCode status = group_status(req.group_id, false);
  // While loading, the rebalance in progress is lost: REBALANCE_IN_PROGRESS
  // sends the member back to JoinGroup (older clients do not expect
  // COORDINATOR_LOAD_IN_PROGRESS here).
  if (status == ErrorCode::kCoordinatorLoadInProgress) status = ErrorCode::kRebalanceInProgress;
  Entry* e = status == ErrorCode::kNone ? find(req.group_id) : nullptr;
  if (status == ErrorCode::kNone && !e) status = ErrorCode::kUnknownMemberId;
  if (status != ErrorCode::kNone) {
    fx.responses.emplace_back(sync_error(req.handle, status));
    return fx;
  }
  e->group->tick(now_ms, fx);
  e->group->sync(req, now_ms, fx);
  return fx;
}

Effects GroupCoordinator::heartbeat(const HeartbeatRequest& req, int64_t now_ms) {
  Effects fx;
  ErrorCode status = group_status(req.group_id, false);
  Entry* e = status == ErrorCode::kNone ? find(req.group_id) : nullptr;
  if (status == ErrorCode::kNone && !e) status = ErrorCode::kUnknownMemberId;
  if (status != ErrorCode::kNone) {
    fx.responses.emplace_back(HeartbeatResponse{req.handle, status});
    return fx;
  }
  e->group->tick(now_ms, fx);
  e->group->heartbeat(req, now_ms, fx);
  return fx;
}

Effects GroupCoordinator::leave(const LeaveGroupRequest& req, int64_t now_ms) {
  Effects fx;
  LeaveGroupResponse r;
  r.handle = req.handle;
  r.error = group_status(req.group_id, false);
  Entry* e = r.error == ErrorCode::kNone ? find(req.group_id) : nullptr;
  if (e) {
    e->group->tick(now_ms, fx);
    e->group->leave(req, now_ms, fx);
    return fx;
  }
  if (r.error == ErrorCode::kNone) {  // no such group: no such members
    for (const auto& m : req.members) {
      r.members.push_back({m.member_id, m.group_instance_id, ErrorCode::kUnknownMemberId});
    }
  }
  fx.responses.emplace_back(std::move(r));
  return fx;
}

Effects GroupCoordinator::tick(int64_t now_ms) {
  Effects fx;
  for (auto& [id, e] : groups_) e.group->tick(now_ms, fx);
  if (!next_expiry_check_ms_) {
    next_expiry_check_ms_ = now_ms + config_.offsets_retention_check_interval_ms;
  } else if (now_ms >= *next_expiry_check_ms_) {
    for (auto& r : expire_offsets(now_ms)) fx.records.push_back(std::move(r));
    next_expiry_check_ms_ = now_ms + config_.offsets_retention_check_interval_ms;
  }
  return fx;
}

std::optional<int64_t> GroupCoordinator::next_deadline_ms() const {
  std::optional<int64_t> next = next_expiry_check_ms_;
  for (const auto& [id, e] : groups_) {
    auto d = e.group->next_deadline_ms();
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

// --- admin -------------------------------------------------------------------------

DeleteGroupsResult GroupCoordinator::delete_groups(const std::vector<std::string>& group_ids,
                                                   int64_t now_ms) {
  DeleteGroupsResult out;
  for (const auto& id : group_ids) {
    ErrorCode err = group_status(id, false);
    Entry* e = err == ErrorCode::kNone ? find(id) : nullptr;
    if (err == ErrorCode::kNone) {
      if (!e || e->group->state() == GroupState::kDead) {
        err = ErrorCode::kGroupIdNotFound;
      } else if (e->group->state() != GroupState::kEmpty) {
        err = ErrorCode::kNonEmptyGroup;
      }
    }
    if (err == ErrorCode::kNone) {
      for (const auto& [tp, o] : e->offsets) out.records.push_back(offset_record(*e->group, tp, nullptr));
      out.records.push_back(group_tombstone(*e->group));
      Effects ignored;  // an Empty group holds no requests
      e->group->mark_dead(ErrorCode::kNotCoordinator, now_ms, ignored);
      assert(ignored.empty());
      groups_.erase(groups_.find(id));
    }
    out.groups.emplace_back(id, err);
  }
  return out;
}

ListGroupsResult GroupCoordinator::list_groups(const std::vector<std::string>& states_filter) const {
  ListGroupsResult out;
  if (std::find(partitions_.begin(), partitions_.end(), PartitionState::kLoading) !=
      partitions_.end()) {
    out.error = ErrorCode::kCoordinatorLoadInProgress;
    return out;
  }
  auto lower = [](std::string_view s) {
    std::string l(s);
    for (auto& c : l) c = char(std::tolower(uint8_t(c)));
    return l;
  };
  std::vector<std::string> wanted;
  for (const auto& s : states_filter) wanted.push_back(lower(s));
  for (const auto& [id, e] : groups_) {
    std::string_view state = group_state_name(e.group->state());
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), lower(state)) == wanted.end()) {
      continue;
    }
    out.groups.push_back(ListedGroup{id, e.group->protocol_type().value_or(""), std::string(state)});
  }
  return out;
}

std::vector<DescribedGroup> GroupCoordinator::describe_groups(
    const std::vector<std::string>& group_ids) const {
  std::vector<DescribedGroup> out;
  for (const auto& id : group_ids) {
    DescribedGroup d;
    d.group_id = id;
    d.state = group_state_name(GroupState::kDead);
    d.error = group_status(id, false);
    const Group* g = d.error == ErrorCode::kNone ? group(id) : nullptr;
    if (g) {
      bool stable = g->state() == GroupState::kStable;
      d.exists = true;
      d.state = group_state_name(g->state());
      d.protocol_type = g->protocol_type().value_or("");
      if (stable) d.protocol = g->protocol_name().value_or("");
      for (const auto& m : g->members()) {
        DescribedMember dm{m.member_id, m.group_instance_id, m.client_id, m.client_host, {}, {}};
        if (stable) {
          if (const Bytes* md = m.metadata(d.protocol)) dm.metadata = *md;
          dm.assignment = m.assignment;
        }
        d.members.push_back(std::move(dm));
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace moldau::coordinator
