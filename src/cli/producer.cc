#include "cli/producer.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <thread>

#include "cli/explain.h"
#include "protocol/msg/describe_configs_request.h"
#include "protocol/msg/describe_configs_response.h"
#include "protocol/msg/produce_request.h"
#include "protocol/msg/produce_response.h"

namespace moldau::cli {

namespace {

// One request carries at most this many bytes of batches; the broker's
// socket.request.max.bytes defaults to 100 MiB.
constexpr size_t kMaxRequestBytes = size_t(32) << 20;
// Bytes a record adds to a batch beyond its key, value and headers (length,
// attributes, deltas, varint lengths), rounded up: used to seal a batch
// before a record would take it past batch_size_bytes.
constexpr size_t kRecordOverheadBytes = 32;
// Produce v3 is the first with record batches (magic 2); v13 names topics by
// id only.
constexpr int16_t kMinProduceVersion = 3;
constexpr int16_t kLastProduceVersionWithNames = 12;
constexpr int8_t kBrokerResource = 4;  // DescribeConfigs resource type BROKER

bool retriable(ErrorCode code) {
  switch (code) {
    // The record was not written: sending it again cannot duplicate it.
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kLeaderNotAvailable:
    case ErrorCode::kUnknownTopicOrPartition:
    case ErrorCode::kNotEnoughReplicas:
    case ErrorCode::kFencedLeaderEpoch:
    case ErrorCode::kUnknownLeaderEpoch:
    case ErrorCode::kKafkaStorageError:
      return true;
    default:
      return false;
  }
}

int64_t payload_size(std::optional<ByteSpan> key, std::optional<ByteSpan> value,
                     std::span<const protocol::RecordHeader> headers) {
  int64_t n = int64_t(key ? key->size() : 0) + int64_t(value ? value->size() : 0);
  for (const auto& h : headers) n += int64_t(h.key.size() + (h.value ? h.value->size() : 0));
  return n;
}

}  // namespace

struct Producer::OpenBatch {
  explicit OpenBatch(protocol::BatchOptions options) : builder(options) {}
  protocol::BatchBuilder builder;
  Clock::time_point opened = Clock::now();
  int64_t payload_bytes = 0;
};

struct Producer::Batch {
  int32_t partition = 0;
  uint64_t seq = 0;  // order within the partition
  std::shared_ptr<Bytes> bytes;
  int32_t records = 0;
  int64_t payload_bytes = 0;
  int attempts = 0;
  Clock::time_point not_before{};
};

struct Producer::Request {
  std::vector<Batch> batches;
};

Producer::Producer(Client& client, std::string topic, ProducerConfig config)
    : client_(client), topic_(std::move(topic)), config_(config) {}
Producer::~Producer() = default;

Status Producer::start() { return refresh_metadata(true); }

Status Producer::refresh_metadata(bool wait_for_leaders) {
  auto deadline = Clock::now() + config_.request_timeout;
  while (true) {
    auto md = client_.metadata(std::vector<std::string>{topic_}, config_.allow_auto_topic_creation);
    if (!md) return md.error();
    const TopicInfo* t = md->topic(topic_);
    ErrorCode code = t ? t->error : ErrorCode::kUnknownTopicOrPartition;
    if (code == ErrorCode::kNone && t->partitions.empty()) code = ErrorCode::kLeaderNotAvailable;
    bool all_led = code == ErrorCode::kNone &&
                   std::all_of(t->partitions.begin(), t->partitions.end(),
                               [](const auto& p) { return p.leader >= 0; });
    if (code == ErrorCode::kNone && (all_led || !wait_for_leaders)) {
      topic_id_ = t->topic_id;
      leaders_.assign(size_t(t->partitions.back().partition + 1), -1);
      for (const auto& p : t->partitions) leaders_[size_t(p.partition)] = p.leader;
      return {};
    }
    // Right after auto-creation the topic has no leaders yet. In KRaft mode
    // Kafka answers UNKNOWN_TOPIC_OR_PARTITION while it creates the topic, so
    // that is worth waiting for only when the broker creates topics.
    bool wait = code == ErrorCode::kNone || code == ErrorCode::kLeaderNotAvailable;
    if (code == ErrorCode::kUnknownTopicOrPartition && config_.allow_auto_topic_creation) {
      if (!auto_creates_) auto_creates_ = broker_auto_creates_topics(*md);
      wait = *auto_creates_;
    }
    if (!wait || Clock::now() >= deadline)
      return Error{code, explain(code, {Operation::kProduce, topic_, {}, {}})};
    std::this_thread::sleep_for(config_.retry_backoff);
  }
}

// Asks a broker for auto.create.topics.enable; true when it cannot tell.
bool Producer::broker_auto_creates_topics(const ClusterMetadata& md) {
  if (md.brokers.empty()) return true;
  auto conn = client_.any();
  if (!conn) return true;
  protocol::DescribeConfigsRequest req;
  protocol::DescribeConfigsRequest::DescribeConfigsResource r;
  r.resource_type = kBrokerResource;
  r.resource_name = std::to_string(md.brokers.front().node_id);
  r.configuration_keys = std::vector<std::string>{"auto.create.topics.enable"};
  req.resources.push_back(std::move(r));
  auto reply = call<protocol::DescribeConfigsResponse>(**conn, req);
  if (!reply) return true;
  for (const auto& result : reply->msg.results)
    for (const auto& c : result.configs)
      if (c.name == "auto.create.topics.enable" && c.value) return *c.value != "false";
  return true;
}

Status Producer::add(std::optional<int32_t> partition, std::optional<ByteSpan> key,
                     std::optional<ByteSpan> value,
                     std::span<const protocol::RecordHeader> headers, int64_t timestamp_ms) {
  const int32_t n = partition_count();
  int32_t p;
  if (partition) p = *partition;
  else if (key) p = partition_for_key(*key, n);
  else p = sticky_.current(n);
  int64_t payload = payload_size(key, value, headers);
  bool sealed = false;
  auto it = open_.find(p);
  if (it != open_.end() && !it->second->builder.empty() &&
      it->second->builder.size_bytes() + size_t(payload) + kRecordOverheadBytes >
          config_.batch_size_bytes) {
    seal(p);  // erases the entry
    sealed = true;
  }
  auto& open = open_[p];
  if (!open) {
    protocol::BatchOptions options;
    options.compression = config_.compression;
    open = std::make_unique<OpenBatch>(options);
  }
  open->builder.add(key, value, timestamp_ms, headers);
  open->payload_bytes += payload;
  ++records_added_;
  if (open->builder.size_bytes() >= config_.batch_size_bytes) {
    seal(p);
    sealed = true;
  }
  return sealed ? pump() : Status{};
}

void Producer::seal(int32_t partition) {
  auto it = open_.find(partition);
  if (it == open_.end() || !it->second) return;
  std::unique_ptr<OpenBatch> open = std::move(it->second);
  open_.erase(it);
  if (sticky_.current(partition_count()) == partition) sticky_.next(partition_count());
  Batch b;
  b.partition = partition;
  b.records = open->builder.record_count();
  b.payload_bytes = open->payload_bytes;
  b.seq = next_seq_++;
  auto built = open->builder.build();
  if (!built) {
    settle(b, built.error().code, -1, built.error().message);
    return;
  }
  b.bytes = std::make_shared<Bytes>(std::move(*built));
  sealed_[partition].push_back(std::move(b));
}

std::optional<Clock::time_point> Producer::next_linger_deadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& [p, open] : open_)
    if (open && (!next || open->opened + config_.linger < *next)) next = open->opened + config_.linger;
  return next;
}

