// Log::open: loading a partition directory at start-up, with crash recovery
// (docs/durability.md, "Recovery").
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "storage/log.h"

namespace moldau::storage {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "00000000000000001234.log" -> 1234.
std::optional<int64_t> base_offset_of(std::string_view name, std::string_view suffix) {
  if (!ends_with(name, suffix) || name.size() != 20 + suffix.size()) return std::nullopt;
  int64_t v = -1;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, v);
  if (ec != std::errc() || end != name.data() + 20 || v < 0) return std::nullopt;
  return v;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

Result<std::unique_ptr<Log>> Log::open(std::shared_ptr<LogDir> log_dir, TopicPartition tp,
                                       const LogConfig& config, const LogCheckpoints& cp,
                                       bool clean_shutdown, int64_t now_ms) {
  std::string dir = log_dir->path() + "/" + tp.dir_name();
  if (log_dir->offline()) return log_dir->offline_error();
  if (log_dir->ops()->mkdir(dir) != 0 && errno != EEXIST) {
    return io_error("mkdir", dir, errno);
  }
  std::unique_ptr<Log> log(new Log(std::move(log_dir), std::move(tp), std::move(dir), config));
  if (auto s = log->load(cp, clean_shutdown, now_ms); !s) return log->fail(s.error());
  return log;
}

Status Log::load(const LogCheckpoints& cp, bool clean_shutdown, int64_t now_ms) {
  FileOps* ops = dir_->ops();
  // 1. List the directory: segments, and leftovers of interrupted work.
  std::set<int64_t> bases;
  std::vector<std::string> leftovers;
  {
    DIR* d = ::opendir(dir_path_.c_str());
    if (d == nullptr) return io_error("opendir", dir_path_, errno);
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (auto base = base_offset_of(name, Segment::kLogSuffix)) {
        bases.insert(*base);
      } else if (ends_with(name, Segment::kDeletedSuffix) || ends_with(name, ".cleaned") ||
                 ends_with(name, ".swap") || ends_with(name, ".tmp")) {
        leftovers.emplace_back(name);
      }
    }
    ::closedir(d);
  }
  for (const auto& name : leftovers) {
    std::string path = dir_path_ + "/" + name;
    if (ops->unlink(path) != 0 && errno != ENOENT) return io_error("unlink", path, errno);
  }
  epochs_.load();

  // 2. Open the segments. After a clean shutdown only the active one is read
  //    (its tail, from the last index entry); otherwise the segments from the
  //    one holding the recovery point on are opened for recovery.
  int64_t recovery_point = cp.recovery_point.value_or(0);
  int64_t recover_from_base = -1;
  if (!clean_shutdown && !bases.empty()) {
    auto it = bases.upper_bound(recovery_point);
    recover_from_base = it == bases.begin() ? *bases.begin() : *std::prev(it);
  }
  for (int64_t base : bases) {
    bool last = base == *bases.rbegin();
    bool recover = recover_from_base >= 0 && base >= recover_from_base;
    // A sealed segment whose indexes are missing is rebuilt too (as Kafka does).
    if (!recover && !last &&
        (!exists(Segment::path_for(dir_path_, base, Segment::kIndexSuffix)) ||
         !exists(Segment::path_for(dir_path_, base, Segment::kTimeIndexSuffix)))) {
      recover = true;
    }
    auto seg = Segment::open(dir_, dir_path_, base, config_, last || recover);
    if (!seg) return seg.error();
    segments_.emplace(base, std::move(seg.value()));
  }
  if (segments_.empty()) {
    int64_t base = std::max<int64_t>(cp.log_start_offset.value_or(0), 0);
    auto seg = Segment::create(dir_, dir_path_, base, config_, now_ms);
    if (!seg) return seg.error();
    segments_.emplace(base, std::move(seg.value()));
    ++dir_generation_;
  }

