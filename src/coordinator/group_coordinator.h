// The group coordinator of one broker: every classic group whose
// __consumer_offsets partition this broker leads, their committed offsets,
// and the admin view of them. Pure like Group: events in, effects out, the
// time passed in. A driver (docs/groups.md, "What a driver does") connects it
// to the network and to the __consumer_offsets log.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "coordinator/group.h"
#include "coordinator/group_events.h"
#include "coordinator/member_id.h"
#include "coordinator/offsets_expiry.h"

namespace moldau::coordinator {

// Java's String.hashCode of the group id (UTF-8 decoded to UTF-16 code units;
// malformed bytes count as U+FFFD, as Java's decoder replaces them).
int32_t java_string_hash(std::string_view utf8);
// The __consumer_offsets partition of a group, as Kafka computes it:
// Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions, where
// Utils.abs maps Integer.MIN_VALUE to 0 (Math.abs would leave it negative).
// REQUIRES: num_partitions > 0.
int32_t partition_for(std::string_view group_id, int32_t num_partitions);

struct CoordinatorConfig {
  GroupConfig group;
  int32_t offsets_topic_num_partitions = 50;      // offsets.topic.num.partitions
  int32_t offset_metadata_max_bytes = 4096;       // offset.metadata.max.bytes
  int64_t offsets_retention_ms = 10080LL * 60 * 1000;  // offsets.retention.minutes (7 days)
  int64_t offsets_retention_check_interval_ms = 600000;  // offsets.retention.check.interval.ms
  uint64_t member_id_seed = 0;  // the driver seeds from the OS; tests pick one
};

// --- offsets and admin requests --------------------------------------------------

struct OffsetCommitPartition {
  TopicPartition tp;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;  // null is stored as ""
  int64_t commit_timestamp_ms = -1;     // version 1 only; -1: now
};

struct OffsetCommitRequest {
  std::string group_id;
  int32_t generation_id = -1;  // -1: a commit from outside group management
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int64_t retention_time_ms = -1;  // versions 2-4; -1: offsets.retention.minutes
  std::vector<OffsetCommitPartition> partitions;
  // TxnOffsetCommit: the offsets stay pending for this producer until its
  // transaction's marker reaches the group's partition (complete_txn_offsets).
  int64_t producer_id = -1;
};

struct PartitionError {
  TopicPartition tp;
  ErrorCode error = ErrorCode::kNone;
};

// Records follow Effects' rule: append them before answering.
struct OffsetCommitResult {
  std::vector<PartitionError> partitions;
  std::vector<OffsetsRecord> records;
};

struct OffsetFetchGroup {
  std::string group_id;
  std::optional<std::vector<TopicPartition>> partitions;  // nullopt: all committed
  // Partitions with pending transactional offsets answer UNSTABLE_OFFSET_COMMIT.
  bool require_stable = false;
};

struct FetchedOffset {
  TopicPartition tp;
  int64_t offset = -1;  // -1: nothing committed
  int32_t leader_epoch = -1;
  std::string metadata;
  ErrorCode error = ErrorCode::kNone;
};

struct OffsetFetchGroupResult {
  std::string group_id;
  ErrorCode error = ErrorCode::kNone;
  std::vector<FetchedOffset> partitions;
};

struct OffsetDeleteResult {
  ErrorCode error = ErrorCode::kNone;
  std::vector<PartitionError> partitions;
  std::vector<OffsetsRecord> records;
};

struct DeleteGroupsResult {
  std::vector<std::pair<std::string, ErrorCode>> groups;
  std::vector<OffsetsRecord> records;
};

struct ListedGroup {
  std::string group_id;
  std::string protocol_type;
  std::string state;
  std::string group_type = "classic";
};

struct ListGroupsResult {
  ErrorCode error = ErrorCode::kNone;
  std::vector<ListedGroup> groups;
};

struct DescribedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;    // only while Stable
  Bytes assignment;  // only while Stable
};

struct DescribedGroup {
  std::string group_id;
  ErrorCode error = ErrorCode::kNone;
  // A group that does not exist is described as Dead with no error (newer
  // DescribeGroups versions answer GROUP_ID_NOT_FOUND: the driver decides).
  bool exists = false;
  std::string state;
  std::string protocol_type;
  std::string protocol;  // the selected protocol, only while Stable
  std::vector<DescribedMember> members;
};

enum class PartitionState { kNotLeader, kLoading, kActive };

class GroupCoordinator {
 public:
  explicit GroupCoordinator(CoordinatorConfig config);
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  const CoordinatorConfig& config() const { return config_; }
  int32_t partition_for(std::string_view group_id) const {
    return coordinator::partition_for(group_id, config_.offsets_topic_num_partitions);
  }

