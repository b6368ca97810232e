#include "storage/log.h"

#include <algorithm>
#include <cassert>
#include <chrono>

#include <fmt/format.h>

#include "base/log.h"
#include "storage/clock.h"
#include "protocol/record_batch.h"

namespace moldau::storage {

namespace batch = protocol::batch;


Log::Log(std::shared_ptr<LogDir> log_dir, TopicPartition tp, std::string dir,
         const LogConfig& config)
    : dir_(std::move(log_dir)),
      tp_(std::move(tp)),
      dir_path_(std::move(dir)),
      config_(config),
      epochs_(dir_->ops(), dir_path_) {}

Log::~Log() = default;

Error Log::fail(const Error& e) {
  if (e.code == ErrorCode::kKafkaStorageError) dir_->mark_offline(e);
  return e;
}

void Log::assign_epoch(int32_t epoch, int64_t offset) {
  if (epochs_.assign(epoch, offset)) {
    if (auto s = epochs_.persist(); !s) fail(s.error());
  }
}

Error Log::closed_error() const {
  return Error{ErrorCode::kKafkaStorageError, tp_.dir_name() + " is closed"};
}

Result<AppendResult> Log::append(std::span<uint8_t> batches, int32_t leader_epoch,
                                 int64_t now_ms) {
  return append_checked(batches, leader_epoch, now_ms, AppendOrigin::kClient);
}

Result<AppendResult> Log::append_control(int64_t producer_id, int16_t producer_epoch,
                                         int32_t coordinator_epoch, bool commit,
                                         int32_t leader_epoch, int64_t now_ms) {
  if (producer_id < 0 || producer_epoch < 0) {
    return Error{ErrorCode::kInvalidRequest,
                 fmt::format("a transaction marker needs a producer id and epoch, not {}/{}",
                             producer_id, producer_epoch)};
  }
  Bytes b = protocol::make_control_batch(
      producer_id, producer_epoch, commit ? protocol::ControlType::kCommit : protocol::ControlType::kAbort,
      coordinator_epoch, now_ms);
  return append_checked(std::span<uint8_t>(b), leader_epoch, now_ms, AppendOrigin::kCoordinator);
}

Result<AppendResult> Log::append_checked(std::span<uint8_t> batches, int32_t leader_epoch,
                                         int64_t now_ms, AppendOrigin origin) {
  if (offline()) return dir_->offline_error();
  if (closed_) return closed_error();
  if (batches.empty()) return Error{ErrorCode::kCorruptMessage, "no record batches"};
  // Assign offsets. The caller validated the batches; the framing is checked
  // again because a wrong length here would corrupt the log for every reader.
  // Producer state is checked before anything is written.
  ProducerAppend staged(producers_, origin);
  int64_t next = log_end_;
  int64_t max_timestamp = -1;
  size_t at = 0;
  while (at < batches.size()) {
    auto info = parse_batch_header(batches.subspan(at), 0, int64_t(batches.size() - at));
    if (!info) {
      return Error{ErrorCode::kCorruptMessage,
                   fmt::format("invalid batch framing at byte {} of {}", at, batches.size())};
    }
    uint8_t* p = batches.data() + at;
    auto header = producer_header_of(batches.subspan(at, size_t(info->size)));
    if (!header) return header.error();
    auto dup = staged.add(*header, next);
    if (!dup) return dup.error();
    if (*dup) {
      // Kafka answers the whole append with the duplicate's offsets.
      return AppendResult{(*dup)->first_offset, (*dup)->last_offset, log_start_, true, (*dup)->max_timestamp};
    }
    protocol::set_base_offset(p, next);
    if (leader_epoch >= 0) protocol::set_partition_leader_epoch(p, leader_epoch);
    next += info->last_offset - info->base_offset + 1;
    max_timestamp = std::max(max_timestamp, info->max_timestamp);
    at += size_t(info->size);
  }
  AppendResult result{log_end_, next - 1, log_start_};
  if (auto s = write_batches(batches, next, max_timestamp, leader_epoch, now_ms); !s) {
    return s.error();
  }
  staged.commit(producers_);
  if (auto s = write_aborted_txns(); !s) return fail(s.error());
  return result;
}

Status Log::write_batches(std::span<const uint8_t> batches, int64_t next_offset,
                          int64_t max_timestamp, int32_t new_epoch, int64_t now_ms) {
  int64_t first = protocol::BatchHeaderView(batches.data()).base_offset();
  if (active().should_roll(config_, int64_t(batches.size()), next_offset - 1, max_timestamp,
                           now_ms)) {
    if (auto s = roll(now_ms); !s) return s;
  }
  if (new_epoch >= 0) assign_epoch(new_epoch, first);
  if (auto s = active().append(batches, now_ms); !s) return fail(s.error());
  unflushed_messages_ += next_offset - log_end_;
  log_end_ = next_offset;
  if (unflushed_messages_ >= config_.flush_messages) {
    if (auto s = flush_to(log_end_, now_ms); !s) return s;
  }
  return {};
}

Result<AppendResult> Log::append_replicated(std::span<const uint8_t> batches, int64_t now_ms) {
  if (offline()) return dir_->offline_error();
  if (closed_) return closed_error();
  if (batches.empty()) return Error{ErrorCode::kCorruptMessage, "no record batches"};
  ProducerAppend staged(producers_, AppendOrigin::kLog);
  int64_t next = log_end_;
  int64_t max_timestamp = -1;
  size_t at = 0;
  while (at < batches.size()) {
    auto info = parse_batch_header(batches.subspan(at), 0, int64_t(batches.size() - at));
    if (!info) {
      return Error{ErrorCode::kCorruptMessage,
                   fmt::format("invalid batch framing at byte {} of {}", at, batches.size())};
    }
    if (info->base_offset < next) {
      return Error{ErrorCode::kCorruptMessage,
                   fmt::format("replicated batch at offset {} is below the log end {}",
                               info->base_offset, next)};
    }
    auto header = producer_header_of(batches.subspan(at, size_t(info->size)));
    if (!header) return header.error();
    if (auto r = staged.add(*header, info->base_offset); !r) return r.error();
    next = info->last_offset + 1;
    max_timestamp = std::max(max_timestamp, info->max_timestamp);
    at += size_t(info->size);
  }
  AppendResult result{protocol::BatchHeaderView(batches.data()).base_offset(), next - 1,
                      log_start_};
  if (auto s = write_batches(batches, next, max_timestamp, -1, now_ms); !s) return s.error();
  staged.commit(producers_);
  if (auto s = write_aborted_txns(); !s) return fail(s.error());
  // The leader stamped the epochs: each batch that starts a newer one is recorded.
  for (at = 0; at < batches.size();) {
    protocol::BatchHeaderView h(batches.data() + at);
    assign_epoch(h.partition_leader_epoch(), h.base_offset());
    at += size_t(h.size_bytes());
  }
  return result;
}

Result<ReadResult> Log::read(int64_t offset, int64_t max_bytes, int64_t max_offset,
                             bool min_one) {
  if (offline()) return dir_->offline_error();
  ReadResult r;
  r.first_offset = offset;
  r.log_start_offset = log_start_;
  r.log_end_offset = log_end_;
  if (offset < log_start_ || offset > log_end_) {
    return Error{ErrorCode::kOffsetOutOfRange,
                 fmt::format("offset {} is outside [{}, {}] of {}", offset, log_start_, log_end_,
                             tp_.dir_name())};
  }
  if (offset >= log_end_ || offset >= max_offset) return r;
  auto it = std::prev(segments_.upper_bound(offset));
  for (; it != segments_.end(); ++it) {
    const Segment& seg = *it->second;
    auto found = seg.find_batch(offset);
    if (!found) return fail(found.error());
    if (!*found) continue;  // offset lies past this segment's last batch
    const BatchInfo& first = **found;
    int64_t max_position = seg.size_bytes();
    auto next_seg = std::next(it);
    bool max_here = next_seg == segments_.end() ? max_offset < log_end_
                                                : max_offset < next_seg->first;
    if (max_here) {
      auto m = seg.find_batch(max_offset);
      if (!m) return fail(m.error());
      if (*m) max_position = (*m)->position;
    }
    if (max_position <= first.position) return r;
    int64_t limit = max_position;
    if (max_bytes < limit - first.position) limit = first.position + std::max<int64_t>(max_bytes, 0);
    auto end = seg.batches_end_before(first.position, limit);
    if (!end) return fail(end.error());
    int64_t stop = *end;
    if (stop == first.position) {
      if (!min_one) return r;
      stop = first.end();
    }
    r.region = seg.region(first.position, stop - first.position);
    r.first_offset = first.base_offset;
    return r;
  }
  return r;
}

void Log::set_high_watermark(int64_t hw) {
  high_watermark_ = std::clamp(hw, log_start_, log_end_);
}

std::optional<std::pair<int64_t, int64_t>> Log::offset_for_timestamp(int64_t ts) const {
  for (const auto& [base, seg] : segments_) {
    if (seg->max_timestamp() < ts) continue;
    auto found = seg->find_timestamp(ts);
    if (!found) {
      MOLDAU_LOG_WARN("{}: timestamp lookup: {}", tp_.dir_name(), found.error().message);
      return std::nullopt;
    }
    if (!*found) continue;
    if ((*found)->last_offset < log_start_) continue;
    return std::make_pair(std::max((*found)->base_offset, log_start_), (*found)->max_timestamp);
  }
  return std::nullopt;
}

std::pair<int64_t, int64_t> Log::max_timestamp_and_offset() const {
  std::pair<int64_t, int64_t> best{-1, -1};
  for (const auto& [base, seg] : segments_) {
    if (seg->max_timestamp() > best.first) {
      best = {seg->max_timestamp(), seg->offset_of_max_timestamp()};
    }
  }
  return best;
}

size_t Log::size_bytes() const {
  size_t total = 0;
  for (const auto& [base, seg] : segments_) total += size_t(seg->size_bytes());
  return total;
}

void Log::update_config(const LogConfig& config) {
  config_ = config;
  active().set_index_interval_bytes(config.index_interval_bytes);
}

Status Log::roll(int64_t now_ms) {
  if (offline()) return dir_->offline_error();
  if (closed_) return closed_error();
  Segment& old = active();
  if (old.empty()) return {};
  assert(old.next_offset() == log_end_);
  if (auto s = old.seal(); !s) return fail(s.error());
  auto seg = Segment::create(dir_, dir_path_, log_end_, config_, now_ms);
  if (!seg) return fail(seg.error());
  segments_.emplace(log_end_, std::move(seg.value()));
  ++dir_generation_;
  roll_flush_target_ = log_end_;
  MOLDAU_LOG_DEBUG("{}: rolled a new segment at {}", tp_.dir_name(), log_end_);
  // As Kafka: a producer state snapshot at every roll, so that recovery
  // replays at most the active segment.
  if (auto s = write_producer_snapshot(); !s) {
    MOLDAU_LOG_WARN("{}: {}", tp_.dir_name(), s.error().message);
  }
  return {};
}

Status Log::roll_if_due(int64_t now_ms) {
  if (offline() || active().empty()) return {};
  if (active().time_waited_for_roll(now_ms, now_ms) > config_.segment_ms) return roll(now_ms);
  return {};
}

Status Log::flush() {
  if (offline()) return dir_->offline_error();
  return flush_to(log_end_, wall_clock_ms());
}

Status Log::flush_to(int64_t offset, int64_t now_ms) {
  offset = std::min(offset, log_end_);
  if (offset <= recovery_point_ && dir_synced_generation_ == dir_generation_) return {};
  auto job = prepare_flush(offset);
  if (!job) return job.error();
  Status status;
  for (const auto& f : job->files) {
    if (status = f->datasync(); !status) break;
  }
  if (status && !job->sync_dir.empty()) status = sync_dir(dir_->ops(), job->sync_dir);
  complete_flush(*job, status, now_ms);
  if (!status) return status.error();
  return {};
}

Result<FlushJob> Log::prepare_flush(int64_t offset) {
  if (offline()) return dir_->offline_error();
  FlushJob job;
  job.target = std::min(offset, log_end_);
  job.ops = dir_->ops();
  // Every job until one has synced the directory carries it: a job that
  // completes must not rely on another still in flight.
  if (dir_synced_generation_ < dir_generation_) {
    job.sync_dir = dir_path_;
    job.dir_generation = dir_generation_;
  }
  if (job.target <= recovery_point_) return job;
  // From the segment holding the recovery point to the one holding target-1.
  auto it = segments_.upper_bound(recovery_point_);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end() && it->first < job.target; ++it) {
    Segment& seg = *it->second;
    // A sealed segment's indexes (written when it was sealed) must be
    // durable before the recovery point passes it: recovery will trust them.
    // The active one's are rebuilt by recovery and need no write here.
    auto files = seg.files_to_sync(!seg.active());
    job.files.insert(job.files.end(), files.begin(), files.end());
  }
  return job;
}

