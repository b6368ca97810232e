// A small fork-join pool: runs n independent tasks on the calling thread and
// a few helper threads, and returns when all of them are done.
//
// Used where one event-loop step has independent pieces of kernel-heavy work,
// such as the page-cache writes of the partitions of one large produce
// request (docs/architecture.md, "Threads"). The caller takes part, so a
// helper that wakes late costs nothing: the caller simply runs more tasks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace moldau {

class ForkJoinPool {
 public:
  // `threads`: how many threads run tasks, the caller included (1: no helper,
  // every task runs on the caller).
  explicit ForkJoinPool(int threads);
  ~ForkJoinPool();
  ForkJoinPool(const ForkJoinPool&) = delete;
  ForkJoinPool& operator=(const ForkJoinPool&) = delete;

  // Calls task(i) once for every i in [0, n), on this thread and the helpers,
  // and returns when every call has returned. Tasks must not throw and must
  // not call run() themselves. Only one thread may call run() at a time.
  void run(size_t n, const std::function<void(size_t)>& task);

  // Threads that run tasks, the caller included.
  int threads() const { return int(helpers_.size()) + 1; }
  // A configured thread count (num.io.threads, num.recovery.threads.per.data.dir)
  // clamped to [1, CPU cores]: the tasks are CPU and kernel work, so more
  // threads than cores would only queue for one.
  static int threads_for(int64_t wanted);
  // How many tasks helpers (not the caller) ran, for tests and metrics.
  uint64_t tasks_run_by_helpers() const { return by_helpers_.load(std::memory_order_relaxed); }

 private:
  void helper_loop();
  // Claims and runs tasks of the current job until none is left; returns how many it ran.
  size_t drain(const std::function<void(size_t)>& task, size_t n);

  std::vector<std::thread> helpers_;
  std::mutex mu_;
  std::condition_variable work_cv_;   // helpers wait here for a new job
  std::condition_variable done_cv_;   // the caller waits here for the helpers
  uint64_t generation_ = 0;           // bumped per job (under mu_)
  const std::function<void(size_t)>* task_ = nullptr;  // the current job (under mu_)
  size_t n_ = 0;
  // Helpers inside the current job (under mu_). A helper counts itself in
  // before it claims a task, so once the caller has claimed the last index,
  // busy_ == 0 means every task has returned.
  int busy_ = 0;
  bool stop_ = false;
  std::atomic<size_t> next_{0};       // next task index to claim
  std::atomic<uint64_t> by_helpers_{0};
};

}  // namespace moldau
