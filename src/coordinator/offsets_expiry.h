// Committed offsets of one group, and when they expire
// (offsets.retention.minutes), following Kafka's OffsetExpirationCondition:
//
// - a group with a protocol type that is Empty: an offset expires once the
//   retention has passed since the group became Empty (since its commit when
//   the group record predates state timestamps);
// - a Stable "consumer" group whose subscriptions are known: offsets of
//   topics nobody subscribes to expire retention after their commit;
// - a group without a protocol type (a standalone consumer or the admin
//   client that only commits): retention after each commit;
// - any other group: nothing expires.
// Offsets committed with an explicit retention (OffsetCommit v2-v4) expire at
// their own expire timestamp instead. Offsets of subscribed topics never
// expire.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/group.h"

namespace moldau::coordinator {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct CommittedOffset {
  int64_t offset = 0;
  int32_t leader_epoch = -1;  // -1: none
  std::string metadata;
  int64_t commit_timestamp_ms = 0;
  std::optional<int64_t> expire_timestamp_ms;
  bool operator==(const CommittedOffset&) const = default;
};

using OffsetMap = std::map<TopicPartition, CommittedOffset>;

struct ExpiredOffsets {
  std::vector<TopicPartition> partitions;
  // Every offset of the group expired (or it had none): an Empty group may
  // then be deleted.
  bool all_expired = true;
};

ExpiredOffsets expired_offsets(const Group& group, const OffsetMap& offsets, int64_t now_ms,
                               int64_t retention_ms);

}  // namespace moldau::coordinator
