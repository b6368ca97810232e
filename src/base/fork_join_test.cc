#include "base/fork_join.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

namespace moldau {
namespace {

TEST(ForkJoinPool, RunsEveryTaskExactlyOnce) {
  ForkJoinPool pool(3);
  EXPECT_EQ(pool.threads(), 3);
  for (size_t n : {0, 1, 2, 5, 64, 1000}) {
    std::vector<std::atomic<int>> hits(n);
    pool.run(n, [&](size_t i) { hits[i].fetch_add(1); });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ForkJoinPool, ReturnsOnlyWhenEveryTaskIsDone) {
  ForkJoinPool pool(2);
  for (int round = 0; round < 200; ++round) {
    std::vector<int> out(8, 0);  // plain ints: run() must publish the helpers' writes
    pool.run(out.size(), [&](size_t i) {
      if (i % 2) std::this_thread::sleep_for(std::chrono::microseconds(50));
      out[i] = int(i) + round;
    });
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], int(i) + round);
  }
}

TEST(ForkJoinPool, HelpersTakePartWhenTasksAreSlow) {
  ForkJoinPool pool(2);
  std::mutex mu;
  std::set<std::thread::id> ids;
  // Slow tasks: the caller cannot run all of them before the helper wakes.
  pool.run(8, [&](size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard lock(mu);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_GT(pool.tasks_run_by_helpers(), 0u);
}

TEST(ForkJoinPool, OneThreadRunsEverythingOnTheCaller) {
  ForkJoinPool pool(1);
  const auto me = std::this_thread::get_id();
  int count = 0;
  pool.run(10, [&](size_t) {
    EXPECT_EQ(std::this_thread::get_id(), me);
    ++count;
  });
  EXPECT_EQ(count, 10);
  EXPECT_EQ(pool.tasks_run_by_helpers(), 0u);
}

TEST(ForkJoinPool, ThreadsForClampsToOneAndTheCores) {
  const int cores = std::max(1, int(std::thread::hardware_concurrency()));
  EXPECT_EQ(ForkJoinPool::threads_for(-5), 1);
  EXPECT_EQ(ForkJoinPool::threads_for(0), 1);
  EXPECT_EQ(ForkJoinPool::threads_for(1), 1);
  EXPECT_EQ(ForkJoinPool::threads_for(1000000), cores);
}

}  // namespace
}  // namespace moldau
