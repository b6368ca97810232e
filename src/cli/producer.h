// The engine of `moldau produce`: per-partition batches, sent to each
// partition's leader with several requests in flight per connection
// (docs/cli.md, "How produce works").
//
// A batch is sealed when adding the next record would take it past
// batch_size_bytes, or when it has waited `linger`; sealed batches of a
// broker's partitions go out together, one batch per partition per request
// (Kafka's rule). Up to max_in_flight requests wait for answers per
// connection; answers are read as they arrive and when the limit is reached.
//
// Retriable errors (no leader, not enough replicas...) refresh the metadata
// and send the batch again, up to `retries` times. A partition sends one
// batch at a time until one is accepted (and again after a retriable
// error), so a fresh topic's early errors cannot reorder records; a leader
// that fails while several batches are in flight can still let a retried
// batch land after a later one, as with Kafka's non-idempotent producer. A
// broken connection stops the producer: records in flight on it are neither
// counted as written nor as failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/partitioner.h"
#include "protocol/record_batch.h"

namespace moldau::cli {

struct ProducerConfig {
  protocol::Compression compression = protocol::Compression::kNone;
  int16_t acks = -1;
  size_t batch_size_bytes = 512 * 1024;
  std::chrono::milliseconds linger{5};
  int max_in_flight = 5;
  std::chrono::milliseconds request_timeout{30000};
  int retries = 5;
  std::chrono::milliseconds retry_backoff{100};
  // Sealed batches not yet sent, before add() waits for answers.
  size_t max_buffered_bytes = size_t(64) << 20;
  bool allow_auto_topic_creation = true;
};

// What happened to the records of one partition.
struct PartitionOutcome {
  int64_t records_ok = 0;
  int64_t records_failed = 0;
  int64_t bytes_ok = 0;  // keys + values + headers of the records written
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  ErrorCode error = ErrorCode::kNone;  // the last error, if any
  std::string error_message;           // explain()ed
};

class Producer {
 public:
  Producer(Client& client, std::string topic, ProducerConfig config);
  ~Producer();

  // Reads the topic's metadata (creating it when the broker auto-creates
  // topics) until every partition has a leader or the request timeout passes.
  Status start();
  int32_t partition_count() const { return int32_t(leaders_.size()); }

  // Adds a record: to `partition` when given, else by key hash, else to the
  // sticky partition. May send and wait for answers (never longer than the
  // request timeout per answer).
  Status add(std::optional<int32_t> partition, std::optional<ByteSpan> key,
             std::optional<ByteSpan> value, std::span<const protocol::RecordHeader> headers,
             int64_t timestamp_ms);
  // Seals batches that have lingered long enough, sends what may go and
  // reads answers that have arrived. Never waits for the broker unless the
  // in-flight limit is reached.
  Status poll();
  // When the oldest open batch lingers out; nullopt when none is open.
  std::optional<Clock::time_point> next_linger_deadline() const;
  // Sends everything and waits for every answer.
  Status flush();

  const std::map<int32_t, PartitionOutcome>& outcomes() const { return outcomes_; }
  int64_t records_added() const { return records_added_; }
  int64_t records_acknowledged() const { return records_acked_; }
  // Errors seen for the first time since the last call (one per partition
  // and code), already explained, for the command to print as they happen.
  std::vector<std::string> take_new_errors();

 private:
  struct Batch;
  struct Request;
  struct OpenBatch;

  Status refresh_metadata(bool wait_for_leaders);
  bool broker_auto_creates_topics(const ClusterMetadata& md);
  void seal(int32_t partition);
  Status pump();
  Status send_to(int32_t node);
  Status receive_from(int32_t node);
  void settle(Batch& batch, ErrorCode code, int64_t base_offset, const std::string& message);
  size_t buffered_bytes() const;

  Client& client_;
  std::string topic_;
  ProducerConfig config_;
  protocol::Uuid topic_id_;
  std::vector<int32_t> leaders_;  // by partition
  StickyPartitioner sticky_;
  std::map<int32_t, std::unique_ptr<OpenBatch>> open_;
  std::map<int32_t, std::deque<Batch>> sealed_;     // by partition, in order
  std::map<int32_t, std::deque<Request>> in_flight_;  // by node, in send order
  std::map<int32_t, PartitionOutcome> outcomes_;
  std::map<int32_t, int> batches_in_flight_;  // by partition
  std::map<int32_t, bool> warm_;  // by partition: took a batch since the last retriable error
  std::map<std::pair<int32_t, ErrorCode>, bool> reported_;
  std::vector<std::string> new_errors_;
  int64_t records_added_ = 0;
  int64_t records_acked_ = 0;
  uint64_t next_seq_ = 0;
  std::optional<bool> auto_creates_;  // the broker's auto.create.topics.enable, once asked  // orders a partition's batches, so a retry goes back in its place
};

}  // namespace moldau::cli
