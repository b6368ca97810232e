// One of the broker's log.dirs as the storage engine sees it: where it is, the
// FileOps it writes through, and whether it is offline. Every Log and Segment
// in the dir holds the same LogDir, so one I/O error takes all of the dir's
// partitions offline at once and no other dir's (KIP-112 semantics).
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "base/error.h"
#include "base/log.h"
#include "storage/file_ops.h"

namespace moldau::storage {

class LogDir {
 public:
  LogDir(std::string path, FileOps* ops) : path_(std::move(path)), ops_(ops) {}

  const std::string& path() const { return path_; }
  FileOps* ops() const { return ops_; }
  bool offline() const { return offline_.load(std::memory_order_acquire); }

  // Takes the dir offline after an I/O error. Safe from any thread; logs once.
  void mark_offline(const Error& cause) {
    if (offline_.exchange(true, std::memory_order_acq_rel)) return;
    {
      std::lock_guard lock(mu_);
      reason_ = cause.message;
    }
    MOLDAU_LOG_ERROR("log dir {} is offline: {}", path_, cause.message);
  }
  // The error every operation on an offline dir returns.
  Error offline_error() const {
    std::lock_guard lock(mu_);
    return Error{ErrorCode::kKafkaStorageError, "log dir " + path_ + " is offline: " + reason_};
  }

 private:
  std::string path_;
  FileOps* ops_;
  std::atomic<bool> offline_{false};
  mutable std::mutex mu_;
  std::string reason_;
};

}  // namespace moldau::storage
