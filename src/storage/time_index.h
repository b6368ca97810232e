// A segment's time index, Kafka's `.timeindex` (docs/storage.md): 12-byte
// big-endian entries (timestamp int64, relative offset uint32), timestamps
// strictly increasing. An entry is the segment's max timestamp so far and the
// last offset of the batch that carried it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "storage/index_file.h"

namespace moldau::storage {

class TimeIndex {
 public:
  static constexpr size_t kEntrySize = 12;
  struct Entry {
    int64_t timestamp;
    int64_t offset;  // absolute
  };

  static Result<std::unique_ptr<TimeIndex>> create(FileOps* ops, std::string path,
                                                   int64_t base_offset, int32_t max_bytes);
  static Result<std::unique_ptr<TimeIndex>> open(FileOps* ops, std::string path,
                                                 int64_t base_offset, int32_t max_bytes,
                                                 bool writable);

  // The entry with the largest timestamp <= timestamp, or {-1, base_offset}.
  Entry lookup(int64_t timestamp) const;
  size_t entries() const { return file_->entries(); }
  Entry entry(size_t i) const;
  std::optional<Entry> last() const;
  // Kafka keeps the last slot for the entry written when the segment is
  // rolled, so "full" is one entry early.
  bool full() const { return entries() + 1 >= max_entries_; }
  // Appends when timestamp is above the last entry's (and there is room,
  // counting the reserved slot when skip_full_check).
  void maybe_append(int64_t timestamp, int64_t offset, bool skip_full_check = false);
  // Drops entries whose offset is >= offset.
  void truncate_to(int64_t offset);
  void clear() { file_->truncate_entries(0); }

  IndexFile& file() { return *file_; }
  const IndexFile& file() const { return *file_; }

 private:
  TimeIndex(std::unique_ptr<IndexFile> file, int64_t base_offset, int32_t max_bytes)
      : file_(std::move(file)),
        base_offset_(base_offset),
        max_entries_(size_t(max_bytes) / kEntrySize) {}

  std::unique_ptr<IndexFile> file_;
  int64_t base_offset_;
  size_t max_entries_;
};

}  // namespace moldau::storage