Status Producer::poll() {
  auto now = Clock::now();
  std::vector<int32_t> due;
  for (const auto& [p, open] : open_)
    if (open && open->opened + config_.linger <= now) due.push_back(p);
  for (int32_t p : due) seal(p);
  return pump();
}

size_t Producer::buffered_bytes() const {
  size_t n = 0;
  for (const auto& [p, q] : sealed_)
    for (const auto& b : q) n += b.bytes->size();
  return n;
}

// Sends what may go (waiting for an answer when a connection has
// max_in_flight requests out) and reads answers already there.
Status Producer::pump() {
  for (auto& [node, queue] : in_flight_) {
    while (!queue.empty()) {
      auto conn = client_.node(node);
      if (!conn) return conn.error();
      if (!(*conn)->readable()) break;
      if (auto st = receive_from(node); !st) return st;
    }
  }
  auto now = Clock::now();
  std::set<int32_t> nodes;
  for (const auto& [p, q] : sealed_)
    if (!q.empty() && q.front().not_before <= now && size_t(p) < leaders_.size() &&
        leaders_[size_t(p)] >= 0)
      nodes.insert(leaders_[size_t(p)]);
  for (int32_t node : nodes) {
    if (auto st = send_to(node); !st) return st;
  }
  if (buffered_bytes() > config_.max_buffered_bytes) {
    for (auto& [node, queue] : in_flight_)
      if (!queue.empty()) return receive_from(node);
  }
  return {};
}

