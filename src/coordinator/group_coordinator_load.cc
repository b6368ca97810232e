// GroupCoordinator: loading groups and offsets from __consumer_offsets when
// this broker becomes the leader of one of its partitions, and dropping them
// when it stops being the leader.
//
// The partition is not compacted yet, so a key may have any number of
// records; replaying them in log order and letting each record overwrite the
// previous one leaves the last one, which is what compaction would keep.
#include <cassert>
#include <iterator>

#include "coordinator/group_coordinator.h"

namespace moldau::coordinator {

void GroupCoordinator::begin_loading(int32_t partition) {
  assert(partition >= 0 && size_t(partition) < partitions_.size());
  partitions_[size_t(partition)] = PartitionState::kLoading;
  std::erase_if(pending_txn_, [partition](const auto& kv) { return kv.first.first == partition; });
}

Status GroupCoordinator::replay(int32_t partition, ByteSpan key, std::optional<ByteSpan> value) {
  if (partition_state(partition) != PartitionState::kLoading) {
    return Error{ErrorCode::kNotCoordinator, "replay outside of a load"};
  }
  auto decoded = decode_key(key);
  if (!decoded.ok()) return decoded.error();
  if (auto* k = std::get_if<OffsetCommitKey>(&*decoded)) {
    Staged& s = staged_[k->group];
    s.partition = partition;
    TopicPartition tp{k->topic, k->partition};
    if (!value) {
      s.offsets.erase(tp);
      return {};
    }
    auto v = decode_offset_commit_value(*value);
    if (!v.ok()) return v.error();
    CommittedOffset o;
    o.offset = v->offset;
    o.leader_epoch = v->leader_epoch;
    o.metadata = std::move(v->metadata);
    o.commit_timestamp_ms = v->commit_timestamp_ms;
    if (v->expire_timestamp_ms >= 0) o.expire_timestamp_ms = v->expire_timestamp_ms;
    s.offsets[std::move(tp)] = std::move(o);
  } else if (auto* g = std::get_if<GroupMetadataKey>(&*decoded)) {
    Staged& s = staged_[g->group];
    s.partition = partition;
    if (!value) {
      s.metadata.reset();  // the group was deleted; offsets after this may follow
      return {};
    }
    auto v = decode_group_metadata_value(*value);
    if (!v.ok()) return v.error();
    s.metadata = std::move(*v);
  }
  // Any other key: records of KIP-848 or share groups, not read here yet.
  return {};
}

void GroupCoordinator::complete_loading(int32_t partition, int64_t now_ms) {
  assert(partition_state(partition) == PartitionState::kLoading);
  for (auto it = staged_.begin(); it != staged_.end();) {
    Staged& s = it->second;
    if (s.partition != partition) {
      ++it;
      continue;
    }
    const std::string& id = it->first;
    groups_.erase(id);  // whatever a previous leadership left (nothing, normally)
    if (s.metadata) {
      Entry& e = groups_[id];
      e.group = Group::from_record(id, partition, *s.metadata, config_.group, ids_, now_ms);
      e.offsets = std::move(s.offsets);
    } else if (!s.offsets.empty()) {
      // Offsets without a group record: a group that only commits.
      Entry& e = groups_[id];
      e.group = std::make_unique<Group>(id, partition, config_.group, ids_, now_ms);
      e.offsets = std::move(s.offsets);
    }
    it = staged_.erase(it);
  }
  partitions_[size_t(partition)] = PartitionState::kActive;
}

Effects GroupCoordinator::unload(int32_t partition, int64_t now_ms) {
  Effects fx;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second.group->offsets_partition() != partition) {
      ++it;
      continue;
    }
    it->second.group->mark_dead(ErrorCode::kNotCoordinator, now_ms, fx);
    it = groups_.erase(it);
  }
  for (auto it = staged_.begin(); it != staged_.end();) {
    it = it->second.partition == partition ? staged_.erase(it) : std::next(it);
  }
  std::erase_if(pending_txn_, [partition](const auto& kv) { return kv.first.first == partition; });
  if (partition >= 0 && size_t(partition) < partitions_.size()) {
    partitions_[size_t(partition)] = PartitionState::kNotLeader;
  }
  return fx;
}

}  // namespace moldau::coordinator
