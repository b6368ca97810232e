// One partition's log: an ordered set of segments in `<log.dir>/<topic>-<partition>/`
// (docs/storage.md). Offsets are assigned here, reads go through the segments'
// indexes, and the log start offset, high watermark and recovery point live here.
//
// Not thread-safe: calls are made on the broker's event-loop thread, except
// that the produce path may append to different Logs from the append pool's
// threads while the loop waits for them (kafka/handlers/produce.cc); a Log
// must therefore not reach state shared with other Logs, except through
// LogDir (thread-safe). Segment files (shared_ptr<File>) are also shared
// with fetch responses in flight and the flusher thread, which keep them open.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_config.h"
#include "storage/log_dir.h"
#include "storage/producer_state.h"
#include "storage/segment.h"
#include "storage/topic_partition.h"

namespace moldau::storage {

struct AppendResult {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t log_start_offset = 0;
  // A retried idempotent batch: nothing was appended; the offsets are the
  // original batch's.
  bool duplicate = false;
  // For a duplicate: the original batch's MaxTimestamp (on a LogAppendTime
  // topic, the time it was appended, which the retry is answered with).
  int64_t duplicate_timestamp = -1;
};

struct ReadResult {
  FileRegion region;         // whole batches only; length 0 (fd -1) when there are none
  int64_t first_offset = 0;  // base offset of the first batch in `region` (the
                             // requested offset when region is empty)
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
};

// What a log dir's checkpoint files say about one partition.
struct LogCheckpoints {
  std::optional<int64_t> recovery_point;
  std::optional<int64_t> log_start_offset;
  std::optional<int64_t> high_watermark;
};

// The files one asynchronous flush must fdatasync (prepared on the loop, run by
// the flusher thread, completed on the loop again).
struct FlushJob {
  std::vector<std::shared_ptr<File>> files;
  std::string sync_dir;  // a directory to fsync too (new segment files), or ""
  FileOps* ops = nullptr;  // for sync_dir
  uint64_t dir_generation = 0;  // what syncing sync_dir makes durable
  int64_t target = 0;    // the recovery point once this is done
};

class Log {
 public:
  // Opens the partition directory `<log_dir>/<tp>` (creating it and a first
  // segment when it has none). After a clean shutdown nothing is scanned;
  // otherwise the segments from the one holding the recovery point on are
  // recovered (segment.h, Segment::recover).
  static Result<std::unique_ptr<Log>> open(std::shared_ptr<LogDir> log_dir, TopicPartition tp,
                                           const LogConfig& config, const LogCheckpoints& cp,
                                           bool clean_shutdown, int64_t now_ms);
  ~Log();

  // `batches`: one or more already-validated magic-2 batches in a mutable
  // buffer. Assigns offsets by writing each BaseOffset (and, when
  // leader_epoch >= 0, PartitionLeaderEpoch) in place, then appends the bytes
  // unchanged with one write. Rolls first when the active segment is due.
  //
  // Batches with a producer id are checked against the producer state first
  // (producer_state.h, ProducerAppend::add): a retry of one of the producer's
  // last batches returns the original offsets with `duplicate` set and
  // appends nothing; epoch and sequence errors append nothing.
  Result<AppendResult> append(std::span<uint8_t> batches, int32_t leader_epoch, int64_t now_ms);
  // The transaction coordinator's COMMIT (commit) or ABORT marker for a
  // producer: a control batch in Kafka's format (one record, key version 0 +
  // type 0 abort / 1 commit, value version 0 + coordinator epoch). Closes the
  // producer's ongoing transaction here; an abort is recorded in the
  // `.txnindex`. INVALID_PRODUCER_EPOCH for an older producer epoch,
  // TRANSACTION_COORDINATOR_FENCED for an older coordinator epoch.
  Result<AppendResult> append_control(int64_t producer_id, int16_t producer_epoch,
                                      int32_t coordinator_epoch, bool commit, int32_t leader_epoch,
                                      int64_t now_ms);
  // A follower's append: batches keep the offsets and leader epochs the leader
  // gave them (the first base offset must be >= log end; gaps are allowed).
  // The leader epoch cache learns each newer epoch from the batch headers.
  Result<AppendResult> append_replicated(std::span<const uint8_t> batches, int64_t now_ms);
  // Batches starting at the one containing `offset`, at most max_bytes (but at
  // least one whole batch when min_one, KIP-74), never past max_offset
  // (exclusive: the high watermark or LSO), from one segment.
  // OFFSET_OUT_OF_RANGE outside [log_start, log_end].
  Result<ReadResult> read(int64_t offset, int64_t max_bytes, int64_t max_offset, bool min_one);

