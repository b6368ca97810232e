#include "storage/batch_scanner.h"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/record_batch.h"

namespace moldau::storage {

namespace batch = protocol::batch;

std::optional<BatchInfo> parse_batch_header(std::span<const uint8_t> bytes, int64_t position,
                                            int64_t available) {
  if (bytes.size() < batch::kHeaderSize) return std::nullopt;
  protocol::BatchHeaderView h(bytes.data());
  int64_t size = h.size_bytes();
  if (size < int64_t(batch::kHeaderSize) || size > available || h.magic() != 2 ||
      h.last_offset_delta() < 0 || h.base_offset() < 0) {
    return std::nullopt;
  }
  BatchInfo info;
  info.position = position;
  info.size = size;
  info.base_offset = h.base_offset();
  info.last_offset = h.last_offset();
  info.max_timestamp = h.max_timestamp();
  info.leader_epoch = h.partition_leader_epoch();
  return info;
}

Result<std::optional<BatchInfo>> BatchScanner::next() {
  if (position_ >= end_) return std::optional<BatchInfo>();
  int64_t remaining = end_ - position_;
  if (remaining < int64_t(batch::kHeaderSize)) {
    return Error{ErrorCode::kCorruptMessage,
                 fmt::format("{}: {} stray bytes at {}", file_.path(), remaining, position_)};
  }
  bool in_window = position_ >= window_start_ &&
                   position_ + int64_t(batch::kHeaderSize) <= window_start_ + int64_t(window_len_);
  if (!in_window) {
    size_t want = size_t(std::min<int64_t>(remaining, kWindowBytes));
    auto got = file_.read_at(window_, want, position_);
    if (!got) return got.error();
    if (*got < batch::kHeaderSize) {
      return Error{ErrorCode::kCorruptMessage,
                   fmt::format("{}: short read at {}", file_.path(), position_)};
    }
    window_start_ = position_;
    window_len_ = *got;
  }
  size_t at = size_t(position_ - window_start_);
  auto info = parse_batch_header({window_ + at, window_len_ - at}, position_, remaining);
  if (!info) {
    return Error{ErrorCode::kCorruptMessage,
                 fmt::format("{}: no valid batch at position {}", file_.path(), position_)};
  }
  position_ = info->end();
  return info;
}

}  // namespace moldau::storage
