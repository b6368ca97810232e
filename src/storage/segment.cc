#include "storage/segment.h"

#include <sys/stat.h>

#include <cassert>
#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "base/log.h"
#include "storage/clock.h"
#include "protocol/record_batch.h"

namespace moldau::storage {


std::string Segment::path_for(const std::string& dir, int64_t base_offset,
                              std::string_view suffix) {
  return fmt::format("{}/{:020d}{}", dir, base_offset, suffix);
}

Result<std::unique_ptr<Segment>> Segment::create(std::shared_ptr<LogDir> log_dir,
                                                 std::string partition_dir, int64_t base_offset,
                                                 const LogConfig& config, int64_t now_ms) {
  FileOps* ops = log_dir->ops();
  std::unique_ptr<Segment> seg(
      new Segment(std::move(log_dir), std::move(partition_dir), base_offset, config));
  const std::string& d = seg->partition_dir_;
  auto log = File::open(ops, path_for(d, base_offset, kLogSuffix), O_RDWR | O_CREAT | O_TRUNC);
  if (!log) return log.error();
  auto index = OffsetIndex::create(ops, path_for(d, base_offset, kIndexSuffix), base_offset,
                                   config.segment_index_bytes);
  if (!index) return index.error();
  auto time_index = TimeIndex::create(ops, path_for(d, base_offset, kTimeIndexSuffix),
                                      base_offset, config.segment_index_bytes);
  if (!time_index) return time_index.error();
  seg->log_ = std::move(log.value());
  seg->offset_index_ = std::move(index.value());
  seg->time_index_ = std::move(time_index.value());
  seg->active_ = true;
  seg->created_ms_ = seg->modified_ms_ = now_ms;
  return seg;
}

Result<std::unique_ptr<Segment>> Segment::open(std::shared_ptr<LogDir> log_dir,
                                               std::string partition_dir, int64_t base_offset,
                                               const LogConfig& config, bool active) {
  FileOps* ops = log_dir->ops();
  std::unique_ptr<Segment> seg(
      new Segment(std::move(log_dir), std::move(partition_dir), base_offset, config));
  const std::string& d = seg->partition_dir_;
  auto log = File::open(ops, path_for(d, base_offset, kLogSuffix), O_RDWR);
  if (!log) return log.error();
  struct stat st;
  if (::fstat(log.value()->fd(), &st) != 0) return io_error("fstat", log.value()->path(), errno);
  auto index = OffsetIndex::open(ops, path_for(d, base_offset, kIndexSuffix), base_offset,
                                 config.segment_index_bytes, active);
  if (!index) return index.error();
  auto time_index = TimeIndex::open(ops, path_for(d, base_offset, kTimeIndexSuffix), base_offset,
                                    config.segment_index_bytes, active);
  if (!time_index) return time_index.error();
  seg->log_ = std::move(log.value());
  seg->offset_index_ = std::move(index.value());
  seg->time_index_ = std::move(time_index.value());
  seg->active_ = active;
  seg->size_ = int64_t(st.st_size);
  seg->modified_ms_ = int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  seg->created_ms_ = wall_clock_ms();
  seg->max_timestamp_known_ = false;
  return seg;
}

int64_t Segment::max_timestamp() const {
  if (!max_timestamp_known_) {
    // A sealed segment's last time index entry is its max timestamp (seal()
    // writes it, as Kafka's roll does).
    auto* self = const_cast<Segment*>(this);
    self->max_timestamp_known_ = true;
    if (auto last = time_index_->last()) {
      self->max_timestamp_ = last->timestamp;
      self->offset_of_max_timestamp_ = last->offset;
    }
  }
  return max_timestamp_;
}

int64_t Segment::offset_of_max_timestamp() const {
  (void)max_timestamp();
  return offset_of_max_timestamp_;
}

int64_t Segment::largest_timestamp_ms() const {
  int64_t ts = max_timestamp();
  return ts >= 0 ? ts : modified_ms_;
}

void Segment::index_batch(const BatchInfo& b) {
  if (b.max_timestamp > max_timestamp()) {
    max_timestamp_ = b.max_timestamp;
    offset_of_max_timestamp_ = b.last_offset;
  }
  if (bytes_since_last_index_entry_ > index_interval_bytes_) {
    if (!offset_index_->full()) offset_index_->append(b.last_offset, b.position);
    time_index_->maybe_append(max_timestamp_, offset_of_max_timestamp_);
    bytes_since_last_index_entry_ = 0;
  }
  bytes_since_last_index_entry_ += b.size;
}

Status Segment::load_tail() {
  assert(active_);
  max_timestamp_known_ = false;
  (void)max_timestamp();
  next_offset_ = base_offset_;
  if (size_ == 0) return {};
  // The first batch's timestamp drives segment.ms.
  uint8_t header[protocol::batch::kHeaderSize];
  auto got = log_->read_at(header, sizeof header, 0);
  if (!got) return got.error();
  auto first = parse_batch_header({header, *got}, 0, size_);
  if (!first || first->base_offset < base_offset_) {
    return Error{ErrorCode::kCorruptMessage, log_path() + ": no valid first batch"};
  }
  first_batch_timestamp_ = first->max_timestamp;
  int64_t from = 0;
  if (offset_index_->entries() > 0) {
    auto last = offset_index_->entry(offset_index_->entries() - 1);
    if (last.position >= size_ || last.offset < base_offset_) {
      return Error{ErrorCode::kCorruptMessage, offset_index_->file().path() + ": past the log"};
    }
    from = last.position;
  }
  BatchScanner scanner(*log_, from, size_);
  bool any = false;
  for (;;) {
    auto b = scanner.next();
    if (!b) return b.error();
    if (!*b) break;
    if ((*b)->last_offset < next_offset_ - 1) {
      return Error{ErrorCode::kCorruptMessage, log_path() + ": offsets go backwards"};
    }
    if ((*b)->max_timestamp > max_timestamp_) {
      max_timestamp_ = (*b)->max_timestamp;
      offset_of_max_timestamp_ = (*b)->last_offset;
    }
    next_offset_ = (*b)->last_offset + 1;
    if (any) bytes_since_last_index_entry_ += (*b)->size;
    any = true;
  }
  return {};
}

Status Segment::append(std::span<const uint8_t> batches, int64_t now_ms) {
  assert(active_);
  if (batches.empty()) return {};
  if (auto s = log_->write_at(batches.data(), batches.size(), size_); !s) {
    (void)log_->truncate(size_);  // best effort: the dir goes offline anyway
    return s;
  }
  size_t at = 0;
  while (at < batches.size()) {
    auto info = parse_batch_header(batches.subspan(at), size_ + int64_t(at),
                                   int64_t(batches.size() - at));
    assert(info && info->base_offset >= next_offset_);
    if (size_ == 0 && at == 0) first_batch_timestamp_ = info->max_timestamp;
    index_batch(*info);
    next_offset_ = info->last_offset + 1;
    at += size_t(info->size);
  }
  size_ += int64_t(batches.size());
  modified_ms_ = now_ms;
  return {};
}

template <typename Stop>
Result<std::optional<BatchInfo>> Segment::scan_from(int64_t hint_position,
                                                    int64_t hint_last_offset,
                                                    Stop stop) const {
  auto attempt = [&](int64_t from, int64_t expect_last) -> Result<std::optional<BatchInfo>> {
    if (from < 0 || from > size_) {
      return Error{ErrorCode::kCorruptMessage, fmt::format("index position {} past the log", from)};
    }
    BatchScanner scanner(*log_, from, size_);
    for (bool first = true;; first = false) {
      auto b = scanner.next();
      if (!b || !*b) return b;
      if (first && expect_last >= 0 && (*b)->last_offset != expect_last) {
        return Error{ErrorCode::kCorruptMessage, "index entry does not match the log"};
      }
      if (stop(**b)) return b;
    }
  };
  auto r = attempt(hint_position, hint_last_offset);
  if (!r.ok() && hint_position != 0 && r.error().code == ErrorCode::kCorruptMessage) {
    MOLDAU_LOG_WARN("{}: ignoring index hint at {}: {}", log_path(), hint_position,
                    r.error().message);
    r = attempt(0, -1);
  }
  return r;
}

Result<std::optional<BatchInfo>> Segment::find_batch(int64_t offset) const {
  if (active_ && offset >= next_offset_) return std::optional<BatchInfo>();
  auto hint = offset_index_->lookup(offset);
  return scan_from(hint.position, hint.position == 0 ? -1 : hint.offset,
                   [offset](const BatchInfo& b) { return b.last_offset >= offset; });
}

Result<int64_t> Segment::batches_end_before(int64_t from, int64_t limit) const {
  assert(from <= limit);
  if (limit >= size_) return size_;
  auto walk = [&](int64_t start, int64_t expect_last) -> Result<int64_t> {
    BatchScanner scanner(*log_, start, size_);
    int64_t end = start;
    for (bool first = true;; first = false) {
      auto b = scanner.next();
      if (!b) return b.error();
      if (!*b || (*b)->end() > limit) return end;
      if (first && expect_last >= 0 && (*b)->last_offset != expect_last) {
        return Error{ErrorCode::kCorruptMessage, "index entry does not match the log"};
      }
      end = (*b)->end();
    }
  };
  auto hint = offset_index_->lookup_by_position(limit);
  if (hint.position > from && hint.position <= limit) {
    // An index entry is where a batch starts, so the batches before it end
    // there. When stopping there wastes little of the budget (1/16), skip
    // the read that would find the exact last batch.
    if ((limit - hint.position) * 16 <= limit - from) return hint.position;
    auto r = walk(hint.position, hint.offset);
    if (r.ok() || r.error().code != ErrorCode::kCorruptMessage) return r;
    MOLDAU_LOG_WARN("{}: ignoring index hint at {}: {}", log_path(), hint.position,
                    r.error().message);
  }
  return walk(from, -1);
}

Result<std::optional<BatchInfo>> Segment::find_timestamp(int64_t timestamp) const {
  if (max_timestamp() < timestamp) return std::optional<BatchInfo>();
  auto t = time_index_->lookup(timestamp);
  auto hint = offset_index_->lookup(t.offset);
  return scan_from(hint.position, hint.position == 0 ? -1 : hint.offset,
                   [timestamp](const BatchInfo& b) { return b.max_timestamp >= timestamp; });
}

bool Segment::should_roll(const LogConfig& config, int64_t bytes, int64_t last_offset,
                          int64_t max_timestamp, int64_t now_ms) const {
  if (size_ == 0) return false;
  return size_ > config.segment_bytes - bytes ||
         size_ + bytes > int64_t(INT32_MAX) ||
         time_waited_for_roll(now_ms, max_timestamp) > config.segment_ms ||
         offset_index_->full() || time_index_->full() ||
         last_offset - base_offset_ > int64_t(INT32_MAX);
}

int64_t Segment::time_waited_for_roll(int64_t now_ms, int64_t message_timestamp) const {
  if (first_batch_timestamp_ >= 0 && message_timestamp >= 0) {
    return message_timestamp - first_batch_timestamp_;
  }
  return now_ms - created_ms_;
}

Status Segment::truncate_to(int64_t offset) {
  assert(active_);
  auto found = find_batch(offset);
  if (!found) return found.error();
  if (!*found) return {};
  const BatchInfo& b = **found;
  if (auto s = log_->truncate(b.position); !s) return s;
  size_ = b.position;
  next_offset_ = b.base_offset;
  offset_index_->truncate_to(b.base_offset);
  time_index_->truncate_to(b.base_offset);
  max_timestamp_ = -1;
  offset_of_max_timestamp_ = -1;
  if (auto last = time_index_->last()) {
    max_timestamp_ = last->timestamp;
    offset_of_max_timestamp_ = last->offset;
  }
  size_t n = offset_index_->entries();
  bytes_since_last_index_entry_ = n == 0 ? size_ : size_ - offset_index_->entry(n - 1).position;
  if (size_ == 0) first_batch_timestamp_ = -1;
  return {};
}

Status Segment::write_indexes() {
  if (auto s = offset_index_->file().write_out(); !s) return s;
  return time_index_->file().write_out();
}

Status Segment::seal() {
  if (!active_) return {};
  if (max_timestamp() >= 0) {
    time_index_->maybe_append(max_timestamp_, offset_of_max_timestamp_, true);
  }
  if (auto s = offset_index_->file().seal(); !s) return s;
  if (auto s = time_index_->file().seal(); !s) return s;
  active_ = false;
  return {};
}

Status Segment::flush() {
  if (auto s = write_indexes(); !s) return s;
  for (const auto& f : files_to_sync(true)) {
    if (auto s = f->datasync(); !s) return s;
  }
  return {};
}

std::vector<std::shared_ptr<File>> Segment::files_to_sync(bool with_indexes) const {
  std::vector<std::shared_ptr<File>> files{log_};
  if (with_indexes) {
    for (const IndexFile* index : {&offset_index_->file(), &time_index_->file()}) {
      if (index->handle()) files.push_back(index->handle());
    }
  }
  return files;
}

Status Segment::mark_deleted() {
  std::string suffix(kDeletedSuffix);
  if (auto s = log_->rename(log_->path() + suffix); !s) return s;
  for (IndexFile* index : {&offset_index_->file(), &time_index_->file()}) {
    if (auto s = index->rename(index->path() + suffix); !s) return s;
  }
  // The aborted-transaction index, when the segment has one (the Log writes it).
  const std::string txn = path_for(partition_dir_, base_offset_, kTxnIndexSuffix);
  if (dir_->ops()->rename(txn, txn + suffix) != 0 && errno != ENOENT) return io_error("rename", txn, errno);
  return {};
}

Status Segment::delete_files() {
  const std::string txn = path_for(partition_dir_, base_offset_, kTxnIndexSuffix);
  for (const std::string& path : {log_->path(), offset_index_->file().path(), time_index_->file().path(), txn,
                                  txn + std::string(kDeletedSuffix)}) {
    if (dir_->ops()->unlink(path) != 0 && errno != ENOENT) return io_error("unlink", path, errno);
  }
  return {};
}

}  // namespace moldau::storage
