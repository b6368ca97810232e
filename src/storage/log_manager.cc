#include "storage/log_manager.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "base/fork_join.h"
#include "base/log.h"
#include "storage/checkpoint_file.h"
#include "storage/clock.h"

namespace moldau::storage {

namespace {

constexpr const char* kMetadataPartitionDir = "__cluster_metadata-0";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string random_hex_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

Status mkdirs(FileOps* ops, const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return io_error("mkdir", path, ec.value());
  (void)ops;
  return {};
}

}  // namespace

LogManager::LogManager(std::vector<std::string> log_dirs, LogConfig defaults,
                       std::function<void(std::function<void()>)> post_to_loop,
                       LogManagerOptions options)
    : defaults_(defaults), post_(std::move(post_to_loop)), options_(std::move(options)) {
  for (auto& d : log_dirs) {
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    FileOps* ops = options_.file_ops(d);
    dirs_.push_back(std::make_shared<LogDir>(d, ops));
  }
  flusher_ = std::make_unique<Flusher>(post_);
  background_flusher_ = std::make_unique<Flusher>(post_);
}

LogManager::~LogManager() {
  flusher_->stop();
  background_flusher_->stop();
}

const char* LogManager::checkpoint_file(CheckpointKind kind) {
  switch (kind) {
    case kRecoveryPoints: return kRecoveryPointFile;
    case kLogStarts: return kLogStartFile;
    default: return kHighWatermarkFile;
  }
}

Status LogManager::open() {
  int64_t now_ms = wall_clock_ms();
  size_t online = 0;
  for (const auto& dir : dirs_) {
    if (auto s = open_dir(dir, now_ms); !s) {
      dir->mark_offline(s.error());
      continue;
    }
    ++online;
  }
  for (auto& t : last_checkpoint_ms_) t = now_ms;
  last_retention_check_ms_ = now_ms;
  if (online == 0) {
    return Error{ErrorCode::kKafkaStorageError, "no log dir could be opened"};
  }
  return {};
}

Status LogManager::open_dir(const std::shared_ptr<LogDir>& dir, int64_t now_ms) {
  FileOps* ops = dir->ops();
  if (auto s = mkdirs(ops, dir->path()); !s) return s;
  std::string marker = dir->path() + "/" + kCleanShutdownFile;
  struct stat st;
  bool clean = ::stat(marker.c_str(), &st) == 0;

  OffsetMap cps[kCheckpointKinds];
  for (int k = 0; k < kCheckpointKinds; ++k) {
    std::string path = dir->path() + "/" + checkpoint_file(CheckpointKind(k));
    auto read = read_offset_checkpoint(ops, path);
    if (!read) {
      if (read.error().code == ErrorCode::kKafkaStorageError) return read.error();
      // A malformed checkpoint costs a longer recovery, nothing else.
      MOLDAU_LOG_WARN("{}; ignoring it", read.error().message);
      if (k == kRecoveryPoints) clean = false;
      continue;
    }
    cps[k] = std::move(read.value());
  }

  std::vector<std::string> names;
  {
    DIR* d = ::opendir(dir->path().c_str());
    if (d == nullptr) return io_error("opendir", dir->path(), errno);
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
      names.push_back(std::move(name));
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  // The partitions to open, then open them (recovering after a crash) on
  // num.recovery.threads.per.data.dir threads: each Log::open touches only its
  // own partition directory and the (thread-safe) LogDir.
  struct ToOpen {
    TopicPartition tp;
    std::string path;
    LogCheckpoints cp;
    std::optional<Result<std::unique_ptr<Log>>> log;
  };
  std::vector<ToOpen> todo;
  for (const auto& name : names) {
    std::string path = dir->path() + "/" + name;
    if (ends_with(name, "-delete")) {
      dirs_to_remove_.emplace_back(now_ms, path);
      continue;
    }
    if (name == kMetadataPartitionDir || ends_with(name, "-future") || ends_with(name, "-stray")) {
      continue;
    }
    auto tp = TopicPartition::parse_dir_name(name);
    if (!tp) continue;
    if (logs_.count(*tp)) {
      return Error{ErrorCode::kKafkaStorageError,
                   fmt::format("partition {} is in two log dirs", name)};
    }
    LogCheckpoints cp;
    if (auto it = cps[kRecoveryPoints].find(*tp); it != cps[kRecoveryPoints].end()) {
      cp.recovery_point = it->second;
    }
    if (auto it = cps[kLogStarts].find(*tp); it != cps[kLogStarts].end()) {
      cp.log_start_offset = it->second;
    }
    if (auto it = cps[kHighWatermarks].find(*tp); it != cps[kHighWatermarks].end()) {
      cp.high_watermark = it->second;
    }
    todo.push_back(ToOpen{*tp, std::move(path), cp, std::nullopt});
  }
  {
    ForkJoinPool pool(std::max(1, std::min(options_.recovery_threads_per_dir, int(todo.size()))));
    pool.run(todo.size(), [&](size_t i) {
      todo[i].log.emplace(Log::open(dir, todo[i].tp, defaults_, todo[i].cp, clean, now_ms));
    });
  }
  for (auto& t : todo) {
    auto& log = *t.log;
    if (!log) {
      if (log.error().code == ErrorCode::kKafkaStorageError) return log.error();
      MOLDAU_LOG_ERROR("{}: cannot load: {}", t.path, log.error().message);
      continue;
    }
    Entry entry{std::shared_ptr<Log>(std::move(log.value())), ""};
    if (auto text = read_small_file(ops, t.path + "/" + kPartitionMetadataFile, 4096);
        text && *text) {
      if (auto id = parse_partition_metadata(**text)) entry.topic_id = *id;
    }
    logs_.emplace(t.tp, std::move(entry));
  }
  // From now on a crash must be noticed: the marker goes, durably.
  if (clean) {
    if (ops->unlink(marker) != 0 && errno != ENOENT) return io_error("unlink", marker, errno);
    if (auto s = sync_dir(ops, dir->path()); !s) return s;
  }
  MOLDAU_LOG_INFO("log dir {}: {} shutdown, loaded", dir->path(), clean ? "clean" : "unclean");
  return {};
}

std::shared_ptr<LogDir> LogManager::pick_dir() const {
  std::shared_ptr<LogDir> best;
  size_t best_count = 0;
  for (const auto& dir : dirs_) {
    if (dir->offline()) continue;
    size_t count = 0;
    for (const auto& [tp, e] : logs_) count += e.log->log_dir() == dir;
    if (!best || count < best_count) {
      best = dir;
      best_count = count;
    }
  }
  return best;
}

Result<Log*> LogManager::get_or_create(const TopicPartition& tp, const std::string& topic_id_text,
                                       const LogConfig& config) {
  if (auto it = logs_.find(tp); it != logs_.end()) {
    if (!(it->second.log->config() == config)) it->second.log->update_config(config);
    return it->second.log.get();
  }
  auto dir = pick_dir();
  if (!dir) return Error{ErrorCode::kKafkaStorageError, "every log dir is offline"};
  auto log = Log::open(dir, tp, config, LogCheckpoints{}, true, wall_clock_ms());
  if (!log) return log.error();
  // The new partition dir's name must survive a power loss.
  if (auto s = sync_dir(dir->ops(), dir->path()); !s) {
    dir->mark_offline(s.error());
    return s.error();
  }
  if (!topic_id_text.empty()) {
    auto s = write_file_atomically(dir->ops(), (*log)->dir() + "/" + kPartitionMetadataFile,
                                   format_partition_metadata(topic_id_text));
    if (!s) {
      dir->mark_offline(s.error());
      return s.error();
    }
  }
  Log* raw = log->get();
  logs_.emplace(tp, Entry{std::shared_ptr<Log>(std::move(log.value())), topic_id_text});
  return raw;
}

Log* LogManager::get(const TopicPartition& tp) {
  auto it = logs_.find(tp);
  return it == logs_.end() ? nullptr : it->second.log.get();
}

Status LogManager::remove(const TopicPartition& tp) {
  auto it = logs_.find(tp);
  if (it == logs_.end()) {
    return Error{ErrorCode::kUnknownTopicOrPartition, tp.dir_name() + " has no log"};
  }
  std::shared_ptr<Log> log = it->second.log;
  logs_.erase(it);
  log->abandon();
  const auto& dir = log->log_dir();
  std::string to = fmt::format("{}.{}-delete", log->dir(), random_hex_id());
  if (dir->ops()->rename(log->dir(), to) != 0) {
    Error e = io_error("rename", log->dir(), errno);
    dir->mark_offline(e);
    return e;
  }
  (void)sync_dir(dir->ops(), dir->path());
  dirs_to_remove_.emplace_back(wall_clock_ms() + log->config().file_delete_delay_ms, to);
  return {};
}

void LogManager::remove_due_dirs(int64_t now_ms, bool all) {
  auto due = [&](const auto& p) { return all || p.first <= now_ms; };
  for (const auto& [when, path] : dirs_to_remove_) {
    if (!all && when > now_ms) continue;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) MOLDAU_LOG_WARN("removing {}: {}", path, ec.message());
  }
  std::erase_if(dirs_to_remove_, due);
}

OffsetMap LogManager::checkpoint_offsets(const LogDir& dir, CheckpointKind kind) const {
  OffsetMap offsets;
  for (const auto& [tp, e] : logs_) {
    if (e.log->log_dir().get() != &dir) continue;
    switch (kind) {
      case kRecoveryPoints: offsets[tp] = e.log->recovery_point(); break;
      case kLogStarts: offsets[tp] = e.log->log_start_offset(); break;
      default: offsets[tp] = e.log->high_watermark(); break;
    }
  }
  return offsets;
}

void LogManager::tick(int64_t now_ms) {
  if (shut_down_) return;
  bool retention_due = now_ms - last_retention_check_ms_ >= options_.retention_check_interval_ms;
  if (retention_due) last_retention_check_ms_ = now_ms;
  for (auto& [tp, e] : logs_) {
    Log& log = *e.log;
    if (log.offline()) continue;
    if (retention_due) {
      if (auto n = log.apply_retention(now_ms); !n) {
        MOLDAU_LOG_WARN("{}: retention: {}", tp.dir_name(), n.error().message);
      }
    }
    if (auto s = log.roll_if_due(now_ms); !s) {
      MOLDAU_LOG_WARN("{}: roll: {}", tp.dir_name(), s.error().message);
    }
    // Background flushes (flush.ms, rolled segments) go to their own thread:
    // syncing a just-rolled 1 GB segment can take seconds, and fsync-on-ack
    // produce requests must not queue behind it.
    if (log.flush_due(now_ms)) {
      submit_flush(*background_flusher_, &log, log.log_end_offset(), nullptr);
      (void)log.take_roll_flush();  // covered by this flush
    } else if (int64_t upto = log.take_roll_flush(); upto > log.recovery_point()) {
      submit_flush(*background_flusher_, &log, upto, nullptr);
    }
    log.delete_expired_files(now_ms);
  }
  remove_due_dirs(now_ms, false);

  const int64_t intervals[kCheckpointKinds] = {options_.recovery_point_checkpoint_interval_ms,
                                               options_.start_offset_checkpoint_interval_ms,
                                               options_.high_watermark_checkpoint_interval_ms};
  for (int k = 0; k < kCheckpointKinds; ++k) {
    if (now_ms - last_checkpoint_ms_[k] < intervals[k]) continue;
    last_checkpoint_ms_[k] = now_ms;
    for (const auto& dir : dirs_) {
      if (dir->offline()) continue;
      std::string path = dir->path() + "/" + checkpoint_file(CheckpointKind(k));
      std::string text = format_offset_checkpoint(checkpoint_offsets(*dir, CheckpointKind(k)));
      background_flusher_->run(
          [ops = dir->ops(), path, text = std::move(text)] {
            return write_file_atomically(ops, path, text);
          },
          [dir](Status s) {
            if (!s) dir->mark_offline(s.error());
          });
    }
  }
}

void LogManager::flush_async(Log* log, int64_t offset, std::function<void(Status)> done) {
  submit_flush(*flusher_, log, offset, std::move(done));
}

void LogManager::submit_flush(Flusher& flusher, Log* log, int64_t offset, std::function<void(Status)> done) {
  auto it = logs_.find(log->topic_partition());
  assert(it != logs_.end() && it->second.log.get() == log);
  auto job = log->prepare_flush(offset);
  if (!job) {
    if (done) post_([done = std::move(done), e = job.error()] { done(e); });
    return;
  }
  if (job->files.empty() && job->sync_dir.empty()) {
    if (done) post_([done = std::move(done)] { done(Status{}); });
    return;
  }
  std::weak_ptr<Log> weak = it->second.log;
  FlushJob copy_for_completion;
  copy_for_completion.sync_dir = job->sync_dir;
  copy_for_completion.dir_generation = job->dir_generation;
  copy_for_completion.target = job->target;
  flusher.submit(std::move(job.value()),
                   [weak, j = std::move(copy_for_completion), done = std::move(done)](Status s) {
                     if (auto l = weak.lock()) l->complete_flush(j, s, wall_clock_ms());
                     if (done) done(s);
                   });
}

Status LogManager::write_checkpoints() {
  Status result;
  for (const auto& dir : dirs_) {
    if (dir->offline()) continue;
    for (int k = 0; k < kCheckpointKinds; ++k) {
      std::string path = dir->path() + "/" + checkpoint_file(CheckpointKind(k));
      auto s = write_offset_checkpoint(dir->ops(), path, checkpoint_offsets(*dir, CheckpointKind(k)));
      if (!s) {
        dir->mark_offline(s.error());
        result = s;
        break;
      }
    }
  }
  return result;
}

void LogManager::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  flusher_->stop();
  background_flusher_->stop();
  for (auto& [tp, e] : logs_) {
    Log& log = *e.log;
    if (log.offline()) continue;
    if (auto s = log.flush(); !s) {
      MOLDAU_LOG_ERROR("{}: flush at shutdown: {}", tp.dir_name(), s.error().message);
      continue;
    }
    if (auto s = log.close(); !s) {
      MOLDAU_LOG_ERROR("{}: close: {}", tp.dir_name(), s.error().message);
    }
  }
  (void)write_checkpoints();
  for (const auto& dir : dirs_) {
    if (dir->offline()) continue;
    std::string marker = dir->path() + "/" + kCleanShutdownFile;
    auto s = write_file_atomically(dir->ops(), marker, "");
    if (!s) MOLDAU_LOG_ERROR("{}: clean shutdown marker: {}", dir->path(), s.error().message);
  }
  for (auto& [tp, e] : logs_) e.log->delete_expired_files(0, true);
  remove_due_dirs(0, true);
  MOLDAU_LOG_INFO("log manager shut down");
}

std::vector<std::string> LogManager::list_partitions() const {
  std::vector<std::string> names;
  for (const auto& [tp, e] : logs_) names.push_back(tp.dir_name());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<TopicPartition> LogManager::partitions() const {
  std::vector<TopicPartition> tps;
  for (const auto& [tp, e] : logs_) tps.push_back(tp);
  return tps;
}

std::optional<std::string> LogManager::topic_id(const TopicPartition& tp) const {
  auto it = logs_.find(tp);
  if (it == logs_.end() || it->second.topic_id.empty()) return std::nullopt;
  return it->second.topic_id;
}

std::vector<std::string> LogManager::offline_dirs() const {
  std::vector<std::string> out;
  for (const auto& dir : dirs_) {
    if (dir->offline()) out.push_back(dir->path());
  }
  return out;
}

}  // namespace moldau::storage