  int64_t log_start_offset() const { return log_start_; }
  int64_t log_end_offset() const { return log_end_; }
  int64_t high_watermark() const { return high_watermark_; }
  // Clamped to [log_start, log_end]. Retention never deletes above it.
  void set_high_watermark(int64_t hw);
  int64_t recovery_point() const { return recovery_point_; }
  // min(first offset of the oldest ongoing transaction, high watermark).
  int64_t last_stable_offset() const { return producers_.last_stable_offset(high_watermark_); }
  // Aborted transactions overlapping [from_offset, upper_offset) (a
  // read_committed fetch of that range), from the `.txnindex` entries.
  std::vector<AbortedTxn> aborted_transactions(int64_t from_offset, int64_t upper_offset) const {
    return producers_.aborted_transactions(from_offset, upper_offset);
  }
  const ProducerStateManager& producer_state() const { return producers_; }
  // Forgets producers idle for producer.id.expiration.ms (the retention tick
  // calls it through apply_retention); returns how many.
  size_t remove_expired_producers(int64_t now_ms);

  // (offset, timestamp) of the first batch whose MaxTimestamp >= ts (batch
  // granularity: the offset is the batch's base offset, at least log start).
  std::optional<std::pair<int64_t, int64_t>> offset_for_timestamp(int64_t ts) const;
  // (max timestamp, last offset of the batch carrying it); (-1, -1) if none.
  std::pair<int64_t, int64_t> max_timestamp_and_offset() const;

  // DeleteRecords: moves the log start up to `offset` (<= high watermark) and
  // deletes the segments wholly below it.
  Status delete_records_before(int64_t offset);
  // fdatasync up to the log end; moves the recovery point.
  Status flush();
  void update_config(const LogConfig& config);
  const LogConfig& config() const { return config_; }

  size_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  int64_t active_segment_base_offset() const { return segments_.rbegin()->first; }
  bool offline() const { return dir_->offline(); }

  // --- For the log manager. ---
  const TopicPartition& topic_partition() const { return tp_; }
  const std::string& dir() const { return dir_path_; }
  const std::shared_ptr<LogDir>& log_dir() const { return dir_; }
  LeaderEpochCache& leader_epochs() { return epochs_; }

  // retention.ms, retention.bytes and the log start offset, then segment.ms;
  // returns the number of segments deleted. Deleted segments are renamed to
  // *.deleted now and unlinked by delete_expired_files() after
  // file.delete.delay.ms.
  Result<size_t> apply_retention(int64_t now_ms);
  Status roll_if_due(int64_t now_ms);
  void delete_expired_files(int64_t now_ms, bool all = false);
  // flush.messages is handled in append(); flush.ms here.
  bool flush_due(int64_t now_ms) const;
  // After a roll, as Kafka does: the segments before the new active one are
  // due to be flushed (in the background), which moves the recovery point
  // so that a restart after a crash recovers only the newer segments.
  // Returns the offset to flush to (the newest roll's base offset), once,
  // or -1 when no roll happened since the last call.
  int64_t take_roll_flush() {
    int64_t t = roll_flush_target_;
    roll_flush_target_ = -1;
    return t;
  }
  // Prepares an asynchronous flush up to `offset` (clamped to the log end).
  Result<FlushJob> prepare_flush(int64_t offset);
  // The flusher finished a job: moves the recovery point (or takes the dir offline).
  void complete_flush(const FlushJob& job, const Status& status, int64_t now_ms);
  // Truncates the log to `offset` (follower truncation, KIP-101).
  Status truncate_to(int64_t offset);
  // Writes index entries (and the final time index entry) for a clean
  // shutdown. Appends fail afterwards; reads still work.
  Status close();
  // The partition is being deleted: closes files without writing anything.
  void abandon() { closed_ = true; }
  Status roll(int64_t now_ms);

