// Deleting segments: retention.ms, retention.bytes, DeleteRecords, and
// follower truncation (docs/storage.md, "Retention").
//
// As in Kafka, a deleted segment is first renamed to *.deleted and unlinked
// file.delete.delay.ms later. Readers in flight are safe either way: a fetch
// response holds the segment's open file (FileRegion::owner).
#include <algorithm>
#include <cassert>
#include <limits>

#include <fmt/format.h>

#include "base/log.h"
#include "storage/clock.h"
#include "storage/log.h"

namespace moldau::storage {

template <typename Pred>
Result<size_t> Log::delete_prefix_while(Pred pred, int64_t now_ms) {
  size_t count = 0;
  for (auto it = segments_.begin(); it != segments_.end(); ++it) {
    const Segment& seg = *it->second;
    auto next = std::next(it);
    const Segment* next_seg = next == segments_.end() ? nullptr : next->second.get();
    bool last_and_empty = next_seg == nullptr && seg.empty();
    int64_t upper = next_seg ? next_seg->base_offset() : log_end_;
    if (last_and_empty || upper > high_watermark_ || !pred(seg, next_seg)) break;
    ++count;
  }
  if (count == 0) return size_t(0);
  if (count == segments_.size()) {
    // The active segment is due too: roll, so that it is sealed first.
    if (auto s = roll(now_ms); !s) return s.error();
  }
  if (auto s = delete_segments(count, now_ms); !s) return s.error();
  return count;
}

Status Log::delete_segments(size_t count, int64_t now_ms) {
  assert(count < segments_.size());
  for (size_t i = 0; i < count; ++i) {
    auto node = segments_.extract(segments_.begin());
    std::unique_ptr<Segment> seg = std::move(node.mapped());
    MOLDAU_LOG_INFO("{}: deleting segment {} ({} bytes)", tp_.dir_name(), seg->log_path(),
                    seg->size_bytes());
    if (auto s = seg->mark_deleted(); !s) return fail(s.error());
    pending_deletes_.emplace_back(now_ms + config_.file_delete_delay_ms, std::move(seg));
  }
  int64_t first_base = segments_.begin()->first;
  if (log_start_ < first_base) log_start_ = first_base;
  // Their snapshots and aborted-transaction entries go with them.
  delete_snapshots(first_base, std::numeric_limits<int64_t>::max());
  producers_.drop_aborted_segments_before(first_base);
  high_watermark_ = std::max(high_watermark_, log_start_);
  recovery_point_ = std::max(recovery_point_, log_start_);
  if (epochs_.truncate_from_start(log_start_)) {
    if (auto s = epochs_.persist(); !s) return fail(s.error());
  }
  return {};
}

Result<size_t> Log::apply_retention(int64_t now_ms) {
  if (offline()) return dir_->offline_error();
  if (size_t n = remove_expired_producers(now_ms); n > 0) {
    MOLDAU_LOG_DEBUG("{}: {} idle producers expired", tp_.dir_name(), n);
  }
  size_t deleted = 0;
  if (config_.retention_ms >= 0) {
    auto n = delete_prefix_while(
        [&](const Segment& seg, const Segment*) {
          return now_ms - seg.largest_timestamp_ms() > config_.retention_ms;
        },
        now_ms);
    if (!n) return n.error();
    deleted += *n;
  }
  if (config_.retention_bytes >= 0) {
    int64_t excess = int64_t(size_bytes()) - config_.retention_bytes;
    auto n = delete_prefix_while(
        [&](const Segment& seg, const Segment*) {
          if (excess - seg.size_bytes() < 0) return false;
          excess -= seg.size_bytes();
          return true;
        },
        now_ms);
    if (!n) return n.error();
    deleted += *n;
  }
  auto n = delete_prefix_while(
      [&](const Segment&, const Segment* next) {
        return next != nullptr && next->base_offset() <= log_start_;
      },
      now_ms);
  if (!n) return n.error();
  deleted += *n;
  return deleted;
}

Status Log::delete_records_before(int64_t offset) {
  if (offline()) return dir_->offline_error();
  if (offset > high_watermark_ || offset < 0) {
    return Error{ErrorCode::kOffsetOutOfRange,
                 fmt::format("cannot delete records before {}: high watermark is {}", offset,
                             high_watermark_)};
  }
  if (offset <= log_start_) return {};
  log_start_ = offset;
  if (epochs_.truncate_from_start(log_start_)) {
    if (auto s = epochs_.persist(); !s) return fail(s.error());
  }
  int64_t now_ms = wall_clock_ms();
  auto n = delete_prefix_while(
      [&](const Segment&, const Segment* next) {
        return next != nullptr && next->base_offset() <= log_start_;
      },
      now_ms);
  if (!n) return n.error();
  return {};
}

void Log::delete_expired_files(int64_t now_ms, bool all) {
  auto due = [&](const auto& p) { return all || p.first <= now_ms; };
  for (auto& p : pending_deletes_) {
    if (!due(p)) continue;
    if (auto s = p.second->delete_files(); !s) {
      MOLDAU_LOG_WARN("{}: {}", tp_.dir_name(), s.error().message);
    }
  }
  std::erase_if(pending_deletes_, due);
}

Status Log::truncate_to(int64_t offset) {
  if (offline()) return dir_->offline_error();
  if (offset >= log_end_) return {};
  if (offset < log_start_) offset = log_start_;
  // Drop whole segments at or above the offset, keeping at least one.
  while (segments_.size() > 1 && segments_.rbegin()->first >= offset) {
    auto node = segments_.extract(std::prev(segments_.end()));
    if (auto s = node.mapped()->delete_files(); !s) return fail(s.error());
  }
  Segment& last = active();
  if (!last.active()) {
    // The segment holding the offset was sealed: reopen it for writing.
    int64_t base = last.base_offset();
    segments_.erase(base);
    auto seg = Segment::open(dir_, dir_path_, base, config_, true);
    if (!seg) return fail(seg.error());
    segments_.emplace(base, std::move(seg.value()));
    if (auto s = active().load_tail(); !s) {
      if (s.error().code == ErrorCode::kKafkaStorageError) return fail(s.error());
      auto r = active().recover();
      if (!r) return fail(r.error());
    }
  }
  if (auto s = active().truncate_to(offset); !s) return fail(s.error());
  log_end_ = active().next_offset();
  high_watermark_ = std::min(high_watermark_, log_end_);
  recovery_point_ = std::min(recovery_point_, log_end_);
  if (epochs_.truncate_from_end(log_end_)) {
    if (auto s = epochs_.persist(); !s) return fail(s.error());
  }
  // The producer state as of the new log end: snapshots past it are
  // deleted, the newest remaining one loaded and the rest replayed.
  if (auto s = reset_producer_state(); !s) return fail(s.error());
  return {};
}

}  // namespace moldau::storage
