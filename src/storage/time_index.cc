#include "storage/time_index.h"

#include <cassert>

#include "base/endian.h"

namespace moldau::storage {

Result<std::unique_ptr<TimeIndex>> TimeIndex::create(FileOps* ops, std::string path,
                                                     int64_t base_offset, int32_t max_bytes) {
  auto file = IndexFile::create(ops, std::move(path), kEntrySize);
  if (!file) return file.error();
  return std::unique_ptr<TimeIndex>(new TimeIndex(std::move(file.value()), base_offset, max_bytes));
}

Result<std::unique_ptr<TimeIndex>> TimeIndex::open(FileOps* ops, std::string path,
                                                   int64_t base_offset, int32_t max_bytes,
                                                   bool writable) {
  auto file = IndexFile::open(ops, std::move(path), kEntrySize, writable, max_bytes);
  if (!file) return file.error();
  return std::unique_ptr<TimeIndex>(new TimeIndex(std::move(file.value()), base_offset, max_bytes));
}

TimeIndex::Entry TimeIndex::entry(size_t i) const {
  const uint8_t* p = file_->entry(i);
  return {int64_t(load_be64(p)), base_offset_ + int64_t(load_be32(p + 8))};
}

std::optional<TimeIndex::Entry> TimeIndex::last() const {
  size_t n = entries();
  if (n == 0) return std::nullopt;
  return entry(n - 1);
}

TimeIndex::Entry TimeIndex::lookup(int64_t timestamp) const {
  size_t lo = 0, hi = entries();
  if (hi == 0 || entry(0).timestamp > timestamp) return {-1, base_offset_};
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (entry(mid).timestamp <= timestamp) lo = mid; else hi = mid;
  }
  return entry(lo);
}

void TimeIndex::maybe_append(int64_t timestamp, int64_t offset, bool skip_full_check) {
  if (!skip_full_check && full()) return;
  if (entries() >= max_entries_) return;
  auto prev = last();
  if (prev && (timestamp <= prev->timestamp || offset < prev->offset)) return;
  assert(offset >= base_offset_ && offset - base_offset_ <= INT32_MAX);
  uint8_t e[kEntrySize];
  store_be64(e, uint64_t(timestamp));
  store_be32(e + 8, uint32_t(offset - base_offset_));
  file_->append(e);
}

void TimeIndex::truncate_to(int64_t offset) {
  size_t n = entries();
  while (n > 0 && entry(n - 1).offset >= offset) --n;
  file_->truncate_entries(n);
}

}  // namespace moldau::storage