 private:
  Log(std::shared_ptr<LogDir> log_dir, TopicPartition tp, std::string dir,
      const LogConfig& config);
  Status load(const LogCheckpoints& cp, bool clean_shutdown, int64_t now_ms);
  Status recover_from(std::map<int64_t, std::unique_ptr<Segment>>::iterator first);
  Segment& active() { return *segments_.rbegin()->second; }
  const Segment& active() const { return *segments_.rbegin()->second; }
  // Marks the dir offline for an I/O error and passes the error through.
  Error fail(const Error& e);
  Error closed_error() const;
  Status flush_to(int64_t offset, int64_t now_ms);
  // Rolls if due, records a new epoch, appends with one write, flush.messages.
  Status write_batches(std::span<const uint8_t> batches, int64_t next_offset,
                       int64_t max_timestamp, int32_t new_epoch, int64_t now_ms);
  // Kafka's deletableSegments: a prefix of segments matching `pred`, none at
  // or above the high watermark, rolling first when the active one is included.
  template <typename Pred>
  Result<size_t> delete_prefix_while(Pred pred, int64_t now_ms);
  Status delete_segments(size_t count, int64_t now_ms);
  void assign_epoch(int32_t epoch, int64_t offset);
  Result<AppendResult> append_checked(std::span<uint8_t> batches, int32_t leader_epoch,
                                      int64_t now_ms, AppendOrigin origin);
  // --- Producer state (log_producers.cc).
  // Loads the newest usable snapshot at or below the log end and replays the
  // batches after it; reads the `.txnindex` files. `snapshots`: offsets of
  // the snapshot files found.
  Status load_producer_state(std::vector<int64_t> snapshots);
  // Replays the batch headers in [from, log end) into the producer state.
  Status replay_producers(int64_t from);
  // Writes `<log end>.snapshot` (roll, clean close).
  Status write_producer_snapshot();
  // Deletes snapshots below `below` and above `above`.
  void delete_snapshots(int64_t below, int64_t above);
  std::vector<int64_t> list_snapshots() const;
  // Appends the transactions the last append aborted to the active segment's `.txnindex`.
  Status write_aborted_txns();
  // Rewrites the `.txnindex` file of a segment from the in-memory entries.
  Status rewrite_txn_index(int64_t segment_base);
  // Truncation: the state as of `offset` (snapshot + replay).
  Status reset_producer_state();

  std::shared_ptr<LogDir> dir_;
  TopicPartition tp_;
  std::string dir_path_;
  LogConfig config_;
  std::map<int64_t, std::unique_ptr<Segment>> segments_;  // by base offset
  LeaderEpochCache epochs_;
  int64_t log_start_ = 0;
  int64_t log_end_ = 0;
  int64_t high_watermark_ = 0;
  int64_t recovery_point_ = 0;
  int64_t unflushed_messages_ = 0;
  int64_t roll_flush_target_ = -1;  // see take_roll_flush()
  int64_t last_flush_ms_ = 0;
  // Segment files created (generation) and the generation whose directory
  // entries a completed flush made durable.
  uint64_t dir_generation_ = 0;
  uint64_t dir_synced_generation_ = 0;
  bool closed_ = false;
  std::vector<std::pair<int64_t, std::unique_ptr<Segment>>> pending_deletes_;
  ProducerStateManager producers_;
};

}  // namespace moldau::storage
