#include "cli/consumer.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "cli/explain.h"
#include "protocol/msg/fetch_request.h"
#include "protocol/msg/fetch_response.h"
#include "protocol/msg/list_offsets_request.h"
#include "protocol/msg/list_offsets_response.h"

namespace moldau::cli {

namespace {

// Fetch v13 and later name topics by id only.
constexpr int16_t kLastFetchVersionWithNames = 12;
constexpr auto kRetryBackoff = std::chrono::milliseconds(200);

// Errors after which the metadata is read again and the partition retried.
bool leadership_error(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kLeaderNotAvailable:
    case ErrorCode::kFencedLeaderEpoch:
    case ErrorCode::kUnknownLeaderEpoch:
    case ErrorCode::kUnknownTopicId:
    case ErrorCode::kReplicaNotAvailable:
    case ErrorCode::kKafkaStorageError:
    case ErrorCode::kOffsetNotAvailable:
    case ErrorCode::kBrokerNotAvailable:
      return true;
    default:
      return false;
  }
}

}  // namespace

Consumer::Consumer(Client& client, std::string topic) : client_(client), topic_(std::move(topic)) {}

Status Consumer::open() { return refresh_metadata(); }

int32_t Consumer::partition_count() const { return int32_t(leaders_.size()); }

Status Consumer::refresh_metadata() {
  auto md = client_.metadata(std::vector<std::string>{topic_}, false);
  if (!md) return md.error();
  const TopicInfo* t = md->topic(topic_);
  ErrorCode code = t ? t->error : ErrorCode::kUnknownTopicOrPartition;
  if (code != ErrorCode::kNone && code != ErrorCode::kLeaderNotAvailable)
    return Error{code, explain(code, {Operation::kConsume, topic_, {}, {}})};
  if (t) {
    topic_id_ = t->topic_id;
    for (const auto& p : t->partitions) leaders_[p.partition] = p.leader;
  }
  stale_metadata_ = false;
  return {};
}

void Consumer::seek(int32_t partition, int64_t offset) { positions_[partition].offset = offset; }

int64_t Consumer::position(int32_t partition) const {
  auto it = positions_.find(partition);
  return it == positions_.end() ? -1 : it->second.offset;
}

std::vector<std::string> Consumer::take_warnings() {
  std::vector<std::string> out;
  out.swap(warnings_);
  return out;
}

Result<std::map<int32_t, int64_t>> Consumer::list_offsets(const std::vector<int32_t>& partitions,
                                                           int64_t timestamp) {
  std::map<int32_t, int64_t> result;
  for (int attempt = 0;; ++attempt) {
    std::map<int32_t, std::vector<int32_t>> by_leader;
    for (int32_t p : partitions)
      if (!result.count(p)) by_leader[leaders_.count(p) ? leaders_[p] : -1].push_back(p);
    if (by_leader.empty()) return result;
    bool retry = false;
    for (const auto& [node, parts] : by_leader) {
      if (node < 0) {
        retry = true;
        continue;
      }
      auto conn = client_.node(node);
      if (!conn) return conn.error();
      protocol::ListOffsetsRequest req;
      req.replica_id = -1;
      protocol::ListOffsetsRequest::ListOffsetsTopic t;
      t.name = topic_;
      for (int32_t p : parts) {
        protocol::ListOffsetsRequest::ListOffsetsPartition lp;
        lp.partition_index = p;
        lp.timestamp = timestamp;
        t.partitions.push_back(lp);
      }
      req.topics.push_back(std::move(t));
      req.timeout_ms = int32_t(client_.options().connection.request_timeout.count());
      auto reply = call<protocol::ListOffsetsResponse>(**conn, req, 1);
      if (!reply) return reply.error();
      for (const auto& rt : reply->msg.topics) {
        if (rt.name != topic_) continue;
        for (const auto& rp : rt.partitions) {
          ErrorCode code = ErrorCode(rp.error_code);
          if (code == ErrorCode::kNone) {
            result[rp.partition_index] = rp.offset;
          } else if (leadership_error(code) && attempt < 10) {
            retry = true;
          } else {
            return Error{code, explain(code, {Operation::kConsume, topic_, rp.partition_index, {}})};
          }
        }
      }
    }
    if (retry) {
      if (attempt >= 10)
        return Error{ErrorCode::kLeaderNotAvailable,
                     explain(ErrorCode::kLeaderNotAvailable, {Operation::kConsume, topic_, {}, {}})};
      std::this_thread::sleep_for(kRetryBackoff);
      if (auto st = refresh_metadata(); !st) return st.error();
    }
  }
}

Status Consumer::reset_out_of_range(int32_t partition) {
  int64_t asked = positions_[partition].offset;
  auto earliest = list_offsets({partition}, kEarliest);
  if (!earliest) return earliest.error();
  auto latest = list_offsets({partition}, kLatest);
  if (!latest) return latest.error();
  int64_t first = (*earliest)[partition], end = (*latest)[partition];
  bool before_start = asked < first;
  int64_t to = before_start ? first : end;
  std::string held = end > first ? fmt::format("it holds offsets {}-{}", first, end - 1)
                                  : fmt::format("it is empty, next offset {}", end);
  warnings_.push_back(fmt::format("partition {}: offset {} is out of range ({}); continuing at {}",
                                  partition, asked, held, to));
  positions_[partition].offset = to;
  return {};
}

