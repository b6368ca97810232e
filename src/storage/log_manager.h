// The broker's partition logs across its log.dirs (docs/storage.md).
//
// Owns the logs, places new partitions on the least loaded online dir, loads
// them at start-up (recovery after a crash, none after a clean shutdown),
// writes the per-dir checkpoint files, runs retention and delayed deletes on
// tick(), and runs group-commit flushes on the flusher thread.
//
// Not thread-safe: called on the broker's event loop, like Log. The flusher
// thread reports back through `post_to_loop`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "storage/file_ops.h"
#include "storage/flusher.h"
#include "storage/log.h"
#include "storage/log_config.h"
#include "storage/log_dir.h"
#include "storage/topic_partition.h"

namespace moldau::storage {

// Broker-wide settings, named after Kafka's server.properties keys.
struct LogManagerOptions {
  int64_t retention_check_interval_ms = 300000;        // log.retention.check.interval.ms
  int64_t recovery_point_checkpoint_interval_ms = 60000;  // log.flush.offset.checkpoint.interval.ms
  int64_t start_offset_checkpoint_interval_ms = 60000;  // log.flush.start.offset.checkpoint.interval.ms
  int64_t high_watermark_checkpoint_interval_ms = 5000;  // replica.high.watermark.checkpoint.interval.ms
  // num.recovery.threads.per.data.dir: partitions of one dir opened (and,
  // after a crash, recovered) in parallel at start-up.
  int recovery_threads_per_dir = 1;
  // Where each dir's file system calls go (tests inject faults here).
  std::function<FileOps*(const std::string& dir)> file_ops = [](const std::string&) {
    return posix_file_ops();
  };
};

class LogManager {
 public:
  static constexpr const char* kCleanShutdownFile = ".kafka_cleanshutdown";
  static constexpr const char* kRecoveryPointFile = "recovery-point-offset-checkpoint";
  static constexpr const char* kLogStartFile = "log-start-offset-checkpoint";
  static constexpr const char* kHighWatermarkFile = "replication-offset-checkpoint";
  static constexpr const char* kPartitionMetadataFile = "partition.metadata";

  LogManager(std::vector<std::string> log_dirs, LogConfig defaults,
             std::function<void(std::function<void()>)> post_to_loop,
             LogManagerOptions options = {});
  ~LogManager();
  LogManager(const LogManager&) = delete;
  LogManager& operator=(const LogManager&) = delete;

  // Loads every partition directory with the default config (get_or_create
  // then applies the topic's), recovering after a crash, and removes the
  // leftovers of deletions. A dir that fails goes offline; the call fails
  // only when no dir is online.
  Status open();
  // The partition's log, created on the least loaded online dir if new (with
  // partition.metadata holding topic_id_text when non-empty). An existing
  // log takes `config`.
  Result<Log*> get_or_create(const TopicPartition& tp, const std::string& topic_id_text,
                             const LogConfig& config);
  Log* get(const TopicPartition& tp);
  // Deletes a partition: its dir is renamed to "<dir>.<uuid>-delete" now and
  // removed after file.delete.delay.ms (fetches in flight keep their files).
  Status remove(const TopicPartition& tp);
  // Retention (every log.retention.check.interval.ms), segment.ms rolls,
  // flush.ms, delayed deletes, checkpoint files. Call every ~100 ms-1 s.
  void tick(int64_t now_ms);
  // Group commit: `done` runs on the loop once the log is durable up to
  // `offset` (KAFKA_STORAGE_ERROR if the sync failed; the dir is then offline).
  void flush_async(Log* log, int64_t offset, std::function<void(Status)> done);
  // Flushes every log, writes the checkpoints and each healthy dir's
  // clean-shutdown marker. The manager is unusable afterwards.
  void shutdown();
  // "<topic>-<partition>" of every loaded partition.
  std::vector<std::string> list_partitions() const;

  std::vector<TopicPartition> partitions() const;
  // The topic id from partition.metadata, if the partition has one.
  std::optional<std::string> topic_id(const TopicPartition& tp) const;
  std::vector<std::string> offline_dirs() const;
  const LogConfig& defaults() const { return defaults_; }
  const Flusher& flusher() const { return *flusher_; }
  const Flusher& background_flusher() const { return *background_flusher_; }
  // Writes all checkpoint files of every online dir now (synchronously).
  Status write_checkpoints();

 private:
  struct Entry {
    std::shared_ptr<Log> log;
    std::string topic_id;
  };
  Status open_dir(const std::shared_ptr<LogDir>& dir, int64_t now_ms);
  std::shared_ptr<LogDir> pick_dir() const;
  enum CheckpointKind { kRecoveryPoints, kLogStarts, kHighWatermarks, kCheckpointKinds };
  static const char* checkpoint_file(CheckpointKind kind);
  // One checkpoint file's entries for the logs of one dir.
  OffsetMap checkpoint_offsets(const LogDir& dir, CheckpointKind kind) const;
  void remove_due_dirs(int64_t now_ms, bool all);
  void submit_flush(Flusher& flusher, Log* log, int64_t offset, std::function<void(Status)> done);

  std::vector<std::shared_ptr<LogDir>> dirs_;
  LogConfig defaults_;
  std::function<void(std::function<void()>)> post_;
  LogManagerOptions options_;
  std::unique_ptr<Flusher> flusher_;             // flush_async: produce acks, offsets, txn state
  std::unique_ptr<Flusher> background_flusher_;  // flush.ms, rolled segments, checkpoint files
  std::unordered_map<TopicPartition, Entry> logs_;
  std::vector<std::pair<int64_t, std::string>> dirs_to_remove_;  // (due, path)
  int64_t last_retention_check_ms_ = 0;
  int64_t last_checkpoint_ms_[kCheckpointKinds] = {0, 0, 0};
  bool shut_down_ = false;
};

}  // namespace moldau::storage
