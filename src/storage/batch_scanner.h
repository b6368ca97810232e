// Walks the batch headers of a segment file from a batch boundary, reading the
// file in small windows (one pread per window, not per batch). Checks each
// header against the file (length, bounds, magic) but not the CRC: that is
// recovery's job (segment_recovery.cc), done once, not per fetch.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/error.h"
#include "storage/file_ops.h"

namespace moldau::storage {

// A batch's place in a segment and the header fields the storage engine uses.
struct BatchInfo {
  int64_t position = 0;  // in the .log file
  int64_t size = 0;      // whole batch, Length + 12
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = -1;
  int32_t leader_epoch = -1;
  int64_t end() const { return position + size; }
};

// Parses the header at the front of `bytes` (at least kHeaderSize bytes).
// nullopt when it cannot be a magic-2 batch that fits in `available` bytes.
std::optional<BatchInfo> parse_batch_header(std::span<const uint8_t> bytes, int64_t position,
                                            int64_t available);

class BatchScanner {
 public:
  static constexpr size_t kWindowBytes = 8192;

  // Scans [position, end) of `file`; `position` must be a batch boundary.
  BatchScanner(const File& file, int64_t position, int64_t end)
      : file_(file), position_(position), end_(end) {}

  // The next batch, nullopt at `end`; an error for an I/O failure
  // (KAFKA_STORAGE_ERROR) or a header that is not a batch (CORRUPT_MESSAGE).
  Result<std::optional<BatchInfo>> next();
  int64_t position() const { return position_; }

 private:
  const File& file_;
  int64_t position_;
  int64_t end_;
  uint8_t window_[kWindowBytes];
  int64_t window_start_ = 0;
  size_t window_len_ = 0;
};

}  // namespace moldau::storage
