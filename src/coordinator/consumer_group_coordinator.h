// The consumer groups (KIP-848) of one broker: ConsumerGroupHeartbeat
// validated and routed to its ConsumerGroup, member ids for version 0,
// session deadlines, and the views ConsumerGroupDescribe, ListGroups and the
// offset calls need. Pure like GroupCoordinator. Every change of a group
// leaves records for __consumer_offsets (take_records: the keys whose value
// changed, tombstones for members and groups that are gone), and loading a
// partition replays them (docs/groups.md, "KIP-848": what is persisted).
//
// The driver decides beforehand whether this broker coordinates the group
// (its __consumer_offsets partition) and whether a classic group already
// uses the id; both share one namespace.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coordinator/consumer_group.h"
#include "coordinator/member_id.h"

namespace moldau::coordinator {

// Bounds on what one heartbeat may carry.
inline constexpr size_t kMaxSubscribedTopics = 10000;
inline constexpr size_t kMaxRegexBytes = 1024;
inline constexpr size_t kMaxIdBytes = 32767;

class ConsumerGroupCoordinator {
 public:
  ConsumerGroupCoordinator(ConsumerGroupConfig config, int32_t offsets_topic_num_partitions, uint64_t member_id_seed);

  const ConsumerGroupConfig& config() const { return config_; }

  // INVALID_REQUEST for what Kafka rejects before looking at the group
  // (a join without rebalance timeout, subscription or an empty owned list;
  // an empty member id from version 1; epoch below -2; a static leave without
  // instance id; an invalid regex), UNSUPPORTED_ASSIGNOR, then the group's
  // answer. A join (epoch 0) creates the group; any other epoch for a group
  // that does not exist gets UNKNOWN_MEMBER_ID so that the member rejoins.
  // `topics_version` changes whenever `topics` does (ConsumerGroup::heartbeat).
  ConsumerHeartbeatResponse heartbeat(ConsumerHeartbeatRequest req, const TopicPartitionCounts& topics,
                                      uint64_t topics_version, int64_t now_ms);
  // Expires members whose session (or revocation) deadline passed.
  void tick(int64_t now_ms);
  std::optional<int64_t> next_deadline_ms() const;

  const ConsumerGroup* group(std::string_view group_id) const;
  const std::map<std::string, std::unique_ptr<ConsumerGroup>, std::less<>>& groups() const { return groups_; }
  // The broker no longer coordinates the partition: its groups are dropped
  // (members learn it from NOT_COORDINATOR and find the new coordinator).
  void unload(int32_t partition);
  // DeleteGroups, or a classic group taking the id over: NON_EMPTY_GROUP
  // while it has members, GROUP_ID_NOT_FOUND when there is no such consumer
  // group, else the group is forgotten.
  ErrorCode delete_group(std::string_view group_id);

  // --- persistence
  // The records the calls since the last take_records left, in order: for
  // each changed group its member metadata, group metadata, target
  // assignment and current assignment records whose value changed; for a
  // member or group that is gone, tombstones (members' first).
  std::vector<ConsumerGroupRecord> take_records() { return std::exchange(records_, {}); }
  // Loading a partition of __consumer_offsets: begin_loading drops what the
  // partition had, replay takes each record in log order (the last of each
  // key wins, a tombstone deletes it), complete_loading builds the groups.
  void begin_loading(int32_t partition);
  void replay(int32_t partition, const ConsumerRecordKey& key, const std::optional<ConsumerRecordValue>& value);
  void complete_loading(int32_t partition, int64_t now_ms);

 private:
  // Emits the records that bring what was written for `group_id` to what
  // the group is now (nothing written: the group is gone).
  void persist(const std::string& group_id);
  ConsumerGroupConfig config_;
  int32_t num_partitions_;
  MemberIdGenerator ids_;
  std::map<std::string, std::unique_ptr<ConsumerGroup>, std::less<>> groups_;
  struct Written {
    int32_t partition = 0;
    ConsumerRecordImage image;
  };
  // What the log holds for each group (as far as this coordinator wrote or
  // loaded it); during a load, what the records so far say.
  std::map<std::string, Written, std::less<>> written_;
  std::map<std::string, Written, std::less<>> staged_;
  std::vector<ConsumerGroupRecord> records_;
};

}  // namespace moldau::coordinator
