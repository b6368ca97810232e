#include "storage/leader_epoch_cache.h"

#include "base/log.h"

namespace moldau::storage {

void LeaderEpochCache::load() {
  entries_.clear();
  auto text = read_small_file(ops_, path_);
  if (!text || !*text) return;
  auto parsed = parse_epoch_checkpoint(**text);
  if (!parsed) {
    MOLDAU_LOG_WARN("{}: {}; rebuilding from the log", path_, parsed.error().message);
    return;
  }
  entries_ = std::move(parsed.value());
}

std::optional<int32_t> LeaderEpochCache::latest_epoch() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back().epoch;
}

bool LeaderEpochCache::assign(int32_t epoch, int64_t offset) {
  if (epoch < 0) return false;
  if (!entries_.empty() && epoch <= entries_.back().epoch) return false;
  // An epoch's start can never be before an older epoch's: drop those that
  // would be (Kafka does the same when a new leader writes below them).
  while (!entries_.empty() && entries_.back().start_offset >= offset) entries_.pop_back();
  entries_.push_back({epoch, offset});
  return true;
}

bool LeaderEpochCache::truncate_from_end(int64_t end_offset) {
  size_t n = entries_.size();
  while (!entries_.empty() && entries_.back().start_offset >= end_offset) entries_.pop_back();
  return n != entries_.size();
}

bool LeaderEpochCache::truncate_from_start(int64_t start_offset) {
  // Keep the last entry starting at or below start_offset, moved up to it.
  size_t keep_from = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].start_offset <= start_offset) keep_from = i;
  }
  if (entries_.empty() || entries_[keep_from].start_offset > start_offset) return false;
  bool changed = keep_from > 0 || entries_[keep_from].start_offset != start_offset;
  entries_.erase(entries_.begin(), entries_.begin() + long(keep_from));
  entries_.front().start_offset = start_offset;
  return changed;
}

std::optional<std::pair<int32_t, int64_t>> LeaderEpochCache::end_offset_for(
    int32_t epoch, int64_t log_end_offset) const {
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].epoch <= epoch) {
      int64_t end = i + 1 < entries_.size() ? entries_[i + 1].start_offset : log_end_offset;
      return std::make_pair(entries_[i].epoch, end);
    }
  }
  return std::nullopt;
}

Status LeaderEpochCache::persist() const {
  return write_file_atomically(ops_, path_, format_epoch_checkpoint(entries_));
}

}  // namespace moldau::storage
