// Incremental fetch sessions (KIP-227): a client that fetches the same
// partitions over and over names them once; later requests carry only what
// changed, and responses only the partitions that have something new.
//
// Pure bookkeeping: no I/O, no clock. The Fetch handler resolves topic ids to
// names first, so sessions are keyed by (topic name, partition).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"

namespace moldau::kafka {

struct SessionPartitionKey {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const SessionPartitionKey&) const = default;
};

struct SessionPartition {
  int64_t fetch_offset = 0;
  int32_t partition_max_bytes = 0;
  // What the client was last told, to decide whether a partition with no new
  // records still belongs in an incremental response.
  int64_t last_high_watermark = -1;
  int64_t last_log_start_offset = -1;
  int64_t last_stable_offset = -1;
};

constexpr int32_t kInitialEpoch = 0;
constexpr int32_t kFinalEpoch = -1;
// max.incremental.fetch.session.cache.slots default.
constexpr size_t kDefaultMaxFetchSessions = 1000;
// A session this many partitions large would cost more memory than it saves.
constexpr size_t kMaxPartitionsPerSession = 100000;

struct FetchRequestPartition {
  SessionPartitionKey key;
  int64_t fetch_offset = 0;
  int32_t partition_max_bytes = 0;
};

// The outcome of applying a request to the session cache.
struct SessionView {
  ErrorCode error = ErrorCode::kNone;
  int32_t session_id = 0;  // 0: sessionless (full) fetch
  bool incremental = false;
  // The partitions to fetch, in a stable order.
  std::vector<std::pair<SessionPartitionKey, SessionPartition>> partitions;
};

class FetchSessionCache {
 public:
  explicit FetchSessionCache(size_t max_sessions = kDefaultMaxFetchSessions)
      : max_sessions_(max_sessions) {}

  // Applies a request's session fields. `owner` is an opaque connection id so
  // one client's session cannot be driven by another connection.
  SessionView begin(uint64_t owner, int32_t session_id, int32_t session_epoch,
                    const std::vector<FetchRequestPartition>& partitions,
                    const std::vector<SessionPartitionKey>& forgotten);

  // After a response: decides whether `key` must be included (always for full
  // fetches) and records what was sent.
  bool should_include(int32_t session_id, bool incremental, const SessionPartitionKey& key,
                      bool has_records, ErrorCode error, int64_t high_watermark,
                      int64_t log_start_offset, int64_t last_stable_offset);

  // Drops every session of a closed connection.
  void forget_owner(uint64_t owner);
  size_t size() const { return sessions_.size(); }

 private:
  struct Session {
    uint64_t owner = 0;
    int32_t next_epoch = 1;
    std::map<SessionPartitionKey, SessionPartition> partitions;
    uint64_t last_used = 0;
  };
  int32_t new_session_id();
  void evict_if_full();

  size_t max_sessions_;
  std::unordered_map<int32_t, Session> sessions_;
  int32_t next_id_ = 1;
  uint64_t use_counter_ = 0;
};

}  // namespace moldau::kafka
