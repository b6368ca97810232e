// GroupCoordinator: OffsetCommit, OffsetFetch, OffsetDelete and the expiry
// of committed offsets.
#include <cassert>

#include "coordinator/group_coordinator.h"

namespace moldau::coordinator {

OffsetsRecord GroupCoordinator::offset_record(const Group& g, const TopicPartition& tp,
                                              const CommittedOffset* o) const {
  OffsetsRecord r;
  r.partition = g.offsets_partition();
  r.key = encode_key(OffsetCommitKey{g.group_id(), tp.topic, tp.partition});
  if (o) {
    r.value = encode_value(OffsetCommitValue{o->offset, o->leader_epoch, o->metadata,
                                             o->commit_timestamp_ms,
                                             o->expire_timestamp_ms.value_or(-1)});
  }
  return r;
}

OffsetsRecord GroupCoordinator::group_tombstone(const Group& g) const {
  return OffsetsRecord{g.offsets_partition(), encode_key(GroupMetadataKey{g.group_id()}),
                       std::nullopt};
}

OffsetCommitResult GroupCoordinator::commit_offsets(const OffsetCommitRequest& req,
                                                    int64_t now_ms) {
  OffsetCommitResult out;
  auto fail_all = [&](ErrorCode e) {
    for (const auto& p : req.partitions) out.partitions.push_back({p.tp, e});
    return std::move(out);
  };
  // Older clients (and the admin client) may use the empty group id.
  if (ErrorCode e = group_status(req.group_id, true); e != ErrorCode::kNone) return fail_all(e);
  Entry* e = find(req.group_id);
  if (!e) {
    // Generation -1: a consumer that assigns its own partitions, or the admin
    // client. Its group exists only to hold offsets ("simple" group: no
    // protocol type). Any other generation belongs to a group we lost.
    if (req.generation_id >= 0) return fail_all(ErrorCode::kIllegalGeneration);
    e = &create(req.group_id, now_ms);
  } else if (ErrorCode err = e->group->validate_offset_commit(req.member_id, req.group_instance_id,
                                                               req.generation_id);
             err != ErrorCode::kNone) {
    return fail_all(err);
  }
  for (const auto& p : req.partitions) {
    CommittedOffset o;
    o.offset = p.offset;
    o.leader_epoch = p.leader_epoch < 0 ? -1 : p.leader_epoch;
    o.metadata = p.metadata.value_or("");
    if (o.metadata.size() > size_t(std::max(config_.offset_metadata_max_bytes, 0)) ||
        p.tp.topic.size() > kMaxRecordStringBytes) {
      out.partitions.push_back({p.tp, ErrorCode::kOffsetMetadataTooLarge});
      continue;
    }
    o.commit_timestamp_ms = p.commit_timestamp_ms == -1 ? now_ms : p.commit_timestamp_ms;
    if (req.retention_time_ms != -1) o.expire_timestamp_ms = now_ms + req.retention_time_ms;
    out.records.push_back(offset_record(*e->group, p.tp, &o));
    if (req.producer_id >= 0) {
      pending_txn_[{e->group->offsets_partition(), req.producer_id}][req.group_id][p.tp] = std::move(o);
    } else {
      e->offsets[p.tp] = std::move(o);
    }
    out.partitions.push_back({p.tp, ErrorCode::kNone});
  }
  return out;
}

std::vector<OffsetFetchGroupResult> GroupCoordinator::fetch_offsets(
    const std::vector<OffsetFetchGroup>& groups) const {
  std::vector<OffsetFetchGroupResult> out;
  for (const auto& want : groups) {
    OffsetFetchGroupResult r;
    r.group_id = want.group_id;
    r.error = group_status(want.group_id, true);
    if (r.error == ErrorCode::kNone) {
      const OffsetMap* offsets = this->offsets(want.group_id);
      auto fetched = [](const TopicPartition& tp, const CommittedOffset& o) {
        return FetchedOffset{tp, o.offset, o.leader_epoch, o.metadata, ErrorCode::kNone};
      };
      if (want.partitions) {
        for (const auto& tp : *want.partitions) {
          auto it = offsets ? offsets->find(tp) : OffsetMap::const_iterator();
          if (offsets && it != offsets->end()) {
            r.partitions.push_back(fetched(tp, it->second));
          } else {
            FetchedOffset none;  // -1: nothing committed
            none.tp = tp;
            r.partitions.push_back(std::move(none));
          }
        }
      } else if (offsets) {
        for (const auto& [tp, o] : *offsets) r.partitions.push_back(fetched(tp, o));
      }
      if (want.require_stable && !pending_txn_.empty()) {
        // A transaction's offsets wait for their marker: the consumer must
        // not start from the older offset meanwhile.
        for (auto& f : r.partitions) {
          if (!has_pending_txn_offset(want.group_id, f.tp)) continue;
          f = FetchedOffset{f.tp, -1, -1, "", ErrorCode::kUnstableOffsetCommit};
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

OffsetDeleteResult GroupCoordinator::delete_offsets(const std::string& group_id,
                                                    const std::vector<TopicPartition>& partitions) {
  OffsetDeleteResult out;
  out.error = group_status(group_id, false);
  if (out.error != ErrorCode::kNone) return out;
  Entry* e = find(group_id);
  if (!e || e->group->state() == GroupState::kDead) {
    out.error = ErrorCode::kGroupIdNotFound;
    return out;
  }
  // A group with members may only lose offsets of topics it does not
  // consume, which only a "consumer" group can tell.
  if (e->group->state() != GroupState::kEmpty && !e->group->uses_consumer_protocol()) {
    out.error = ErrorCode::kNonEmptyGroup;
    return out;
  }
  for (const auto& tp : partitions) {
    if (e->group->is_subscribed_to(tp.topic)) {
      out.partitions.push_back({tp, ErrorCode::kGroupSubscribedToTopic});
      continue;
    }
    if (e->offsets.erase(tp)) out.records.push_back(offset_record(*e->group, tp, nullptr));
    out.partitions.push_back({tp, ErrorCode::kNone});
  }
  return out;
}

std::vector<OffsetsRecord> GroupCoordinator::expire_offsets(int64_t now_ms) {
  std::vector<OffsetsRecord> records;
  for (auto it = groups_.begin(); it != groups_.end();) {
    Entry& e = it->second;
    ExpiredOffsets expired =
        expired_offsets(*e.group, e.offsets, now_ms, config_.offsets_retention_ms);
    for (const auto& tp : expired.partitions) {
      records.push_back(offset_record(*e.group, tp, nullptr));
      e.offsets.erase(tp);
    }
    // An Empty group with no offsets left is deleted.
    if (expired.all_expired && e.group->state() == GroupState::kEmpty) {
      records.push_back(group_tombstone(*e.group));
      Effects ignored;  // an Empty group holds no requests
      e.group->mark_dead(ErrorCode::kNotCoordinator, now_ms, ignored);
      assert(ignored.empty());
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  return records;
}

void GroupCoordinator::complete_txn_offsets(int32_t partition, int64_t producer_id, bool commit, int64_t now_ms) {
  auto it = pending_txn_.find({partition, producer_id});
  if (it == pending_txn_.end()) return;
  if (commit) {
    for (auto& [group_id, offsets] : it->second) {
      Entry* e = find(group_id);
      if (!e) e = &create(group_id, now_ms);
      for (auto& [tp, o] : offsets) e->offsets[tp] = std::move(o);
    }
  }
  pending_txn_.erase(it);
}

bool GroupCoordinator::has_pending_txn_offset(std::string_view group_id, const TopicPartition& tp) const {
  for (const auto& [key, groups] : pending_txn_) {
    auto g = groups.find(group_id);
    if (g != groups.end() && g->second.count(tp)) return true;
  }
  return false;
}

Status GroupCoordinator::replay_txn(int32_t partition, int64_t producer_id, ByteSpan key,
                                    std::optional<ByteSpan> value) {
  if (partition_state(partition) != PartitionState::kLoading) {
    return Error{ErrorCode::kNotCoordinator, "replay outside of a load"};
  }
  auto decoded = decode_key(key);
  if (!decoded.ok()) return decoded.error();
  auto* k = std::get_if<OffsetCommitKey>(&*decoded);
  if (!k || !value) return {};  // transactional batches hold only offset commits
  auto v = decode_offset_commit_value(*value);
  if (!v.ok()) return v.error();
  CommittedOffset o;
  o.offset = v->offset;
  o.leader_epoch = v->leader_epoch;
  o.metadata = std::move(v->metadata);
  o.commit_timestamp_ms = v->commit_timestamp_ms;
  if (v->expire_timestamp_ms >= 0) o.expire_timestamp_ms = v->expire_timestamp_ms;
  pending_txn_[{partition, producer_id}][k->group][TopicPartition{k->topic, k->partition}] = std::move(o);
  return {};
}

void GroupCoordinator::replay_txn_marker(int32_t partition, int64_t producer_id, bool commit) {
  auto it = pending_txn_.find({partition, producer_id});
  if (it == pending_txn_.end()) return;
  if (commit) {
    // Committed in log order: later plain commits of the same key win.
    for (auto& [group_id, offsets] : it->second) {
      Staged& s = staged_[group_id];
      s.partition = partition;
      for (auto& [tp, o] : offsets) s.offsets[tp] = std::move(o);
    }
  }
  pending_txn_.erase(it);
}

}  // namespace moldau::coordinator
