// The storage flush thread: fdatasync off the event loop, with group commit.
//
// The loop submits FlushJobs (the files a partition needs synced to reach a
// recovery point). The thread takes every job queued while it was busy,
// syncs each distinct file and directory once, and hands each job's result
// back through `post` (the broker's event loop), so one fdatasync serves every
// append that was written before it started. It also runs other blocking file
// work (checkpoint writes) in order with the syncs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "storage/log.h"

namespace moldau::storage {

class Flusher {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using Done = std::function<void(Status)>;

  explicit Flusher(Post post);
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  // Thread-safe. `done` runs on the loop (through post) after the job.
  void submit(FlushJob job, Done done);
  // Runs `work` on the flush thread (in order with syncs), then `done`.
  void run(std::function<Status()> work, Done done);
  // Finishes the queued work and joins the thread. Idempotent.
  void stop();

  // Counters for tests and metrics.
  uint64_t groups() const { return groups_.load(); }
  uint64_t syncs() const { return syncs_.load(); }
  uint64_t jobs() const { return jobs_.load(); }

 private:
  struct Item {
    FlushJob job;
    std::function<Status()> work;  // set for run()
    Done done;
  };
  void loop();
  void sync_group(std::deque<Item>& group);

  Post post_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<uint64_t> groups_{0}, syncs_{0}, jobs_{0};
};

}  // namespace moldau::storage
