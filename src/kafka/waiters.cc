#include "kafka/waiters.h"

#include <algorithm>

namespace moldau::kafka {

void PartitionWaiters::wait(const std::vector<PartitionKey>& keys, std::chrono::milliseconds timeout,
                            TryComplete try_complete) {
  auto op = std::make_shared<Op>();
  op->try_complete = std::move(try_complete);
  op->keys = keys;
  op->timer = std::make_unique<asio::steady_timer>(io_, timeout);
  std::weak_ptr<Op> weak = op;
  op->timer->async_wait([this, weak](const asio::error_code& ec) {
    auto op = weak.lock();
    if (!op || op->done || ec == asio::error::operation_aborted) return;
    finish(op, true);
  });
  for (const auto& k : keys) by_key_[k].push_back(op);
  // Prune expired entries so the list of all operations stays bounded by the live ones.
  std::erase_if(all_, [](const auto& w) { return w.expired(); });
  all_.push_back(op);
}

void PartitionWaiters::finish(const std::shared_ptr<Op>& op, bool timed_out) {
  if (op->done) return;
  if (op->try_complete(timed_out) || timed_out) {
    op->done = true;
    op->timer->cancel();
    op->try_complete = nullptr;  // drops captured state (request buffers) at once
    unlink(op);
  }
}

void PartitionWaiters::unlink(const std::shared_ptr<Op>& op) {
  for (const auto& k : op->keys) {
    auto it = by_key_.find(k);
    if (it == by_key_.end()) continue;
    std::erase(it->second, op);
    if (it->second.empty()) by_key_.erase(it);
  }
}

void PartitionWaiters::notify(const PartitionKey& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  // Copy: completing an operation may register new ones on the same key.
  auto ops = it->second;
  for (auto& op : ops) finish(op, false);
}

void PartitionWaiters::complete_all() {
  for (auto& w : all_) {
    if (auto op = w.lock()) finish(op, true);
  }
  by_key_.clear();
  all_.clear();
}

size_t PartitionWaiters::waiting() const {
  size_t n = 0;
  for (const auto& w : all_) {
    auto op = w.lock();
    if (op && !op->done) ++n;
  }
  return n;
}

}  // namespace moldau::kafka
