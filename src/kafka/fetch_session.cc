#include "kafka/fetch_session.h"

#include <algorithm>

namespace moldau::kafka {

int32_t FetchSessionCache::new_session_id() {
  for (;;) {
    int32_t id = next_id_++;
    if (next_id_ <= 0) next_id_ = 1;
    if (!sessions_.count(id)) return id;
  }
}

void FetchSessionCache::evict_if_full() {
  if (sessions_.size() < max_sessions_) return;
  // Least recently used goes first; sessions are cheap to re-create.
  auto victim = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
    return a.second.last_used < b.second.last_used;
  });
  if (victim != sessions_.end()) sessions_.erase(victim);
}

SessionView FetchSessionCache::begin(uint64_t owner, int32_t session_id, int32_t session_epoch,
                                     const std::vector<FetchRequestPartition>& partitions,
                                     const std::vector<SessionPartitionKey>& forgotten) {
  SessionView view;
  auto full_view = [&] {
    for (const auto& p : partitions) {
      SessionPartition sp;
      sp.fetch_offset = p.fetch_offset;
      sp.partition_max_bytes = p.partition_max_bytes;
      view.partitions.emplace_back(p.key, sp);
    }
  };

  if (session_epoch == kFinalEpoch) {
    // Sessionless full fetch; also closes the named session if any.
    if (session_id != 0) sessions_.erase(session_id);
    full_view();
    return view;
  }
  if (session_epoch == kInitialEpoch) {
    if (session_id != 0) sessions_.erase(session_id);
    full_view();
    if (partitions.size() > kMaxPartitionsPerSession) return view;  // serve without a session
    evict_if_full();
    Session s;
    s.owner = owner;
    s.last_used = ++use_counter_;
    for (const auto& [k, sp] : view.partitions) s.partitions[k] = sp;
    view.session_id = new_session_id();
    sessions_.emplace(view.session_id, std::move(s));
    return view;
  }
  if (session_epoch < 0) {
    view.error = ErrorCode::kInvalidFetchSessionEpoch;
    return view;
  }
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.owner != owner) {
    view.error = ErrorCode::kFetchSessionIdNotFound;
    return view;
  }
  Session& s = it->second;
  if (session_epoch != s.next_epoch) {
    view.error = ErrorCode::kInvalidFetchSessionEpoch;
    return view;
  }
  s.next_epoch = session_epoch == INT32_MAX ? 1 : session_epoch + 1;
  s.last_used = ++use_counter_;
  for (const auto& k : forgotten) s.partitions.erase(k);
  for (const auto& p : partitions) {
    auto& sp = s.partitions[p.key];
    sp.fetch_offset = p.fetch_offset;
    sp.partition_max_bytes = p.partition_max_bytes;
  }
  if (s.partitions.size() > kMaxPartitionsPerSession) {
    sessions_.erase(it);
    view.error = ErrorCode::kFetchSessionIdNotFound;
    return view;
  }
  view.session_id = session_id;
  view.incremental = true;
  view.partitions.assign(s.partitions.begin(), s.partitions.end());
  return view;
}

bool FetchSessionCache::should_include(int32_t session_id, bool incremental,
                                       const SessionPartitionKey& key, bool has_records,
                                       ErrorCode error, int64_t high_watermark,
                                       int64_t log_start_offset, int64_t last_stable_offset) {
  if (session_id == 0) return true;
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return true;
  auto pit = it->second.partitions.find(key);
  if (pit == it->second.partitions.end()) return true;
  SessionPartition& sp = pit->second;
  bool changed = has_records || error != ErrorCode::kNone || sp.last_high_watermark != high_watermark ||
                 sp.last_log_start_offset != log_start_offset ||
                 sp.last_stable_offset != last_stable_offset;
  // After an error, remember no high watermark (as Kafka does), so that the
  // first answer without the error is sent and tells the client it is gone.
  sp.last_high_watermark = error != ErrorCode::kNone ? -1 : high_watermark;
  sp.last_log_start_offset = log_start_offset;
  sp.last_stable_offset = last_stable_offset;
  return !incremental || changed;
}

void FetchSessionCache::forget_owner(uint64_t owner) {
  std::erase_if(sessions_, [owner](const auto& kv) { return kv.second.owner == owner; });
}

}  // namespace moldau::kafka
