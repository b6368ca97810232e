#include "storage/file_ops.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace moldau::storage {

int FileOps::open(const std::string& path, int flags, mode_t mode) {
  return ::open(path.c_str(), flags | O_CLOEXEC, mode);
}
ssize_t FileOps::pwrite(int fd, const void* data, size_t n, off_t at) {
  return ::pwrite(fd, data, n, at);
}
ssize_t FileOps::pread(int fd, void* data, size_t n, off_t at) { return ::pread(fd, data, n, at); }
int FileOps::fdatasync(int fd) { return ::fdatasync(fd); }
int FileOps::fsync(int fd) { return ::fsync(fd); }
int FileOps::ftruncate(int fd, off_t length) { return ::ftruncate(fd, length); }
int FileOps::rename(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str());
}
int FileOps::unlink(const std::string& path) { return ::unlink(path.c_str()); }
int FileOps::mkdir(const std::string& path) { return ::mkdir(path.c_str(), 0755); }
int FileOps::close(int fd) { return ::close(fd); }

FileOps* posix_file_ops() {
  static FileOps ops;
  return &ops;
}

Error io_error(std::string_view op, std::string_view path, int err) {
  return Error{ErrorCode::kKafkaStorageError,
               fmt::format("{} {}: {}", op, path, std::strerror(err))};
}

Result<std::shared_ptr<File>> File::open(FileOps* ops, std::string path, int flags, mode_t mode) {
  int fd = ops->open(path, flags, mode);
  if (fd < 0) return io_error("open", path, errno);
  return std::make_shared<File>(ops, fd, std::move(path));
}

File::~File() {
  if (fd_ >= 0) ops_->close(fd_);
}

Status File::write_at(const void* data, size_t n, int64_t at) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    ssize_t w = ops_->pwrite(fd_, p, n, off_t(at));
    if (w < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path(), errno);
    }
    if (w == 0) return io_error("write", path(), ENOSPC);
    p += w;
    n -= size_t(w);
    at += w;
  }
  return {};
}

Result<size_t> File::read_at(void* data, size_t n, int64_t at) const {
  auto* p = static_cast<uint8_t*>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ops_->pread(fd_, p + done, n - done, off_t(at + int64_t(done)));
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error("read", path(), errno);
    }
    if (r == 0) break;
    done += size_t(r);
  }
  return done;
}

Status File::datasync() {
  if (ops_->fdatasync(fd_) != 0) return io_error("fdatasync", path(), errno);
  return {};
}

Status File::sync() {
  if (ops_->fsync(fd_) != 0) return io_error("fsync", path(), errno);
  return {};
}

Status File::truncate(int64_t length) {
  if (ops_->ftruncate(fd_, off_t(length)) != 0) return io_error("ftruncate", path(), errno);
  return {};
}

Result<int64_t> File::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return io_error("fstat", path(), errno);
  return int64_t(st.st_size);
}

Status File::rename(const std::string& to) {
  std::string from = path();
  if (ops_->rename(from, to) != 0) return io_error("rename", from, errno);
  std::lock_guard lock(path_mu_);
  path_ = to;
  return {};
}

Status sync_dir(FileOps* ops, const std::string& dir) {
  int fd = ops->open(dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return io_error("open", dir, errno);
  int rc = ops->fsync(fd);
  int err = errno;
  ops->close(fd);
  if (rc != 0) return io_error("fsync", dir, err);
  return {};
}

}  // namespace moldau::storage
