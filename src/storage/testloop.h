// A stand-in for the broker's event loop in tests: post() from any thread,
// run_until() on the test thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace moldau::storage::testing {

class TestLoop {
 public:
  std::function<void(std::function<void()>)> poster() {
    return [this](std::function<void()> f) {
      {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(f));
      }
      cv_.notify_one();
    };
  }
  // Runs posted functions until pred() holds; false after timeout_ms.
  bool run_until(const std::function<bool()>& pred, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!pred()) {
      std::function<void()> f;
      {
        std::unique_lock lock(mu_);
        if (!cv_.wait_until(lock, deadline, [this] { return !queue_.empty(); })) return pred();
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
    return true;
  }
  // Runs whatever is queued now.
  void run_pending() {
    for (;;) {
      std::function<void()> f;
      {
        std::lock_guard lock(mu_);
        if (queue_.empty()) return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

}  // namespace moldau::storage::testing
