#include "storage/index_file.h"

#include <sys/mman.h>

#include <cassert>
#include <cerrno>

#include "base/log.h"

namespace moldau::storage {

Result<std::unique_ptr<IndexFile>> IndexFile::create(FileOps* ops, std::string path,
                                                     size_t entry_size) {
  auto file = File::open(ops, path, O_RDWR | O_CREAT | O_TRUNC);
  if (!file) return file.error();
  return std::unique_ptr<IndexFile>(
      new IndexFile(ops, std::move(path), std::move(file.value()), entry_size, true));
}

Result<std::unique_ptr<IndexFile>> IndexFile::open(FileOps* ops, std::string path,
                                                   size_t entry_size, bool writable,
                                                   int64_t max_bytes) {
  if (!writable) {
    return std::unique_ptr<IndexFile>(new IndexFile(ops, std::move(path), nullptr, entry_size, false));
  }
  auto file = File::open(ops, path, O_RDWR | O_CREAT);
  if (!file) return file.error();
  std::unique_ptr<IndexFile> index(
      new IndexFile(ops, std::move(path), std::move(file.value()), entry_size, true));
  auto size = index->file_->size();
  if (!size) return size.error();
  if (*size > max_bytes) {
    return Error{ErrorCode::kCorruptMessage,
                 "index " + index->path() + " is larger than segment.index.bytes"};
  }
  size_t whole = size_t(*size) / entry_size * entry_size;
  index->mem_.resize(whole);
  auto got = index->file_->read_at(index->mem_.data(), whole, 0);
  if (!got) return got.error();
  index->mem_.resize(*got / entry_size * entry_size);
  index->written_bytes_ = index->mem_.size();
  index->shrink_file_ = size_t(*size) != index->written_bytes_;
  return index;
}

IndexFile::~IndexFile() {
  if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), map_bytes_);
}

void IndexFile::map() const {
  mapped_ = true;
  // Lookups on an index that cannot be mapped find no entries and scan the
  // segment from its start: slower, still correct.
  std::shared_ptr<File> file = file_;
  if (!file) {
    auto opened = File::open(ops_, path_, O_RDONLY);
    if (!opened) {
      MOLDAU_LOG_WARN("{}", opened.error().message);
      return;
    }
    file = std::move(opened.value());
  }
  auto size = file->size();
  if (!size || *size < int64_t(entry_size_)) return;
  size_t bytes = size_t(*size) / entry_size_ * entry_size_;
  void* p = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, file->fd(), 0);
  if (p == MAP_FAILED) {
    MOLDAU_LOG_WARN("mmap {}: errno {}", file->path(), errno);
    return;
  }
  map_ = static_cast<const uint8_t*>(p);
  map_bytes_ = bytes;
}

size_t IndexFile::entries() const {
  if (writable_) return mem_.size() / entry_size_;
  if (!mapped_) map();
  return map_bytes_ / entry_size_;
}

const uint8_t* IndexFile::entry(size_t i) const {
  if (!writable_ && !mapped_) map();
  assert(i < entries());
  return (writable_ ? mem_.data() : map_) + i * entry_size_;
}

void IndexFile::append(const uint8_t* entry) {
  assert(writable_);
  mem_.insert(mem_.end(), entry, entry + entry_size_);
}

void IndexFile::truncate_entries(size_t n) {
  assert(writable_);
  if (n * entry_size_ >= mem_.size()) return;
  mem_.resize(n * entry_size_);
  if (written_bytes_ > mem_.size()) {
    written_bytes_ = mem_.size();
    shrink_file_ = true;
  }
}

Status IndexFile::write_out() {
  if (!writable_) return {};
  if (shrink_file_) {
    if (auto s = file_->truncate(int64_t(written_bytes_)); !s) return s;
    shrink_file_ = false;
  }
  if (written_bytes_ < mem_.size()) {
    auto s = file_->write_at(mem_.data() + written_bytes_, mem_.size() - written_bytes_,
                             int64_t(written_bytes_));
    if (!s) return s;
    written_bytes_ = mem_.size();
  }
  return {};
}

Status IndexFile::seal() {
  if (!writable_) return {};
  if (auto s = write_out(); !s) return s;
  writable_ = false;
  mem_ = {};
  mapped_ = false;
  return {};
}

Status IndexFile::sync() { return file_ ? file_->datasync() : Status{}; }

Status IndexFile::rename(const std::string& to) {
  if (file_) return file_->rename(to);
  if (ops_->rename(path_, to) != 0) return io_error("rename", path_, errno);
  path_ = to;
  return {};
}

}  // namespace moldau::storage
