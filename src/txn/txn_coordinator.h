// The transaction coordinator of one broker: every transactional id whose
// __transaction_state partition this broker leads. Pure like the group
// coordinator (ARCHITECTURE.md §4): events in with the current time, effects
// out. A driver (src/kafka/txn/, docs/transactions.md) persists the records,
// writes the markers and answers the clients.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "txn/txn_metadata.h"

namespace moldau::txn {

struct TxnConfig {
  int32_t num_partitions = 50;                // transaction.state.log.num.partitions
  int32_t offsets_topic_num_partitions = 50;  // offsets.topic.num.partitions (AddOffsetsToTxn)
  int32_t max_timeout_ms = 900000;            // transaction.max.timeout.ms
  int64_t id_expiration_ms = 604800000;       // transactional.id.expiration.ms
  // transaction.remove.expired.transaction.cleanup.interval.ms
  int64_t expiration_check_interval_ms = 3600000;
};

// A record for __transaction_state; a null value is a tombstone.
struct TxnRecord {
  int32_t partition = 0;
  Bytes key;
  std::optional<Bytes> value;
};

// COMMIT or ABORT markers to write to every partition of a transaction.
struct MarkerRequest {
  std::string transactional_id;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t coordinator_epoch = 0;
  bool commit = false;
  std::vector<TopicPartition> partitions;
};

// What one event produced. Ordering rule (persist before send): the driver
// appends `records` to __transaction_state in order; only once that
// succeeded does it answer the request and write `markers`; once every
// marker of a MarkerRequest is written it calls markers_written().
struct Effects {
  std::vector<TxnRecord> records;
  std::vector<MarkerRequest> markers;
  bool empty() const { return records.empty() && markers.empty(); }
  void append(Effects&& o) {
    for (auto& r : o.records) records.push_back(std::move(r));
    for (auto& m : o.markers) markers.push_back(std::move(m));
  }
};

struct InitProducerIdRequest {
  std::string transactional_id;
  int32_t timeout_ms = 0;
  // v3+: the id and epoch the producer had (-1: none), for KIP-360 bumps.
  int64_t expected_producer_id = kNoProducerId;
  int16_t expected_producer_epoch = kNoProducerEpoch;
  // A new producer id from the broker's allocator, used when one is needed.
  // Without it such a request answers needs_producer_id and changes nothing.
  std::optional<int64_t> fresh_producer_id;
};

struct InitProducerIdResult {
  ErrorCode error = ErrorCode::kNone;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  bool needs_producer_id = false;
  Effects effects;
};

struct TxnResult {
  ErrorCode error = ErrorCode::kNone;
  Effects effects;
};

struct DescribedTxn {
  std::string transactional_id;
  ErrorCode error = ErrorCode::kNone;
  std::string state;
  int32_t timeout_ms = 0;
  int64_t start_ms = -1;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  std::vector<TopicPartition> partitions;
};

struct ListedTxn {
  std::string transactional_id;
  int64_t producer_id = kNoProducerId;
  std::string state;
};

struct ListTxnsResult {
  ErrorCode error = ErrorCode::kNone;
  std::vector<std::string> unknown_state_filters;
  std::vector<ListedTxn> transactions;
};

enum class PartitionState { kNotLeader, kLoading, kActive };

class TxnCoordinator {
 public:
  explicit TxnCoordinator(TxnConfig config);
  TxnCoordinator(const TxnCoordinator&) = delete;
  TxnCoordinator& operator=(const TxnCoordinator&) = delete;

  const TxnConfig& config() const { return config_; }
  // Utils.abs(transactionalId.hashCode()) % transaction.state.log.num.partitions.
  int32_t partition_for(std::string_view transactional_id) const;

  // --- leadership of __transaction_state partitions
  // coordinator_epoch: the partition's leader epoch, stamped on markers.
  void begin_loading(int32_t partition, int32_t coordinator_epoch);
  // One record, in log order; the last record of a key wins.
  Status replay(int32_t partition, ByteSpan key, std::optional<ByteSpan> value);
  // Transactions found in PrepareCommit/PrepareAbort get their markers
  // (re)written: the coordinator decided before a crash, the markers may not
  // all have been written.
  Effects complete_loading(int32_t partition, int64_t now_ms);
  void unload(int32_t partition);
  PartitionState partition_state(int32_t partition) const;

  // --- the producer's requests
  InitProducerIdResult init_producer_id(const InitProducerIdRequest& req, int64_t now_ms);
  TxnResult add_partitions(std::string_view transactional_id, int64_t producer_id, int16_t producer_epoch,
                           const std::vector<TopicPartition>& partitions, int64_t now_ms);
  // v4+ verify-only: are these partitions part of the ongoing transaction?
  ErrorCode verify_partitions(std::string_view transactional_id, int64_t producer_id, int16_t producer_epoch,
                              const std::vector<TopicPartition>& partitions) const;
  // Adds the group's __consumer_offsets partition.
  TxnResult add_offsets(std::string_view transactional_id, int64_t producer_id, int16_t producer_epoch,
                        std::string_view group_id, int64_t now_ms);
  TxnResult end_txn(std::string_view transactional_id, int64_t producer_id, int16_t producer_epoch, bool commit,
                    int64_t now_ms);
  // Every marker of `m` is written: the transaction completes (a no-op when
  // it has moved on, e.g. was unloaded and reloaded meanwhile).
  Effects markers_written(const MarkerRequest& m, int64_t now_ms);

  // Aborts transactions older than their timeout (epoch bumped, so the
  // producer is fenced) and forgets ids idle for transactional.id.expiration.ms.
  Effects tick(int64_t now_ms);
  std::optional<int64_t> next_deadline_ms() const;

  // --- admin
  std::vector<DescribedTxn> describe(const std::vector<std::string>& ids) const;
  // states: Kafka's names; producer_ids; min_duration_ms: only transactions
  // running at least that long (-1: all).
  ListTxnsResult list(const std::vector<std::string>& states, const std::vector<int64_t>& producer_ids,
                      int64_t min_duration_ms, int64_t now_ms) const;
  const TxnMetadata* find(std::string_view transactional_id) const;
  size_t size() const { return txns_.size(); }

 private:
  // INVALID_REQUEST for an empty id, then NOT_COORDINATOR /
  // COORDINATOR_LOAD_IN_PROGRESS from the partition's state.
  ErrorCode status(std::string_view transactional_id) const;
  TxnMetadata* lookup(std::string_view transactional_id);
  // Checks shared by AddPartitions, AddOffsets, EndTxn.
  ErrorCode check_producer(const TxnMetadata* m, int64_t producer_id, int16_t producer_epoch) const;
  TxnRecord record_of(const TxnMetadata& m) const;
  // Ongoing -> PrepareCommit/PrepareAbort: the record and the markers.
  Effects prepare_end(TxnMetadata& m, bool commit, int64_t now_ms);
  MarkerRequest markers_of(const TxnMetadata& m) const;
  // Bumps the epoch to fence the current producer (not past kMaxProducerEpoch).
  static void fence_epoch(TxnMetadata& m);

  TxnConfig config_;
  std::vector<PartitionState> partitions_;
  std::vector<int32_t> coordinator_epochs_;
  std::map<std::string, TxnMetadata, std::less<>> txns_;
  std::optional<int64_t> next_expiration_check_ms_;
};

}  // namespace moldau::txn
