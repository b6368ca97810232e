// What goes into the classic group coordinator and what comes out of it
// (ARCHITECTURE.md §4: events in, effects out, time as arguments).
//
// The requests are the coordinator's own view of JoinGroup, SyncGroup,
// Heartbeat and LeaveGroup: a driver maps the wire messages (any version) to
// them and the responses back. Each request carries an opaque handle chosen
// by the driver; the response to it comes back tagged with the same handle,
// possibly much later (JoinGroup and SyncGroup are held until the rebalance
// reaches them) and from a different call (another member's request, or a
// tick). Every handle is answered exactly once.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace moldau::coordinator {

using RequestHandle = uint64_t;

// Broker settings of the classic protocol, Kafka's names and defaults.
struct GroupConfig {
  int32_t min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
  int32_t initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
  int32_t max_size = std::numeric_limits<int32_t>::max();  // group.max.size
  // How long the JoinGroup of a member that is new to the group may be held
  // before the member is dropped: a client that gave up and retried must not
  // leave defunct members behind. Kafka fixes it at 5 minutes.
  int32_t new_member_join_timeout_ms = 300000;
};

// One entry of JoinGroup's protocol list: an assignor name and the member's
// metadata for it (for consumers, a ConsumerProtocolSubscription).
struct Protocol {
  std::string name;
  Bytes metadata;
  bool operator==(const Protocol&) const = default;
};

struct JoinGroupRequest {
  RequestHandle handle = 0;
  // From version 4 a dynamic member without an id gets MEMBER_ID_REQUIRED
  // (KIP-394); from version 9 a static leader that rejoins gets the members
  // with skip_assignment (KIP-814).
  int16_t api_version = 0;
  std::string group_id;
  std::string member_id;  // "" when the member has none yet
  std::optional<std::string> group_instance_id;  // static membership (KIP-345)
  std::string client_id;    // from the request header
  std::string client_host;  // the peer address, as Kafka shows it ("/127.0.0.1")
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;  // version 0 has none: pass the session timeout
  std::string protocol_type;
  std::vector<Protocol> protocols;
};

struct JoinGroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  Bytes metadata;
  bool operator==(const JoinGroupMember&) const = default;
};

struct JoinGroupResponse {
  RequestHandle handle = 0;
  ErrorCode error = ErrorCode::kNone;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  // Null before version 7 is sent as "" by the driver.
  std::optional<std::string> protocol_name;
  std::string leader;
  bool skip_assignment = false;
  std::string member_id;
  std::vector<JoinGroupMember> members;  // only the leader's response has them
};

struct MemberAssignment {
  std::string member_id;
  Bytes assignment;
};

struct SyncGroupRequest {
  RequestHandle handle = 0;
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;  // version 5+
  std::optional<std::string> protocol_name;  // version 5+
  std::vector<MemberAssignment> assignments;  // only the leader sends them
};

struct SyncGroupResponse {
  RequestHandle handle = 0;
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  Bytes assignment;
};

struct HeartbeatRequest {
  RequestHandle handle = 0;
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct HeartbeatResponse {
  RequestHandle handle = 0;
  ErrorCode error = ErrorCode::kNone;
};

struct MemberIdentity {
  std::string member_id;  // "" to remove a static member by its instance id
  std::optional<std::string> group_instance_id;
};

// Versions 0-2 name one member; the driver passes it as a batch of one and
// answers with that member's error as the top-level error.
struct LeaveGroupRequest {
  RequestHandle handle = 0;
  std::string group_id;
  std::vector<MemberIdentity> members;
};

struct LeaveGroupMemberResponse {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  ErrorCode error = ErrorCode::kNone;
};

struct LeaveGroupResponse {
  RequestHandle handle = 0;
  ErrorCode error = ErrorCode::kNone;
  std::vector<LeaveGroupMemberResponse> members;
};

// Error answers. (Helpers rather than designated initializers: GCC's
// -Wextra flags every field those leave out.)
inline JoinGroupResponse join_error(RequestHandle h, ErrorCode e, std::string member_id = {}) {
  JoinGroupResponse r;
  r.handle = h;
  r.error = e;
  r.member_id = std::move(member_id);
  return r;
}
inline SyncGroupResponse sync_error(RequestHandle h, ErrorCode e) {
  SyncGroupResponse r;
  r.handle = h;
  r.error = e;
  return r;
}

using Response =
    std::variant<JoinGroupResponse, SyncGroupResponse, HeartbeatResponse, LeaveGroupResponse>;

inline RequestHandle handle_of(const Response& r) {
  return std::visit([](const auto& x) { return x.handle; }, r);
}

// A record for __consumer_offsets (formats in offsets_records.h). A null
// value is a tombstone.
struct OffsetsRecord {
  int32_t partition = 0;
  Bytes key;
  std::optional<Bytes> value;
};

// What one event produced.
//
// Ordering rule (as etcd raft's Ready: persist before send): the driver
// appends `records` to __consumer_offsets, in order, and delivers `responses`
// only once the append has succeeded. If the append fails, the driver answers
// every response of this batch with the append error mapped as Kafka maps it
// (NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR -> NOT_COORDINATOR;
// NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT -> COORDINATOR_NOT_AVAILABLE; ...)
// and unloads the partition, whose in-memory state is now ahead of its log.
struct Effects {
  std::vector<OffsetsRecord> records;
  std::vector<Response> responses;

  bool empty() const { return records.empty() && responses.empty(); }
  void append(Effects&& other) {
    for (auto& r : other.records) records.push_back(std::move(r));
    for (auto& r : other.responses) responses.push_back(std::move(r));
  }
};

}  // namespace moldau::coordinator
