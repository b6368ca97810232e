// Per-partition settings, named after Kafka's topic configs (segment.bytes, ...).
#pragma once

#include <cstdint>
#include <limits>

namespace moldau::storage {

struct LogConfig {
  int64_t segment_bytes = 1 << 30;                   // segment.bytes
  int64_t segment_ms = 7 * 24 * 3600 * 1000LL;       // segment.ms
  int32_t segment_index_bytes = 10 << 20;            // segment.index.bytes
  int32_t index_interval_bytes = 4096;               // index.interval.bytes
  int64_t retention_ms = 7 * 24 * 3600 * 1000LL;     // retention.ms (-1: unlimited)
  int64_t retention_bytes = -1;                      // retention.bytes (-1: unlimited)
  int64_t flush_messages = std::numeric_limits<int64_t>::max();  // flush.messages
  int64_t flush_ms = std::numeric_limits<int64_t>::max();        // flush.ms
  int64_t file_delete_delay_ms = 60000;              // file.delete.delay.ms
  // Moldau extension: an acknowledged write has been fdatasync'ed (the broker
  // waits for LogManager::flush_async before answering). docs/durability.md.
  bool fsync_on_ack = false;
  // producer.id.expiration.ms (a broker config): idle producers' state is
  // dropped on the retention tick.
  int64_t producer_id_expiration_ms = 86400000;

  bool operator==(const LogConfig&) const = default;
};

}  // namespace moldau::storage
