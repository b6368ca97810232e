#include "net/frame_pool.h"

#include <algorithm>

namespace moldau::net {

FramePool& FramePool::instance() {
  static FramePool* pool = new FramePool();  // never destroyed: buffers may be released at exit
  return *pool;
}

std::shared_ptr<Bytes> FramePool::acquire(size_t size) {
  std::unique_ptr<Bytes> b;
  if (size <= kMaxPooledFrameBytes) {
    std::lock_guard lock(mu_);
    // The smallest idle buffer that is large enough (the pool is short).
    auto best = idle_.end();
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if ((*it)->capacity() >= size && (best == idle_.end() || (*it)->capacity() < (*best)->capacity()))
        best = it;
    }
    if (best != idle_.end()) {
      b = std::move(*best);
      idle_bytes_ -= b->capacity();
      idle_.erase(best);
    }
  }
  if (b) {
    // Within the capacity: shrinking writes nothing, growing initialises
    // only the bytes beyond the previous frame's size.
    b->resize(size);
  } else {
    b = std::make_unique<Bytes>(size);
  }
  if (size > kMaxPooledFrameBytes) return std::shared_ptr<Bytes>(std::move(b));
  return std::shared_ptr<Bytes>(b.release(), [this](Bytes* p) { release(p); });
}

void FramePool::release(Bytes* b) {
  std::unique_ptr<Bytes> owned(b);
  const size_t cap = owned->capacity();
  if (cap > kMaxPooledFrameBytes) return;
  std::lock_guard lock(mu_);
  if (idle_bytes_ + cap > kMaxPooledBytes) return;  // pool full: free it
  idle_bytes_ += cap;
  idle_.push_back(std::move(owned));
}

size_t FramePool::idle_buffers() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

size_t FramePool::idle_bytes() const {
  std::lock_guard lock(mu_);
  return idle_bytes_;
}

}  // namespace moldau::net