  // --- leadership of __consumer_offsets partitions (group_coordinator_load.cc)
  // The broker became leader of `partition`: replay its records, in log
  // order, then complete the load. Requests for its groups meanwhile get
  // COORDINATOR_LOAD_IN_PROGRESS.
  void begin_loading(int32_t partition);
  // One record of the partition; a null value is a tombstone. The last
  // record of a key wins, however many there are (no compaction yet).
  // Fails on a record that does not decode; records of other kinds (KIP-848,
  // share groups) are skipped.
  Status replay(int32_t partition, ByteSpan key, std::optional<ByteSpan> value);
  void complete_loading(int32_t partition, int64_t now_ms);
  // Leadership moved away (or an append failed): the partition's groups are
  // dropped and their held requests answered NOT_COORDINATOR.
  Effects unload(int32_t partition, int64_t now_ms);
  PartitionState partition_state(int32_t partition) const;

  // --- the classic protocol (group_coordinator.cc)
  // Each first fires the group's deadlines that have passed, so that the
  // outcome does not depend on when the driver last ticked.
  Effects join(const JoinGroupRequest& req, int64_t now_ms);
  Effects sync(const SyncGroupRequest& req, int64_t now_ms);
  Effects heartbeat(const HeartbeatRequest& req, int64_t now_ms);
  Effects leave(const LeaveGroupRequest& req, int64_t now_ms);
  // Fires the groups' deadlines and, every offsets.retention.check.interval.ms,
  // expires offsets and deletes Empty groups left without any. The driver
  // calls it at next_deadline_ms() (the offsets and admin calls below do not
  // fire deadlines themselves).
  Effects tick(int64_t now_ms);
  std::optional<int64_t> next_deadline_ms() const;

  // --- offsets (group_coordinator_offsets.cc)
  OffsetCommitResult commit_offsets(const OffsetCommitRequest& req, int64_t now_ms);
  std::vector<OffsetFetchGroupResult> fetch_offsets(const std::vector<OffsetFetchGroup>& groups) const;
  OffsetDeleteResult delete_offsets(const std::string& group_id,
                                    const std::vector<TopicPartition>& partitions);
  // A COMMIT (commit) or ABORT marker of `producer_id` was written to
  // `partition`: its pending transactional offsets there become committed
  // offsets, or are dropped. The marker itself is the record.
  void complete_txn_offsets(int32_t partition, int64_t producer_id, bool commit, int64_t now_ms);
  // Whether a transaction holds pending offsets for the partition of the
  // group (OffsetFetch require_stable answers UNSTABLE_OFFSET_COMMIT).
  bool has_pending_txn_offset(std::string_view group_id, const TopicPartition& tp) const;
  // Loading: an offset record of a transactional batch, and a marker.
  Status replay_txn(int32_t partition, int64_t producer_id, ByteSpan key, std::optional<ByteSpan> value);
  void replay_txn_marker(int32_t partition, int64_t producer_id, bool commit);
  // The expiry pass that tick runs; the records delete what expired.
  std::vector<OffsetsRecord> expire_offsets(int64_t now_ms);

  // --- admin (group_coordinator.cc)
  DeleteGroupsResult delete_groups(const std::vector<std::string>& group_ids, int64_t now_ms);
  // states_filter: Kafka's state names, any case; empty: all groups.
  ListGroupsResult list_groups(const std::vector<std::string>& states_filter) const;
  std::vector<DescribedGroup> describe_groups(const std::vector<std::string>& group_ids) const;

  // Inspection (tests, the admin HTTP listener).
  const Group* group(std::string_view group_id) const;
  const OffsetMap* offsets(std::string_view group_id) const;
  size_t num_groups() const { return groups_.size(); }

 private:
  struct Entry {
    std::unique_ptr<Group> group;
    OffsetMap offsets;
  };
  // What loading has read of one group so far.
  struct Staged {
    int32_t partition = 0;
    std::optional<GroupMetadataValue> metadata;
    OffsetMap offsets;
  };

  // Kafka's validateGroupStatus: INVALID_GROUP_ID, then the partition's
  // state (COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR).
  ErrorCode group_status(std::string_view group_id, bool allow_empty_id) const;
  Entry* find(std::string_view group_id);
  Entry& create(const std::string& group_id, int64_t now_ms);
  OffsetsRecord offset_record(const Group& g, const TopicPartition& tp,
                              const CommittedOffset* o) const;
  OffsetsRecord group_tombstone(const Group& g) const;

  CoordinatorConfig config_;
  MemberIdGenerator ids_;
  std::vector<PartitionState> partitions_;
  std::map<std::string, Entry, std::less<>> groups_;
  std::map<std::string, Staged, std::less<>> staged_;
  std::optional<int64_t> next_expiry_check_ms_;
  // Transactional offsets waiting for their marker: (offsets partition,
  // producer id) -> group -> offsets. Also filled by loading.
  std::map<std::pair<int32_t, int64_t>, std::map<std::string, OffsetMap, std::less<>>> pending_txn_;
};

}  // namespace moldau::coordinator