void Log::complete_flush(const FlushJob& job, const Status& status, int64_t now_ms) {
  if (!status) {
    fail(status.error());
    return;
  }
  if (!job.sync_dir.empty()) {
    dir_synced_generation_ = std::max(dir_synced_generation_, job.dir_generation);
  }
  int64_t target = std::min(job.target, log_end_);
  if (target > recovery_point_) recovery_point_ = target;
  if (recovery_point_ >= log_end_) unflushed_messages_ = 0;
  last_flush_ms_ = now_ms;
}

bool Log::flush_due(int64_t now_ms) const {
  return recovery_point_ < log_end_ && now_ms - last_flush_ms_ >= config_.flush_ms;
}

Status Log::close() {
  if (closed_) return {};
  closed_ = true;
  if (offline()) return dir_->offline_error();
  if (auto s = write_producer_snapshot(); !s) {
    MOLDAU_LOG_WARN("{}: {}", tp_.dir_name(), s.error().message);
  }
  Segment& seg = active();
  // As Kafka's LogSegment.close: the final time index entry, then the indexes.
  if (seg.max_timestamp() >= 0) {
    // seal() appends the entry and writes both indexes; the segment is
    // reopened as active on the next start.
    if (auto s = seg.seal(); !s) return fail(s.error());
  } else if (auto s = seg.write_indexes(); !s) {
    return fail(s.error());
  }
  return {};
}

}  // namespace moldau::storage
