// One transactional id's state as the transaction coordinator keeps it
// (docs/transactions.md, "States").
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace moldau::txn {

// Kafka's TransactionState, with its ids as persisted in TransactionLogValue.
enum class TxnState : int8_t {
  kEmpty = 0,
  kOngoing = 1,
  kPrepareCommit = 2,
  kPrepareAbort = 3,
  kCompleteCommit = 4,
  kCompleteAbort = 5,
  kDead = 6,
  kPrepareEpochFence = 7,
};

// Kafka's names ("Empty", "Ongoing", ...), as DescribeTransactions and
// ListTransactions show them.
std::string_view state_name(TxnState s);
std::optional<TxnState> state_from_id(int8_t id);
std::optional<TxnState> state_from_name(std::string_view name);

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

constexpr int64_t kNoProducerId = -1;
constexpr int16_t kNoProducerEpoch = -1;
// Kafka bumps the producer id instead of the epoch once the epoch reaches
// Short.MaxValue - 1 (the last value is kept for fencing).
constexpr int16_t kMaxProducerEpoch = 32766;

struct TxnMetadata {
  std::string transactional_id;
  int32_t coordinator_partition = 0;  // of __transaction_state
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  // The id and epoch before the last InitProducerId, so that a retried
  // InitProducerId (v3+, naming its old epoch) gets the same answer.
  int64_t last_producer_id = kNoProducerId;
  int16_t last_producer_epoch = kNoProducerEpoch;
  int32_t timeout_ms = 0;
  TxnState state = TxnState::kEmpty;
  std::set<TopicPartition> partitions;
  int64_t start_ms = -1;        // when the transaction became Ongoing; -1 otherwise
  int64_t last_update_ms = -1;  // the last transition
};

}  // namespace moldau::txn