  // 3. Recover what needs it.
  bool recovered = false;
  for (auto it = segments_.begin(); it != segments_.end(); ++it) {
    Segment& seg = *it->second;
    if (!seg.active()) continue;
    bool last = std::next(it) == segments_.end();
    if (last && !recovered && recover_from_base < 0) {
      // Clean shutdown: read the tail only; fall back to a full recovery of
      // this segment if it does not hold together.
      auto s = seg.load_tail();
      if (s) break;
      if (s.error().code == ErrorCode::kKafkaStorageError) return s;
      MOLDAU_LOG_WARN("{}: {}; recovering the segment", dir_path_, s.error().message);
    }
    if (auto s = recover_from(it); !s) return s;
    recovered = true;
    break;
  }

  // 4. Offsets.
  log_end_ = active().next_offset();
  int64_t first_base = segments_.begin()->first;
  log_start_ = std::max(cp.log_start_offset.value_or(first_base), first_base);
  if (log_start_ > log_end_) {
    // Everything after the log start was lost: start empty at the log start.
    MOLDAU_LOG_WARN("{}: log start {} is past the log end {}; starting empty", dir_path_,
                    log_start_, log_end_);
    for (auto& [base, seg] : segments_) (void)seg->delete_files();
    segments_.clear();
    auto seg = Segment::create(dir_, dir_path_, log_start_, config_, now_ms);
    if (!seg) return seg.error();
    segments_.emplace(log_start_, std::move(seg.value()));
    log_end_ = log_start_;
    ++dir_generation_;
  }
  high_watermark_ = std::clamp(cp.high_watermark.value_or(log_start_), log_start_, log_end_);
  bool epochs_changed = epochs_.truncate_from_end(log_end_);
  epochs_changed |= epochs_.truncate_from_start(log_start_);
  if (epochs_changed) {
    if (auto s = epochs_.persist(); !s) return s;
  }
  last_flush_ms_ = now_ms;
  // Producer state: the newest snapshot, then the batches after it.
  if (auto s = load_producer_state(list_snapshots()); !s) return s;
  if (clean_shutdown) {
    recovery_point_ = log_end_;
  } else {
    // The recovered bytes were read back from the files, but after a process
    // crash they may still be only in the page cache: make them durable
    // before the recovery point passes them.
    recovery_point_ = std::min(recovery_point, log_end_);
    if (recovered) {
      if (auto s = flush_to(log_end_, now_ms); !s) return s;
    }
  }
  MOLDAU_LOG_INFO("{}: loaded {} segments, offsets [{}, {}), recovery point {}{}", dir_path_,
                  segments_.size(), log_start_, log_end_, recovery_point_,
                  recovered ? " (recovered)" : "");
  return {};
}

Status Log::recover_from(std::map<int64_t, std::unique_ptr<Segment>>::iterator first) {
  // Epochs from the recovered batches replace what the file said about them.
  const std::vector<EpochEntry> epochs_before = epochs_.entries();
  epochs_.truncate_from_end(first->first);
  for (auto it = first; it != segments_.end(); ++it) {
    Segment& seg = *it->second;
    bool last = std::next(it) == segments_.end();
    if (!seg.active()) continue;  // only reachable for a segment opened sealed
    auto truncated = seg.recover([this](const BatchInfo& b) {
      epochs_.assign(b.leader_epoch, b.base_offset);
    });
    if (!truncated) return truncated.error();
    if (*truncated > 0 && !last) {
      // Nothing after a damaged segment can be trusted to continue it.
      MOLDAU_LOG_WARN("{}: deleting the segments after {}", dir_path_, seg.log_path());
      for (auto later = std::next(it); later != segments_.end(); ++later) {
        if (auto s = later->second->delete_files(); !s) return s;
      }
      segments_.erase(std::next(it), segments_.end());
      last = true;
    }
    if (!last) {
      if (auto s = seg.seal(); !s) return s;
    } else {
      break;
    }
  }
  // Unchanged epochs are not rewritten: a full disk must not stop a restart.
  if (epochs_.entries() == epochs_before) return {};
  return epochs_.persist();
}

}  // namespace moldau::storage
