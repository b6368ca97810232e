#include "storage/flusher.h"

#include <unordered_map>
#include <unordered_set>

#include "base/log.h"

namespace moldau::storage {

Flusher::Flusher(Post post) : post_(std::move(post)) {
  thread_ = std::thread([this] { loop(); });
}

Flusher::~Flusher() { stop(); }

void Flusher::submit(FlushJob job, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Item{std::move(job), nullptr, std::move(done)});
  }
  cv_.notify_one();
}

void Flusher::run(std::function<Status()> work, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Item{FlushJob{}, std::move(work), std::move(done)});
  }
  cv_.notify_one();
}

void Flusher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Flusher::loop() {
  for (;;) {
    std::deque<Item> group;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // A run() item alone, or every sync queued so far up to the next one.
      do {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (!group.front().work && !queue_.empty() && !queue_.front().work);
    }
    if (group.front().work) {
      Status s = group.front().work();
      if (group.front().done) post_([done = std::move(group.front().done), s] { done(s); });
      continue;
    }
    sync_group(group);
  }
}

void Flusher::sync_group(std::deque<Item>& group) {
  groups_.fetch_add(1);
  jobs_.fetch_add(group.size());
  // Each distinct file once; a file shared by several jobs gives each its status.
  std::unordered_map<const File*, Status> file_status;
  std::unordered_map<std::string, Status> dir_status;
  std::unordered_map<std::string, FileOps*> dir_ops;
  for (const auto& item : group) {
    for (const auto& f : item.job.files) {
      if (file_status.count(f.get())) continue;
      file_status.emplace(f.get(), f->datasync());
      syncs_.fetch_add(1);
    }
    if (!item.job.sync_dir.empty() && !dir_status.count(item.job.sync_dir)) {
      // Data before names: the files are synced above, then the entries.
      dir_status.emplace(item.job.sync_dir, Status{});
      dir_ops.emplace(item.job.sync_dir, item.job.ops);
    }
  }
  for (auto& [dir, status] : dir_status) {
    status = sync_dir(dir_ops[dir], dir);
    syncs_.fetch_add(1);
  }
  for (auto& item : group) {
    Status s;
    for (const auto& f : item.job.files) {
      if (const Status& fs = file_status[f.get()]; !fs) {
        s = fs;
        break;
      }
    }
    if (s && !item.job.sync_dir.empty()) s = dir_status[item.job.sync_dir];
    if (item.done) post_([done = std::move(item.done), s] { done(s); });
  }
}

}  // namespace moldau::storage