Status Producer::send_to(int32_t node) {
  while (true) {
    auto conn = client_.node(node);
    if (!conn) return conn.error();
    auto& flight = in_flight_[node];
    if (config_.acks != 0 && flight.size() >= size_t(config_.max_in_flight)) {
      if (auto st = receive_from(node); !st) return st;
      continue;
    }
    // One batch per partition led by `node`, the oldest of each.
    Request req;
    protocol::ProduceRequest msg;
    msg.acks = config_.acks;
    msg.timeout_ms = int32_t(config_.request_timeout.count());
    protocol::ProduceRequest::TopicProduceData data;
    data.name = topic_;
    data.topic_id = topic_id_;
    size_t bytes = 0;
    auto now = Clock::now();
    for (auto& [p, queue] : sealed_) {
      if (queue.empty() || size_t(p) >= leaders_.size() || leaders_[size_t(p)] != node) continue;
      if (queue.front().not_before > now) continue;
      // Until a partition has taken a batch, one batch at a time: right
      // after a topic is created (or a leader moves) the first answers are
      // often retriable errors, and a batch pipelined behind a failed one
      // would overtake it.
      if (!warm_[p] && batches_in_flight_[p] > 0) continue;
      if (bytes > 0 && bytes + queue.front().bytes->size() > kMaxRequestBytes) break;
      Batch b = std::move(queue.front());
      queue.pop_front();
      bytes += b.bytes->size();
      ++batches_in_flight_[p];
      protocol::ProduceRequest::PartitionProduceData pd;
      pd.index = p;
      pd.records = protocol::Records::of(*b.bytes, b.bytes);
      data.partition_data.push_back(std::move(pd));
      req.batches.push_back(std::move(b));
    }
    if (req.batches.empty()) return {};
    msg.topic_data.push_back(std::move(data));
    int16_t max_version = topic_id_.is_zero() ? kLastProduceVersionWithNames
                                              : protocol::ProduceRequest::kMaxVersion;
    auto sent = send_as(**conn, msg, kMinProduceVersion, config_.acks != 0, max_version);
    if (!sent) return sent.error();
    if (config_.acks == 0) {
      // No answer will come: the records count as sent, offsets unknown.
      for (auto& b : req.batches) {
        --batches_in_flight_[b.partition];
        warm_[b.partition] = true;
        settle(b, ErrorCode::kNone, -1, {});
      }
    } else {
      flight.push_back(std::move(req));
    }
  }
}

