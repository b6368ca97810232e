// Segment::recover(): the crash-recovery scan of one segment (docs/durability.md).
//
// Every byte after the recovery point is suspect after a crash: a write may
// have been torn (only some of its pages reached the disk), or the file may
// end in zeros where the file size was updated before the data. Each batch is
// checked (length, magic, CRC-32C over [Attributes, end), offsets increasing);
// the file is cut at the first batch that fails, because nothing after a bad
// batch can be trusted to be a batch boundary.
#include <algorithm>
#include <cassert>
#include <vector>

#include <fmt/format.h>

#include "base/crc32c.h"
#include "base/log.h"
#include "protocol/record_batch.h"
#include "storage/segment.h"

namespace moldau::storage {

namespace {

namespace batch = protocol::batch;

// Sequential reads of [0, size) through a large window.
class ChunkReader {
 public:
  static constexpr size_t kChunkBytes = 1 << 20;
  ChunkReader(const File& file, int64_t size) : file_(file), size_(size), buf_(kChunkBytes) {}

  // Makes [at, at + n) available (n <= kChunkBytes, at + n <= size).
  Result<const uint8_t*> get(int64_t at, size_t n) {
    if (at < start_ || at + int64_t(n) > start_ + int64_t(len_)) {
      size_t want = size_t(std::min<int64_t>(kChunkBytes, size_ - at));
      auto got = file_.read_at(buf_.data(), want, at);
      if (!got) return got.error();
      start_ = at;
      len_ = *got;
      if (len_ < n) return Error{ErrorCode::kCorruptMessage, "short read"};
    }
    return buf_.data() + (at - start_);
  }

 private:
  const File& file_;
  int64_t size_;
  std::vector<uint8_t> buf_;
  int64_t start_ = 0;
  size_t len_ = 0;
};

// CRC-32C of [from, to) read in chunks, so a large batch needs no large buffer.
Result<uint32_t> crc_of(ChunkReader& reader, int64_t from, int64_t to) {
  uint32_t crc = 0;
  while (from < to) {
    size_t n = size_t(std::min<int64_t>(ChunkReader::kChunkBytes, to - from));
    auto p = reader.get(from, n);
    if (!p) return p.error();
    crc = crc32c_extend(crc, *p, n);
    from += int64_t(n);
  }
  return crc;
}

}  // namespace

Result<int64_t> Segment::recover(const std::function<void(const BatchInfo&)>& on_batch) {
  assert(active_);
  int64_t file_size = size_;
  offset_index_->clear();
  time_index_->clear();
  max_timestamp_ = -1;
  offset_of_max_timestamp_ = -1;
  max_timestamp_known_ = true;
  bytes_since_last_index_entry_ = 0;
  first_batch_timestamp_ = -1;
  next_offset_ = base_offset_;

  ChunkReader reader(*log_, file_size);
  int64_t pos = 0;
  std::string why;
  while (pos < file_size) {
    int64_t available = file_size - pos;
    if (available < int64_t(batch::kHeaderSize)) {
      why = fmt::format("{} bytes of a torn header", available);
      break;
    }
    auto header = reader.get(pos, batch::kHeaderSize);
    if (!header) return header.error();
    auto info = parse_batch_header({*header, batch::kHeaderSize}, pos, available);
    if (!info) {
      why = "invalid batch header (length or magic)";
      break;
    }
    uint32_t stored_crc = protocol::BatchHeaderView(*header).crc();
    if (info->base_offset < next_offset_ ||
        info->last_offset - base_offset_ > int64_t(INT32_MAX)) {
      why = fmt::format("offset {} out of order", info->base_offset);
      break;
    }
    auto crc = crc_of(reader, pos + int64_t(batch::kCrcStart), info->end());
    if (!crc) return crc.error();
    if (*crc != stored_crc) {
      why = "CRC mismatch";
      break;
    }
    if (pos == 0) first_batch_timestamp_ = info->max_timestamp;
    index_batch(*info);
    next_offset_ = info->last_offset + 1;
    if (on_batch) on_batch(*info);
    pos = info->end();
  }
  int64_t truncated = file_size - pos;
  if (truncated > 0) {
    MOLDAU_LOG_WARN("{}: truncating {} bytes at position {}: {}", log_path(), truncated, pos,
                    why);
    if (auto s = log_->truncate(pos); !s) return s.error();
  }
  size_ = pos;
  return truncated;
}

}  // namespace moldau::storage
