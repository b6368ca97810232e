// Every system call the storage engine makes on files goes through FileOps, so
// that a test can make one log dir fail (ENOSPC, EIO) while the others work.
// The default implementation is plain POSIX.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/error.h"

namespace moldau::storage {

class FileOps {
 public:
  virtual ~FileOps() = default;
  // Each returns what the system call returns and leaves errno set on failure.
  virtual int open(const std::string& path, int flags, mode_t mode);
  virtual ssize_t pwrite(int fd, const void* data, size_t n, off_t at);
  virtual ssize_t pread(int fd, void* data, size_t n, off_t at);
  virtual int fdatasync(int fd);
  virtual int fsync(int fd);
  virtual int ftruncate(int fd, off_t length);
  virtual int rename(const std::string& from, const std::string& to);
  virtual int unlink(const std::string& path);
  virtual int mkdir(const std::string& path);
  virtual int close(int fd);
};

// The process-wide POSIX implementation.
FileOps* posix_file_ops();

// A KAFKA_STORAGE_ERROR naming the operation, the path and errno's text.
Error io_error(std::string_view op, std::string_view path, int err);

// An open file descriptor, closed on destruction. Shared (shared_ptr) so that
// a fetch response in flight keeps a segment's fd open after the segment was
// rolled, truncated or deleted.
class File {
 public:
  static Result<std::shared_ptr<File>> open(FileOps* ops, std::string path, int flags,
                                            mode_t mode = 0644);
  File(FileOps* ops, int fd, std::string path) : ops_(ops), fd_(fd), path_(std::move(path)) {}
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  int fd() const { return fd_; }
  // A copy: the flusher thread may build an error message while the loop
  // renames the file (a deleted segment).
  std::string path() const {
    std::lock_guard lock(path_mu_);
    return path_;
  }
  FileOps* ops() const { return ops_; }

  // Writes all n bytes at `at` (retrying short writes).
  Status write_at(const void* data, size_t n, int64_t at);
  // Reads up to n bytes at `at`; returns how many were read (short only at EOF).
  Result<size_t> read_at(void* data, size_t n, int64_t at) const;
  Status datasync();
  Status sync();
  Status truncate(int64_t length);
  Result<int64_t> size() const;  // fstat: only when opening, never per request
  Status rename(const std::string& to);

 private:
  FileOps* ops_;
  int fd_;
  mutable std::mutex path_mu_;
  std::string path_;
};

// Opens a directory for fsync (a new or renamed entry is durable only after it).
Status sync_dir(FileOps* ops, const std::string& dir);

}  // namespace moldau::storage
