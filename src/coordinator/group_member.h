// One member of a classic group, as the coordinator tracks it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coordinator/group_events.h"

namespace moldau::coordinator {

// A deadline `timeout_ms` after `now_ms`. A timeout of 0 or less still lands
// after `now_ms`, so that a tick never fires a deadline it has just set.
inline int64_t deadline_after(int64_t now_ms, int64_t timeout_ms) {
  return now_ms + (timeout_ms < 1 ? 1 : timeout_ms);
}

struct GroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string protocol_type;
  std::vector<Protocol> protocols;  // in the member's order of preference
  Bytes assignment;

  // A held JoinGroup (the member is "awaiting join") and a held SyncGroup.
  std::optional<RequestHandle> join_handle;
  std::optional<RequestHandle> sync_handle;
  // Joined during the current rebalance and not yet through it: its held
  // JoinGroup is bounded by the new-member join timeout, not the rebalance.
  bool is_new = false;
  // When the member is dropped unless it heartbeats (or is through a
  // rebalance step) first; nullopt while no expiry is scheduled.
  std::optional<int64_t> heartbeat_deadline_ms;

  bool is_static() const { return group_instance_id.has_value(); }
  bool awaiting_join() const { return join_handle.has_value(); }
  bool awaiting_sync() const { return sync_handle.has_value(); }

  // Whether an expiring heartbeat timer leaves the member in the group (as
  // Kafka's ClassicGroupMember.hasSatisfiedHeartbeat): a new member is
  // dropped; one held in a rebalance step is kept, the rebalance's own
  // timeouts take care of it; any other member missed its heartbeats.
  bool has_satisfied_heartbeat() const {
    if (is_new) return false;
    return awaiting_join() || awaiting_sync();
  }

  // The member's metadata for `protocol`, or nullptr when it has none.
  const Bytes* metadata(std::string_view protocol) const {
    for (const auto& p : protocols) {
      if (p.name == protocol) return &p.metadata;
    }
    return nullptr;
  }

  // Whether a JoinGroup carries the same protocols (names, order, metadata):
  // then a rejoin changes nothing and needs no rebalance.
  bool matches(const std::vector<Protocol>& other) const { return protocols == other; }

  // The member's vote: its most preferred protocol among the candidates.
  // REQUIRES: the member supports at least one candidate.
  const std::string& vote(const std::set<std::string>& candidates) const {
    for (const auto& p : protocols) {
      if (candidates.count(p.name)) return p.name;
    }
    return protocols.front().name;  // unreachable while the invariant holds
  }
};

}  // namespace moldau::coordinator