// Hands the records of one partition's response to on_record; false when
// on_record asked to stop.
Result<bool> Consumer::deliver(int32_t partition, ByteSpan records, const OnRecord& on_record,
                               int64_t& delivered) {
  PartitionState& state = positions_[partition];
  protocol::BatchWalker walker(records);
  while (auto b = walker.next()) {
    protocol::BatchHeaderView h = b->header();
    if (h.last_offset() < state.offset) continue;  // a batch that starts before our position
    if (h.control()) {
      state.offset = h.last_offset() + 1;
      continue;
    }
    auto decoded = protocol::decode_records(b->bytes, kMaxDecompressedBatchBytes);
    if (!decoded)
      return Error{decoded.error().code,
                   fmt::format("partition {}: cannot read the record batch at offset {}: {}",
                               partition, h.base_offset(), decoded.error().message)};
    for (const auto& r : *decoded) {
      if (r.offset < state.offset) continue;
      state.offset = r.offset + 1;
      ++delivered;
      if (!on_record(partition, r)) return false;
    }
    state.offset = std::max(state.offset, h.last_offset() + 1);
  }
  if (walker.batches() == 0 && !records.empty()) {
    // Only part of one batch fit: ask for more next time.
    if (state.max_bytes >= kFetchMaxBytes)
      return Error{ErrorCode::kRecordListTooLarge,
                   fmt::format("partition {}: the record batch at offset {} is larger than {} "
                               "bytes",
                               partition, state.offset, kFetchMaxBytes)};
    state.max_bytes = std::min(kFetchMaxBytes, state.max_bytes * 2);
  }
  return true;
}

Result<int64_t> Consumer::poll(std::chrono::milliseconds max_wait, const OnRecord& on_record) {
  if (stale_metadata_) {
    std::this_thread::sleep_for(kRetryBackoff);
    if (auto st = refresh_metadata(); !st) return st.error();
  }
  std::map<int32_t, std::vector<int32_t>> by_leader;
  for (const auto& [p, state] : positions_) {
    auto it = leaders_.find(p);
    if (it == leaders_.end() || it->second < 0) {
      stale_metadata_ = true;
      continue;
    }
    by_leader[it->second].push_back(p);
  }
  // Send to every leader first, then read: the long polls overlap.
  std::vector<Sent> sent;
  for (const auto& [node, parts] : by_leader) {
    auto conn = client_.node(node);
    if (!conn) return conn.error();
    protocol::FetchRequest req;
    req.replica_id = -1;
    req.max_wait_ms = int32_t(max_wait.count());
    req.min_bytes = 1;
    req.max_bytes = kFetchMaxBytes;
    req.isolation_level = 0;
    req.session_id = 0;      // no fetch session (KIP-227): every request is full
    req.session_epoch = -1;
    protocol::FetchRequest::FetchTopic t;
    t.topic = topic_;
    t.topic_id = topic_id_;
    for (int32_t p : parts) {
      protocol::FetchRequest::FetchPartition fp;
      fp.partition = p;
      fp.fetch_offset = positions_[p].offset;
      fp.partition_max_bytes = positions_[p].max_bytes;
      t.partitions.push_back(fp);
    }
    req.topics.push_back(std::move(t));
    int16_t max_version = topic_id_.is_zero() ? kLastFetchVersionWithNames
                                              : protocol::FetchRequest::kMaxVersion;
    auto v = send_as(**conn, req, protocol::FetchRequest::kMinVersion, true, max_version);
    if (!v) return v.error();
    sent.push_back({node, parts});
  }
  if (sent.empty()) {
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(max_wait, kRetryBackoff));
    return int64_t(0);
  }
  int64_t delivered = 0;
  bool stop = false;
  // Every response is read, also after on_record said stop, so that no
  // connection is left with an answer nobody waits for.
  for (const auto& s : sent) {
    auto conn = client_.node(s.node);
    if (!conn) return conn.error();
    auto deadline = Clock::now() + max_wait + client_.options().connection.request_timeout;
    auto reply = receive_as<protocol::FetchResponse>(**conn, deadline);
    if (!reply) return reply.error();
    if (reply->msg.error_code != 0) {
      ErrorCode code = ErrorCode(reply->msg.error_code);
      warnings_.push_back(explain(code, {Operation::kConsume, topic_, {}, {}}));
      stale_metadata_ = true;
      continue;
    }
    for (const auto& rt : reply->msg.responses) {
      if (rt.topic != topic_ && !(rt.topic.empty() && rt.topic_id == topic_id_)) continue;
      for (const auto& rp : rt.partitions) {
        if (!positions_.count(rp.partition_index)) continue;
        ErrorCode code = ErrorCode(rp.error_code);
        if (code == ErrorCode::kOffsetOutOfRange) {
          if (auto st = reset_out_of_range(rp.partition_index); !st) return st.error();
          continue;
        }
        if (leadership_error(code) || code == ErrorCode::kUnknownTopicOrPartition) {
          stale_metadata_ = true;
          continue;
        }
        if (code != ErrorCode::kNone)
          return Error{code, explain(code, {Operation::kConsume, topic_, rp.partition_index, {}})};
        if (stop || rp.records.is_null) continue;
        auto more = deliver(rp.partition_index, rp.records.bytes, on_record, delivered);
        if (!more) return more.error();
        if (!*more) stop = true;
      }
    }
  }
  return delivered;
}

}  // namespace moldau::cli
