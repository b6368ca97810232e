#include "base/fork_join.h"

#include <algorithm>

namespace moldau {

int ForkJoinPool::threads_for(int64_t wanted) {
  const int64_t cores = std::max<int64_t>(1, int64_t(std::thread::hardware_concurrency()));
  return int(std::clamp<int64_t>(wanted, 1, cores));
}

ForkJoinPool::ForkJoinPool(int threads) {
  for (int i = 1; i < threads; ++i) helpers_.emplace_back([this] { helper_loop(); });
}

ForkJoinPool::~ForkJoinPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : helpers_) t.join();
}

size_t ForkJoinPool::drain(const std::function<void(size_t)>& task, size_t n) {
  size_t ran = 0;
  for (size_t i = next_.fetch_add(1, std::memory_order_relaxed); i < n;
       i = next_.fetch_add(1, std::memory_order_relaxed)) {
    task(i);
    ++ran;
  }
  return ran;
}

void ForkJoinPool::run(size_t n, const std::function<void(size_t)>& task) {
  if (n == 0) return;
  if (helpers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) task(i);
    return;
  }
  {
    std::lock_guard lock(mu_);
    task_ = &task;
    n_ = n;
    next_.store(0, std::memory_order_relaxed);
    ++generation_;
  }
  work_cv_.notify_all();
  drain(task, n);
  // Every task has been claimed; wait for the helpers still running one, and
  // for every helper to leave the job before `task` goes out of scope.
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return busy_ == 0; });
  task_ = nullptr;
  n_ = 0;
}

void ForkJoinPool::helper_loop() {
  uint64_t seen = 0;
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    if (!task_) continue;  // that job is already over
    const auto* task = task_;
    const size_t n = n_;
    ++busy_;
    lock.unlock();
    size_t ran = drain(*task, n);
    if (ran) by_helpers_.fetch_add(ran, std::memory_order_relaxed);
    lock.lock();
    if (--busy_ == 0) done_cv_.notify_one();
  }
}

}  // namespace moldau
