// Fetch: long polling woken by appends (PartitionWaiters), incremental fetch
// sessions (KIP-227), and records sent as file regions of segments, so a
// plaintext connection sends them with sendfile (no copy through user space).
#include <algorithm>
#include <map>
#include <memory>

#include "base/log.h"
#include "kafka/handlers/handlers.h"
#include "kafka/limits.h"
#include "protocol/msg/fetch_request.h"
#include "protocol/msg/fetch_response.h"
#include "storage/log_manager.h"

namespace moldau::kafka {
namespace {

using protocol::FetchRequest;
using protocol::FetchResponse;

constexpr int8_t kReadCommitted = 1;

struct FetchOp {
  RequestContext ctx;
  FetchRequest req;
  SessionView view;
  std::map<std::string, protocol::Uuid> topic_ids;  // for v13+ responses
  std::map<protocol::Uuid, ErrorCode> unknown_ids;  // v13+: ids that name no topic
};

struct Candidate {
  SessionPartitionKey key;
  FetchResponse::PartitionData data;
  bool has_records = false;
  protocol::Uuid topic_id;
};

// Reads every partition of the session view without touching the session:
// the caller may still decide to wait and read again.
std::pair<std::vector<Candidate>, int64_t> read_partitions(Broker& broker, FetchOp& op) {
  std::vector<Candidate> out;
  out.reserve(op.view.partitions.size());
  const bool v13 = op.ctx.api_version() >= 13;
  const bool committed = op.req.isolation_level == kReadCommitted;
  int64_t budget = std::min<int64_t>(std::max(op.req.max_bytes, 0), kMaxFetchResponseBytes);
  int64_t total = 0;
  auto image = broker.controller().image();

  for (const auto& [key, sp] : op.view.partitions) {
    Candidate& c = out.emplace_back();
    c.key = key;
    FetchResponse::PartitionData& pd = c.data;
    pd.partition_index = key.partition;
    pd.records = protocol::Records::of({});
    if (!committed) pd.aborted_transactions.reset();
    ErrorCode err = ErrorCode::kNone;
    const metadata::TopicImage* topic = image->topic(key.topic);
    if (topic) c.topic_id = protocol::Uuid::parse(topic->id.to_string()).value_or(protocol::Uuid{});
    storage::Log* log = nullptr;
    if (!topic || key.partition < 0 || size_t(key.partition) >= topic->partitions.size()) {
      err = v13 ? ErrorCode::kUnknownTopicId : ErrorCode::kUnknownTopicOrPartition;
    } else {
      log = broker.logs().get({key.topic, key.partition});
      if (!log) {
        auto created = broker.logs().get_or_create({key.topic, key.partition}, topic->id.to_string(),
                                                   broker.log_config_for(key.topic));
        if (created) log = *created;
      }
      if (!log || log->offline()) err = ErrorCode::kKafkaStorageError;
    }
    if (log && err == ErrorCode::kNone) {
      const int64_t hw = log->high_watermark();
      const int64_t lso = log->last_stable_offset();
      // read_committed stops at the last stable offset: records of open
      // transactions are not returned until they are decided.
      const int64_t max_offset = committed ? lso : hw;
      pd.high_watermark = hw;
      pd.last_stable_offset = lso;
      pd.log_start_offset = log->log_start_offset();
      if (sp.fetch_offset < log->log_start_offset() || sp.fetch_offset > log->log_end_offset()) {
        err = ErrorCode::kOffsetOutOfRange;
      } else if (sp.fetch_offset < max_offset && budget - total > 0) {
        int64_t limit = std::min<int64_t>(std::max(sp.partition_max_bytes, 0), budget - total);
        // KIP-74: the first partition with data returns at least one whole
        // batch even when it is larger than the limits, so consumers progress.
        auto rr = log->read(sp.fetch_offset, limit, max_offset, total == 0);
        if (!rr) {
          err = rr.error().code;
        } else if (rr->region.length > 0) {
          pd.records = protocol::Records::of_file(rr->region);
          total += rr->region.length;
          c.has_records = true;
          if (committed) {
            // The aborted transactions overlapping what may be returned, so
            // the consumer can drop their records (it matches them by
            // producer id and offset; extra entries are harmless).
            std::vector<FetchResponse::AbortedTransaction> aborted;
            for (const auto& a : log->aborted_transactions(sp.fetch_offset, max_offset)) {
              auto& e = aborted.emplace_back();
              e.producer_id = a.producer_id;
              e.first_offset = a.first_offset;
            }
            pd.aborted_transactions = std::move(aborted);
          }
        }
      }
    } else {
      pd.high_watermark = -1;
    }
    pd.error_code = wire(err);
  }
  return {std::move(out), total};
}

// The response: the partitions the session says the client must hear about
// (all of them for a full fetch), grouped by topic. Records what was sent.
FetchResponse build_response(Broker& broker, FetchOp& op, std::vector<Candidate>& candidates) {
  FetchResponse resp;
  resp.session_id = op.view.session_id;
  const bool v13 = op.ctx.api_version() >= 13;
  for (auto& c : candidates) {
    const auto& pd = c.data;
    if (!broker.fetch_sessions().should_include(op.view.session_id, op.view.incremental, c.key, c.has_records,
                                                ErrorCode(pd.error_code), pd.high_watermark,
                                                pd.log_start_offset, pd.last_stable_offset)) {
      continue;
    }
    if (resp.responses.empty() || resp.responses.back().topic != c.key.topic) {
      auto& t = resp.responses.emplace_back();
      t.topic = c.key.topic;
      if (v13) {
        auto it = op.topic_ids.find(c.key.topic);
        t.topic_id = it != op.topic_ids.end() ? it->second : c.topic_id;
      }
    }
    resp.responses.back().partitions.push_back(std::move(c.data));
  }
  for (const auto& [id, code] : op.unknown_ids) {
    auto& t = resp.responses.emplace_back();
    t.topic_id = id;
    for (const auto& tp : op.req.topics) {
      if (tp.topic_id != id) continue;
      for (const auto& p : tp.partitions) {
        auto& pd = t.partitions.emplace_back();
        pd.partition_index = p.partition;
        pd.error_code = wire(code);
        pd.high_watermark = -1;
        pd.records = protocol::Records::of({});
      }
    }
  }
  return resp;
}

}  // namespace

void handle_fetch(Broker& broker, RequestContext& ctx) {
  auto op = std::make_shared<FetchOp>(FetchOp{ctx, {}, {}, {}, {}});
  if (!ctx.decode_or_close(op->req, "Fetch")) return;
  const bool v13 = ctx.api_version() >= 13;
  auto image = broker.controller().image();
  auto topic_name = [&](const std::string& name, const protocol::Uuid& id) -> std::optional<std::string> {
    if (!v13) return name;
    for (const auto& [n, t] : image->topics()) {
      if (t->id.to_string() == id.to_string()) {
        op->topic_ids[n] = id;
        return n;
      }
    }
    op->unknown_ids[id] = ErrorCode::kUnknownTopicId;
    return std::nullopt;
  };

  std::vector<FetchRequestPartition> parts;
  for (const auto& t : op->req.topics) {
    auto name = topic_name(t.topic, t.topic_id);
    if (!name) continue;
    for (const auto& p : t.partitions) {
      parts.push_back({SessionPartitionKey{*name, p.partition}, p.fetch_offset, p.partition_max_bytes});
    }
  }
  std::vector<SessionPartitionKey> forgotten;
  for (const auto& t : op->req.forgotten_topics_data) {
    auto name = topic_name(t.topic, t.topic_id);
    if (!name) continue;
    for (int32_t p : t.partitions) forgotten.push_back({*name, p});
  }
  op->view = broker.fetch_sessions().begin(ctx.connection()->id(), op->req.session_id, op->req.session_epoch,
                                           parts, forgotten);
  if (op->view.error != ErrorCode::kNone) {
    FetchResponse resp;
    resp.error_code = wire(op->view.error);
    ctx.respond(resp);
    return;
  }

  auto [candidates, bytes] = read_partitions(broker, *op);
  const int32_t wait_ms = std::clamp(op->req.max_wait_ms, 0, kMaxFetchWaitMs);
  if (bytes >= op->req.min_bytes || wait_ms == 0 || op->view.partitions.empty()) {
    op->ctx.respond(build_response(broker, *op, candidates));
    return;
  }
  std::vector<PartitionKey> keys;
  keys.reserve(op->view.partitions.size());
  for (const auto& [k, sp] : op->view.partitions) keys.push_back({k.topic, k.partition});
  Broker* b = &broker;
  broker.waiters().wait(keys, std::chrono::milliseconds(wait_ms), [b, op](bool timed_out) {
    auto [cands, n] = read_partitions(*b, *op);
    if (!timed_out && n < op->req.min_bytes) return false;
    op->ctx.respond(build_response(*b, *op, cands));
    return true;
  });
}

}  // namespace moldau::kafka
