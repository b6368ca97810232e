// Storage for Kafka's fixed-size index entries (.index 8 bytes, .timeindex 12).
//
// Decision (docs/storage.md, "Indexes"): the active segment's entries live in
// memory and are written to the file at flush, roll and close; a sealed
// segment's index is mapped read-only on first use. Kafka instead preallocates
// and mmaps a writable file; a write through such a mapping into a sparse file
// on a full disk raises SIGBUS and would kill the broker, while a pwrite
// returns ENOSPC and takes only that log dir offline. The on-disk index only
// has to be right for data below the recovery point (recovery rebuilds the
// rest) and after a clean shutdown, which is exactly when it has been written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "storage/file_ops.h"

namespace moldau::storage {

class IndexFile {
 public:
  // Creates an empty index at `path` (truncating any file there), writable.
  static Result<std::unique_ptr<IndexFile>> create(FileOps* ops, std::string path,
                                                   size_t entry_size);
  // Opens an existing index. Writable: its entries are read into memory (at
  // most max_bytes; a longer file is an error). Sealed: nothing is opened
  // now; the file is mapped (and its descriptor closed) on first use. A
  // trailing partial entry is ignored.
  static Result<std::unique_ptr<IndexFile>> open(FileOps* ops, std::string path,
                                                 size_t entry_size, bool writable,
                                                 int64_t max_bytes);
  ~IndexFile();
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;

  size_t entry_size() const { return entry_size_; }
  size_t entries() const;
  // Entry i; REQUIRES: i < entries().
  const uint8_t* entry(size_t i) const;
  bool writable() const { return writable_; }

  // REQUIRES: writable().
  void append(const uint8_t* entry);
  void truncate_entries(size_t n);

  // Writes entries not yet in the file (and shrinks the file after a truncate).
  Status write_out();
  // write_out(), then the index becomes read-only and its memory is released.
  Status seal();
  Status sync();
  Status rename(const std::string& to);
  std::string path() const { return file_ ? file_->path() : path_; }
  // The open file, for the flusher; null for a sealed index opened from disk,
  // which keeps no descriptor (one fd per segment, as Kafka): such an index
  // was durable before the recovery point passed its segment.
  const std::shared_ptr<File>& handle() const { return file_; }

 private:
  IndexFile(FileOps* ops, std::string path, std::shared_ptr<File> file, size_t entry_size,
            bool writable)
      : ops_(ops),
        path_(std::move(path)),
        file_(std::move(file)),
        entry_size_(entry_size),
        writable_(writable) {}
  void map() const;

  FileOps* ops_;
  std::string path_;              // when file_ is null
  std::shared_ptr<File> file_;
  size_t entry_size_;
  bool writable_;
  // Writable: the entries, and how many bytes of them the file holds.
  std::vector<uint8_t> mem_;
  size_t written_bytes_ = 0;
  bool shrink_file_ = false;
  // Sealed: the read-only mapping, made lazily.
  mutable const uint8_t* map_ = nullptr;
  mutable size_t map_bytes_ = 0;
  mutable bool mapped_ = false;
};

}  // namespace moldau::storage
