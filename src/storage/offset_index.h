// A segment's sparse offset index, Kafka's `.index` (docs/storage.md):
// 8-byte big-endian entries (relative offset uint32, file position uint32).
// As in Kafka, an entry names the LAST offset of a batch and the position
// where that batch starts, which is what kafka-dump-log verifies.
//
// Entries read from disk are hints, never trusted: the segment checks each
// position it gets against the batch it finds there.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "storage/index_file.h"

namespace moldau::storage {

class OffsetIndex {
 public:
  static constexpr size_t kEntrySize = 8;
  struct Entry {
    int64_t offset;    // absolute
    int64_t position;  // byte position in the .log
  };

  static Result<std::unique_ptr<OffsetIndex>> create(FileOps* ops, std::string path,
                                                     int64_t base_offset, int32_t max_bytes);
  static Result<std::unique_ptr<OffsetIndex>> open(FileOps* ops, std::string path,
                                                   int64_t base_offset, int32_t max_bytes,
                                                   bool writable);

  // The entry with the largest offset <= target, or {base_offset, 0}.
  Entry lookup(int64_t target) const;
  // The entry with the largest position <= position, or {base_offset, 0}.
  Entry lookup_by_position(int64_t position) const;
  size_t entries() const { return file_->entries(); }
  Entry entry(size_t i) const;
  bool full() const { return entries() >= max_entries_; }
  // REQUIRES: !full(), offset and position above the last entry's.
  void append(int64_t offset, int64_t position);
  // Drops entries whose offset is >= offset.
  void truncate_to(int64_t offset);
  void clear() { file_->truncate_entries(0); }

  IndexFile& file() { return *file_; }
  const IndexFile& file() const { return *file_; }

 private:
  OffsetIndex(std::unique_ptr<IndexFile> file, int64_t base_offset, int32_t max_bytes)
      : file_(std::move(file)),
        base_offset_(base_offset),
        max_entries_(size_t(max_bytes) / kEntrySize) {}

  std::unique_ptr<IndexFile> file_;
  int64_t base_offset_;
  size_t max_entries_;
};

}  // namespace moldau::storage