Status Producer::receive_from(int32_t node) {
  auto conn = client_.node(node);
  if (!conn) return conn.error();
  auto reply = receive_as<protocol::ProduceResponse>(**conn);
  if (!reply) return reply.error();
  auto& flight = in_flight_[node];
  Request req = std::move(flight.front());
  flight.pop_front();
  bool refresh = false;
  for (auto& b : req.batches) {
    --batches_in_flight_[b.partition];
    const protocol::ProduceResponse::PartitionProduceResponse* answer = nullptr;
    for (const auto& t : reply->msg.responses) {
      if (t.name != topic_ && !(t.name.empty() && t.topic_id == topic_id_)) continue;
      for (const auto& pr : t.partition_responses)
        if (pr.index == b.partition) answer = &pr;
    }
    if (!answer) {
      settle(b, ErrorCode::kUnknownServerError, -1, "the broker did not answer for this partition");
      continue;
    }
    ErrorCode code = ErrorCode(answer->error_code);
    if (code == ErrorCode::kNone) {
      warm_[b.partition] = true;
      settle(b, code, answer->base_offset, {});
      continue;
    }
    std::string message = answer->error_message.value_or("");
    for (const auto& re : answer->record_errors)
      if (re.batch_index_error_message)
        message += fmt::format("{}record {}: {}", message.empty() ? "" : "; ", re.batch_index,
                               *re.batch_index_error_message);
    if (retriable(code) && b.attempts < config_.retries) {
      warm_[b.partition] = false;
      ++b.attempts;
      b.not_before = Clock::now() + config_.retry_backoff * b.attempts;
      auto& queue = sealed_[b.partition];
      auto pos = std::find_if(queue.begin(), queue.end(),
                              [&](const Batch& other) { return other.seq > b.seq; });
      queue.insert(pos, std::move(b));
      refresh = true;
      continue;
    }
    settle(b, code, -1, message);
  }
  if (refresh) return refresh_metadata(false);
  return {};
}

void Producer::settle(Batch& batch, ErrorCode code, int64_t base_offset,
                      const std::string& message) {
  auto& o = outcomes_[batch.partition];
  if (code == ErrorCode::kNone) {
    o.records_ok += batch.records;
    o.bytes_ok += batch.payload_bytes;
    records_acked_ += batch.records;
    if (base_offset >= 0) {
      if (o.first_offset < 0 || base_offset < o.first_offset) o.first_offset = base_offset;
      o.last_offset = std::max(o.last_offset, base_offset + batch.records - 1);
    }
    return;
  }
  o.records_failed += batch.records;
  o.error = code;
  o.error_message = explain(code, {Operation::kProduce, topic_, batch.partition, message});
  if (!reported_[{batch.partition, code}]) {
    reported_[{batch.partition, code}] = true;
    new_errors_.push_back(o.error_message);
  }
}

std::vector<std::string> Producer::take_new_errors() {
  std::vector<std::string> out;
  out.swap(new_errors_);
  return out;
}

Status Producer::flush() {
  std::vector<int32_t> open;
  for (const auto& [p, b] : open_) open.push_back(p);
  for (int32_t p : open) seal(p);
  auto deadline = Clock::now() + config_.request_timeout;
  while (true) {
    if (auto st = pump(); !st) return st;
    int32_t busy = -1;
    for (const auto& [node, queue] : in_flight_)
      if (!queue.empty()) busy = node;
    if (busy >= 0) {
      if (auto st = receive_from(busy); !st) return st;
      continue;
    }
    bool waiting = std::any_of(sealed_.begin(), sealed_.end(),
                               [](const auto& e) { return !e.second.empty(); });
    if (!waiting) return {};
    // Batches wait for a backoff to pass or for a partition to get a leader.
    if (Clock::now() >= deadline) {
      for (auto& [p, queue] : sealed_) {
        for (auto& b : queue)
          settle(b, ErrorCode::kLeaderNotAvailable, -1, "gave up waiting for a leader");
        queue.clear();
      }
      return {};
    }
    std::this_thread::sleep_for(config_.retry_backoff);
    if (auto st = refresh_metadata(false); !st) return st;
  }
}

}  // namespace moldau::cli
