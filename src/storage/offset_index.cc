#include "storage/offset_index.h"

#include <cassert>

#include "base/endian.h"

namespace moldau::storage {

Result<std::unique_ptr<OffsetIndex>> OffsetIndex::create(FileOps* ops, std::string path,
                                                         int64_t base_offset,
                                                         int32_t max_bytes) {
  auto file = IndexFile::create(ops, std::move(path), kEntrySize);
  if (!file) return file.error();
  return std::unique_ptr<OffsetIndex>(
      new OffsetIndex(std::move(file.value()), base_offset, max_bytes));
}

Result<std::unique_ptr<OffsetIndex>> OffsetIndex::open(FileOps* ops, std::string path,
                                                       int64_t base_offset, int32_t max_bytes,
                                                       bool writable) {
  auto file = IndexFile::open(ops, std::move(path), kEntrySize, writable, max_bytes);
  if (!file) return file.error();
  return std::unique_ptr<OffsetIndex>(
      new OffsetIndex(std::move(file.value()), base_offset, max_bytes));
}

OffsetIndex::Entry OffsetIndex::entry(size_t i) const {
  const uint8_t* p = file_->entry(i);
  return {base_offset_ + int64_t(load_be32(p)), int64_t(load_be32(p + 4))};
}

// Binary searches below assume sorted entries; on a corrupt file they still
// terminate and return some entry, which the caller validates.
OffsetIndex::Entry OffsetIndex::lookup(int64_t target) const {
  size_t lo = 0, hi = entries();  // answer: last i in [lo, hi) with offset <= target
  if (hi == 0 || entry(0).offset > target) return {base_offset_, 0};
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (entry(mid).offset <= target) lo = mid; else hi = mid;
  }
  return entry(lo);
}

OffsetIndex::Entry OffsetIndex::lookup_by_position(int64_t position) const {
  size_t lo = 0, hi = entries();
  if (hi == 0 || entry(0).position > position) return {base_offset_, 0};
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (entry(mid).position <= position) lo = mid; else hi = mid;
  }
  return entry(lo);
}

void OffsetIndex::append(int64_t offset, int64_t position) {
  assert(!full());
  assert(offset >= base_offset_ && offset - base_offset_ <= INT32_MAX);
  assert(position >= 0 && position <= INT32_MAX);
  assert(entries() == 0 || (entry(entries() - 1).offset < offset &&
                            entry(entries() - 1).position < position));
  uint8_t e[kEntrySize];
  store_be32(e, uint32_t(offset - base_offset_));
  store_be32(e + 4, uint32_t(position));
  file_->append(e);
}

void OffsetIndex::truncate_to(int64_t offset) {
  size_t n = entries();
  while (n > 0 && entry(n - 1).offset >= offset) --n;
  file_->truncate_entries(n);
}

}  // namespace moldau::storage
