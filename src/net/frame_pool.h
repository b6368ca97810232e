// Recycled buffers for request frames too large for a connection's read
// buffer (produce requests of hundreds of KB). A fresh allocation of that
// size is an mmap (or a heap trim later): page faults and zeroing of new
// pages on every request, about 8% of the broker's CPU under a
// large-produce load (docs/benchmarks.md). A buffer handed out here goes
// back to the pool when its last shared_ptr is released, on any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "base/bytes.h"

namespace moldau::net {

class FramePool {
 public:
  // Buffers larger than this are never pooled (rare, and would pin memory).
  static constexpr size_t kMaxPooledFrameBytes = 8 * 1024 * 1024;
  // At most this many bytes of idle buffers are kept.
  static constexpr size_t kMaxPooledBytes = 64 * 1024 * 1024;

  // The process-wide pool.
  static FramePool& instance();

  // A buffer of exactly `size` bytes. Its contents are unspecified (a
  // recycled buffer keeps old bytes): the caller overwrites all of it.
  std::shared_ptr<Bytes> acquire(size_t size);

  size_t idle_buffers() const;
  size_t idle_bytes() const;

 private:
  void release(Bytes* b);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Bytes>> idle_;
  size_t idle_bytes_ = 0;  // sum of the idle buffers' capacities
};

}  // namespace moldau::net
