// The engine of `moldau consume`: where each partition starts (ListOffsets),
// then rounds of Fetch requests, one per leader, sent together so that long
// polls on several brokers wait at the same time (docs/cli.md, "How consume
// works"). No consumer group: positions live only in this process.
//
// Reads with isolation level READ_UNCOMMITTED and skips control batches
// (transaction markers).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "protocol/record_batch.h"

namespace moldau::cli {

// Bytes one Fetch response may carry (Kafka's fetch.max.bytes default).
constexpr int32_t kFetchMaxBytes = 50 << 20;
// Per partition and response to start with (max.partition.fetch.bytes);
// doubled up to kFetchMaxBytes when a single batch is larger.
constexpr int32_t kPartitionMaxBytes = 1 << 20;
// Bound on a decompressed batch.
constexpr size_t kMaxDecompressedBatchBytes = size_t(256) << 20;

// ListOffsets' special timestamps.
constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;

class Consumer {
 public:
  using OnRecord = std::function<bool(int32_t partition, const protocol::Record& record)>;

  Consumer(Client& client, std::string topic);

  // Reads the topic's metadata. Fails with UNKNOWN_TOPIC_OR_PARTITION when
  // it does not exist (no auto-creation).
  Status open();
  int32_t partition_count() const;

  // Offsets of `partitions` at `timestamp` (kLatest, kEarliest or ms): the
  // first offset whose record timestamp is at or after it, -1 when none.
  Result<std::map<int32_t, int64_t>> list_offsets(const std::vector<int32_t>& partitions,
                                                  int64_t timestamp);
  // Where to read each partition from next.
  void seek(int32_t partition, int64_t offset);
  int64_t position(int32_t partition) const;

  // One round: Fetch from every leader, each waiting up to max_wait for
  // records. Calls on_record for each record in offset order per partition
  // until it returns false. Returns how many records were delivered.
  Result<int64_t> poll(std::chrono::milliseconds max_wait, const OnRecord& on_record);

  // Things the person should know that did not stop the run ("offset out of
  // range, continuing at ..."), since the last call.
  std::vector<std::string> take_warnings();

 private:
  struct PartitionState {
    int64_t offset = 0;
    int32_t max_bytes = kPartitionMaxBytes;
  };
  struct Sent {
    int32_t node;
    std::vector<int32_t> partitions;
  };

  Status refresh_metadata();
  Status reset_out_of_range(int32_t partition);
  Result<bool> deliver(int32_t partition, ByteSpan records, const OnRecord& on_record,
                       int64_t& delivered);

  Client& client_;
  std::string topic_;
  protocol::Uuid topic_id_;
  std::map<int32_t, int32_t> leaders_;  // partition -> node
  std::map<int32_t, PartitionState> positions_;
  std::vector<std::string> warnings_;
  bool stale_metadata_ = false;
};

}  // namespace moldau::cli
