// Test double: FileOps that fail, on demand, for files under one directory.
// Thread-safe (the flusher thread syncs through it).
#pragma once

#include <cerrno>
#include <mutex>
#include <string>
#include <unordered_set>

#include "storage/file_ops.h"

namespace moldau::storage::testing {

class FaultyFileOps : public FileOps {
 public:
  explicit FaultyFileOps(std::string prefix) : prefix_(std::move(prefix)) {}

  // errno for every write/truncate/rename/unlink/mkdir/open-for-create (0: none).
  void fail_writes(int err) { std::lock_guard l(mu_); write_err_ = err; }
  // errno for every fsync/fdatasync (0: none).
  void fail_syncs(int err) { std::lock_guard l(mu_); sync_err_ = err; }
  void heal() { fail_writes(0); fail_syncs(0); }

  int open(const std::string& path, int flags, mode_t mode) override {
    bool ours = under(path);
    if (ours && (flags & O_CREAT) && write_err()) return fail(write_err());
    int fd = FileOps::open(path, flags, mode);
    if (fd >= 0 && ours) {
      std::lock_guard l(mu_);
      fds_.insert(fd);
    }
    return fd;
  }
  ssize_t pwrite(int fd, const void* p, size_t n, off_t at) override {
    if (int e = ours(fd) ? write_err() : 0) return fail(e);
    return FileOps::pwrite(fd, p, n, at);
  }
  int fdatasync(int fd) override {
    if (int e = ours(fd) ? sync_err() : 0) return fail(e);
    return FileOps::fdatasync(fd);
  }
  int fsync(int fd) override {
    if (int e = ours(fd) ? sync_err() : 0) return fail(e);
    return FileOps::fsync(fd);
  }
  int ftruncate(int fd, off_t len) override {
    if (int e = ours(fd) ? write_err() : 0) return fail(e);
    return FileOps::ftruncate(fd, len);
  }
  int rename(const std::string& from, const std::string& to) override {
    if (int e = under(from) ? write_err() : 0) return fail(e);
    return FileOps::rename(from, to);
  }
  int unlink(const std::string& path) override {
    if (int e = under(path) ? write_err() : 0) return fail(e);
    return FileOps::unlink(path);
  }
  int mkdir(const std::string& path) override {
    if (int e = under(path) ? write_err() : 0) return fail(e);
    return FileOps::mkdir(path);
  }
  int close(int fd) override {
    {
      std::lock_guard l(mu_);
      fds_.erase(fd);
    }
    return FileOps::close(fd);
  }

 private:
  bool under(const std::string& path) const { return path.starts_with(prefix_); }
  bool ours(int fd) {
    std::lock_guard l(mu_);
    return fds_.count(fd) > 0;
  }
  int write_err() { std::lock_guard l(mu_); return write_err_; }
  int sync_err() { std::lock_guard l(mu_); return sync_err_; }
  static int fail(int e) {
    errno = e;
    return -1;
  }

  std::string prefix_;
  std::mutex mu_;
  std::unordered_set<int> fds_;
  int write_err_ = 0;
  int sync_err_ = 0;
};

}  // namespace moldau::storage::testing
