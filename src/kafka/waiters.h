// Delayed operations keyed by partition: long-polling fetches (and later
// acks=all produces) wait here and are woken by appends, never by polling.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace moldau::kafka {

struct PartitionKey {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const PartitionKey&) const = default;
};

class PartitionWaiters {
 public:
  // try_complete(timed_out) returns true when the operation is finished; it is
  // called on every notify of one of its keys and once more at the deadline
  // (with timed_out = true, when it must finish).
  using TryComplete = std::function<bool(bool timed_out)>;

  explicit PartitionWaiters(asio::io_context& io) : io_(io) {}

  void wait(const std::vector<PartitionKey>& keys, std::chrono::milliseconds timeout,
            TryComplete try_complete);
  // Something changed on `key` (an append, a high watermark move).
  void notify(const PartitionKey& key);
  // Completes every waiter now (shutdown).
  void complete_all();
  size_t waiting() const;

 private:
  struct Op {
    TryComplete try_complete;
    std::unique_ptr<asio::steady_timer> timer;
    std::vector<PartitionKey> keys;
    bool done = false;
  };
  void unlink(const std::shared_ptr<Op>& op);
  void finish(const std::shared_ptr<Op>& op, bool timed_out);

  asio::io_context& io_;
  std::map<PartitionKey, std::vector<std::shared_ptr<Op>>> by_key_;
  std::vector<std::weak_ptr<Op>> all_;
};

}  // namespace moldau::kafka
