// Where the group driver keeps __consumer_offsets: append one record batch to
// a partition, read a partition back from its log start. The broker's
// implementation goes to the partition logs; tests use an in-memory one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "protocol/record_batch.h"

namespace moldau::kafka {
class Broker;
}

namespace moldau::kafka::groups {

class OffsetsLog {
 public:
  virtual ~OffsetsLog() = default;
  // Appends `batch` (one uncompressed magic-2 batch built by the driver) to
  // partition `partition` of __consumer_offsets. `done` runs once the append
  // is acknowledged as a Produce with acks=all would be (possibly before
  // append returns); a failure carries the append's error code.
  virtual void append(int32_t partition, Bytes batch, std::function<void(Status)> done) = 0;
  // Calls `fn` for every record of the partition from its log start, in log
  // order. Fails when the partition cannot be read.
  virtual Status read(int32_t partition, const std::function<void(const protocol::Record&)>& fn) = 0;

  // What loading needs to know of a record's batch: transactional offset
  // commits (TxnOffsetCommit) count only once their COMMIT marker follows.
  struct BatchInfo {
    int64_t producer_id = -1;
    bool transactional = false;
    bool control = false;  // `record` is then a COMMIT/ABORT marker
    bool commit = false;   // a COMMIT marker
  };
  // Like read, with each record's batch. The default knows no batches (tests).
  virtual Status read_batches(int32_t partition,
                              const std::function<void(const BatchInfo&, const protocol::Record&)>& fn) {
    return read(partition, [&fn](const protocol::Record& r) { fn(BatchInfo{}, r); });
  }
};

// The broker's __consumer_offsets partition logs (created if missing); the
// transaction coordinator uses the same class for __transaction_state.
class BrokerOffsetsLog final : public OffsetsLog {
 public:
  explicit BrokerOffsetsLog(Broker& broker, std::string topic = "__consumer_offsets")
      : broker_(broker), topic_(std::move(topic)) {}
  void append(int32_t partition, Bytes batch, std::function<void(Status)> done) override;
  Status read(int32_t partition, const std::function<void(const protocol::Record&)>& fn) override;
  Status read_batches(int32_t partition,
                      const std::function<void(const BatchInfo&, const protocol::Record&)>& fn) override;

 private:
  Broker& broker_;
  std::string topic_;
};

}  // namespace moldau::kafka::groups
