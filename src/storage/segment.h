// One segment of a partition log: `<base>.log` (batches as on the wire), its
// sparse `.index` and its `.timeindex`, named by the 20-digit base offset
// (docs/storage.md, "On disk").
//
// Not thread-safe: owned by a Log on the broker's event loop. The .log file
// is shared (shared_ptr<File>) with fetch responses in flight and with the
// flusher thread, so it stays open after the segment is rolled or deleted.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "storage/batch_scanner.h"
#include "storage/log_config.h"
#include "storage/log_dir.h"
#include "storage/offset_index.h"
#include "storage/time_index.h"

namespace moldau::storage {

class Segment {
 public:
  static constexpr std::string_view kLogSuffix = ".log";
  static constexpr std::string_view kIndexSuffix = ".index";
  static constexpr std::string_view kTimeIndexSuffix = ".timeindex";
  static constexpr std::string_view kDeletedSuffix = ".deleted";
  // Aborted transactions whose markers are in this segment (written by the
  // Log, renamed and deleted with the segment).
  static constexpr std::string_view kTxnIndexSuffix = ".txnindex";

  // "<dir>/<20-digit base offset><suffix>".
  static std::string path_for(const std::string& dir, int64_t base_offset,
                              std::string_view suffix);

  // Creates the files of a new, empty, active segment.
  static Result<std::unique_ptr<Segment>> create(std::shared_ptr<LogDir> log_dir,
                                                 std::string partition_dir, int64_t base_offset,
                                                 const LogConfig& config, int64_t now_ms);
  // Opens an existing segment without reading its batches: the size comes
  // from fstat, sealed indexes are mapped on first use. An active segment
  // needs load_tail() (clean start) or recover() (after a crash) next.
  static Result<std::unique_ptr<Segment>> open(std::shared_ptr<LogDir> log_dir,
                                               std::string partition_dir, int64_t base_offset,
                                               const LogConfig& config, bool active);

  int64_t base_offset() const { return base_offset_; }
  int64_t size_bytes() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool active() const { return active_; }
  // One past the last offset; exact for the active segment and for recovered
  // ones, base_offset() for a sealed segment opened without a scan.
  int64_t next_offset() const { return next_offset_; }
  // Largest batch MaxTimestamp (-1 if none) and the last offset of its batch.
  int64_t max_timestamp() const;
  int64_t offset_of_max_timestamp() const;
  // Kafka's "largestTimestamp": max_timestamp(), or the file's last
  // modification when no batch has a timestamp. For retention.ms.
  int64_t largest_timestamp_ms() const;
  const std::shared_ptr<File>& log_file() const { return log_; }
  std::string log_path() const { return log_->path(); }

  // Finds where an active segment opened after a clean shutdown ends: a scan
  // of the batches after the last index entry (at most index.interval.bytes
  // plus one batch), so start-up does not grow with the segment's size.
  Status load_tail();
  // Recovery after a crash: validates every batch (length, magic, CRC-32C,
  // increasing offsets), truncates the file at the first invalid byte and
  // rebuilds both indexes. Calls on_batch for each valid batch (the leader
  // epoch cache is rebuilt from them). Returns the number of bytes truncated.
  // REQUIRES: opened active. (segment_recovery.cc)
  Result<int64_t> recover(const std::function<void(const BatchInfo&)>& on_batch = {});

  // Appends whole batches whose offsets are assigned (>= next_offset()) with
  // one write. REQUIRES: active.
  Status append(std::span<const uint8_t> batches, int64_t now_ms);

  // The first batch whose last offset is >= offset; nullopt if none here.
  Result<std::optional<BatchInfo>> find_batch(int64_t offset) const;
  // The end of a whole batch at or before `limit`, scanning from `from` (a
  // batch boundary <= limit): the last one, or an index entry's position when
  // that is within 1/16 of (limit - from) of the limit (no read needed).
  Result<int64_t> batches_end_before(int64_t from, int64_t limit) const;
  // The first batch whose MaxTimestamp >= timestamp; nullopt if none here.
  Result<std::optional<BatchInfo>> find_timestamp(int64_t timestamp) const;
  FileRegion region(int64_t position, int64_t length) const {
    return FileRegion{log_->fd(), position, length, log_};
  }

  // Whether the next append of `bytes` ending at `last_offset` with
  // `max_timestamp` must go to a new segment (segment.bytes, segment.ms, a
  // full index, offsets or positions that would not fit an index entry).
  bool should_roll(const LogConfig& config, int64_t bytes, int64_t last_offset,
                   int64_t max_timestamp, int64_t now_ms) const;
  // Time since the segment started, as segment.ms measures it (Kafka's
  // timeWaitedForRoll: batch timestamps when there are any, else the clock).
  int64_t time_waited_for_roll(int64_t now_ms, int64_t message_timestamp) const;

  // Drops every batch from the one containing `offset` on.
  Status truncate_to(int64_t offset);
  // Writes the in-memory index entries to their files.
  Status write_indexes();
  // The segment stops being active: final time index entry, indexes written
  // and trimmed (as Kafka does on roll), then read-only.
  Status seal();
  // fdatasync of the .log and both indexes (indexes written first).
  Status flush();
  // Files to fdatasync (for the flusher thread), after write_indexes().
  std::vector<std::shared_ptr<File>> files_to_sync(bool with_indexes) const;
  // Renames every file to "<name>.deleted" (Kafka's pending-delete marker).
  Status mark_deleted();
  // Unlinks every file (under their current names).
  Status delete_files();
  void set_index_interval_bytes(int32_t v) { index_interval_bytes_ = v; }

 private:
  Segment(std::shared_ptr<LogDir> log_dir, std::string partition_dir, int64_t base_offset,
          const LogConfig& config)
      : dir_(std::move(log_dir)),
        partition_dir_(std::move(partition_dir)),
        base_offset_(base_offset),
        next_offset_(base_offset),
        index_interval_bytes_(config.index_interval_bytes),
        index_max_bytes_(config.segment_index_bytes) {}
  // Kafka's per-batch index maintenance (LogSegment.append).
  void index_batch(const BatchInfo& b);
  void reset_state();
  // Scans from a hint, falling back to the segment's start if the hint turns
  // out to be wrong (indexes read from disk are never trusted).
  template <typename Stop>
  Result<std::optional<BatchInfo>> scan_from(int64_t hint_position, int64_t hint_last_offset,
                                             Stop stop) const;

  std::shared_ptr<LogDir> dir_;
  std::string partition_dir_;
  int64_t base_offset_;
  std::shared_ptr<File> log_;
  std::unique_ptr<OffsetIndex> offset_index_;
  std::unique_ptr<TimeIndex> time_index_;
  bool active_ = false;

  int64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;           // -1 with max_timestamp_known_: none
  int64_t offset_of_max_timestamp_ = -1;
  bool max_timestamp_known_ = true;      // false: take it from the time index
  int64_t bytes_since_last_index_entry_ = 0;
  int64_t first_batch_timestamp_ = -1;   // for segment.ms
  int64_t created_ms_ = 0;
  int64_t modified_ms_ = 0;
  int32_t index_interval_bytes_;
  int32_t index_max_bytes_;
};

}  // namespace moldau::storage
