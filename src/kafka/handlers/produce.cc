// Produce: validate each batch from its header, CRC and records (KIP-467),
// assign offsets in place in the request buffer, append the same bytes.
#include <algorithm>
#include <memory>
#include <set>

#include "base/log.h"
#include "kafka/handlers/handlers.h"
#include "kafka/handlers/util.h"
#include "kafka/limits.h"
#include "metadata/config_catalog.h"
#include "protocol/msg/produce_request.h"
#include "protocol/msg/produce_response.h"
#include "protocol/record_batch.h"
#include "storage/log_manager.h"

namespace moldau::kafka {
namespace {

using protocol::ProduceRequest;
using protocol::ProduceResponse;
using PartitionResponse = ProduceResponse::PartitionProduceResponse;

void set_error(PartitionResponse& p, const Error& e) {
  p.error_code = wire(e.code);
  p.error_message = e.message;
  p.base_offset = -1;
}

// Shared by the partitions of one request that finish asynchronously (fsync
// on ack): the response goes out when the last one is done.
struct PendingProduce {
  RequestContext ctx;
  ProduceResponse resp;
  int16_t acks = 1;
  int outstanding = 0;
  void finish_one() {
    if (--outstanding == 0 && acks != 0) ctx.respond(resp);
  }
};

// One partition of a produce request on its way through the three phases
// of produce_all: prepare (event loop), validate + append (possibly on a
// helper thread, see below), finish (event loop).
struct PartitionJob {
  ProduceRequest::PartitionProduceData* data = nullptr;
  PartitionResponse* out = nullptr;
  const TopicSettings* settings = nullptr;  // cached per metadata image; stable for the request
  storage::Log* log = nullptr;
  storage::TopicPartition tp;
  int32_t leader_epoch = -1;
  bool appended = false;                    // set by the work phase
};

// Prepare phase, on the event loop: everything that reads or changes
// broker-wide state (metadata, the settings cache, the log manager).
// Returns false when the partition is answered already (an error).
bool prepare_partition(Broker& broker, const metadata::TopicImage& topic, PartitionJob& job) {
  PartitionResponse& out = *job.out;
  auto& data = *job.data;
  out.index = data.index;
  if (data.index < 0 || size_t(data.index) >= topic.partitions.size()) {
    set_error(out, {ErrorCode::kUnknownTopicOrPartition,
                    "partition " + std::to_string(data.index) + " of topic '" + topic.name +
                        "' does not exist"});
    return false;
  }
  if (data.records.is_null || data.records.size() == 0) {
    set_error(out, {ErrorCode::kInvalidRecord, "the produce request has no records"});
    return false;
  }
  job.settings = &broker.topic_settings(topic.name);
  job.tp = storage::TopicPartition{topic.name, data.index};
  job.leader_epoch = topic.partitions[size_t(data.index)].leader_epoch;
  job.log = broker.logs().get(job.tp);
  if (!job.log) {
    auto created = broker.logs().get_or_create(job.tp, topic.id.to_string(), job.settings->log_config);
    if (!created) {
      set_error(out, created.error());
      return false;
    }
    job.log = *created;
  }
  return true;
}

// Work phase: validates the partition's batches and appends them to its log.
// Touches only the job, its response entry, its request bytes and its Log
// (which nothing else uses while the phase runs), so the partitions of one
// request can run in parallel.
void validate_and_append(PartitionJob& job, int16_t version, int64_t now) {
  PartitionResponse& out = *job.out;
  const TopicSettings& settings = *job.settings;
  const std::string& name = job.tp.topic;
  const int64_t max_message_bytes = settings.max_message_bytes;
  const bool log_append_time = settings.log_append_time;
  const auto target = settings.target_compression;

  protocol::RecordChecks checks;
  checks.now_ms = now;
  checks.require_key = settings.require_key;
  if (!log_append_time) {
    checks.timestamp_before_max_ms = settings.timestamp_before_max_ms;
    checks.timestamp_after_max_ms = settings.timestamp_after_max_ms;
  }

  std::span<uint8_t> buf = job.data->records.mutable_bytes();
  Bytes rewritten;  // only when batches must be recompressed
  bool recompressed = false;
  protocol::BatchWalker walker(buf);
  while (auto b = walker.next()) {
    if (b->bytes.size() > size_t(max_message_bytes)) {
      set_error(out, {ErrorCode::kMessageTooLarge,
                      "a record batch of " + std::to_string(b->bytes.size()) +
                          " bytes is larger than max.message.bytes=" + std::to_string(max_message_bytes) +
                          " of topic '" + name + "'"});
      return;
    }
    if (Status s = protocol::validate_batch_header(b->bytes); !s) {
      set_error(out, s.error());
      return;
    }
    protocol::RecordsSummary summary;
    if (Status s = protocol::validate_records(b->bytes, kMaxDecompressedBatchBytes, checks, &summary); !s) {
      set_error(out, s.error());
      for (const auto& re : summary.record_errors) out.record_errors.push_back({re.batch_index, re.message, {}});
      return;
    }
    if (walker.batches() > 1) {
      set_error(out, {ErrorCode::kInvalidRecord,
                      "Produce v3 and later must carry exactly one record batch per partition"});
      return;
    }
    if (b->header().compression() == protocol::Compression::kZstd && version < 7) {
      set_error(out, {ErrorCode::kUnsupportedCompressionType, "zstd needs Produce v7 or later"});
      return;
    }
    uint8_t* start = buf.data() + b->position;
    if (!log_append_time && summary.records > 0 && b->header().max_timestamp() != summary.max_timestamp) {
      // As Kafka does: a producer's wrong MaxTimestamp is corrected, not refused.
      if (Status s = protocol::set_max_timestamp(start, b->bytes.size(), protocol::TimestampType::kCreateTime,
                                                 summary.max_timestamp);
          !s) {
        set_error(out, s.error());
        return;
      }
    }
    if (log_append_time) {
      if (Status s = protocol::stamp_log_append_time(start, b->bytes.size(), now); !s) {
        set_error(out, s.error());
        return;
      }
    }
    if (target && b->header().compression() != *target) {
      auto re = protocol::recompress(b->bytes, *target, kMaxDecompressedBatchBytes);
      if (!re) {
        set_error(out, re.error());
        return;
      }
      rewritten = std::move(*re);  // one batch per partition (checked above)
      recompressed = true;
    }
  }
  if (!walker.status()) {
    set_error(out, walker.status().error());
    return;
  }
  // The common case appends the request's own bytes; `rewritten` is used only
  // when some batch had to be recompressed.
  std::span<uint8_t> to_append = recompressed ? std::span<uint8_t>(rewritten) : buf;
  auto appended = job.log->append(to_append, job.leader_epoch, now);
  if (!appended) {
    set_error(out, appended.error());
    return;
  }
  out.base_offset = appended->base_offset;
  // A retry of an appended batch is answered with the original's append time, as Kafka does.
  out.log_append_time_ms = !log_append_time ? -1 : appended->duplicate ? appended->duplicate_timestamp : now;
  out.log_start_offset = appended->log_start_offset;
  job.appended = true;
}

// Finish phase, on the event loop: high watermark, long-poll wake-ups, and
// the flush for fsync-on-ack topics. Returns true when the response waits
// for that flush.
bool finish_partition(Broker& broker, const std::shared_ptr<PendingProduce>& pending, PartitionJob& job) {
  if (!job.appended) return false;
  storage::Log* log = job.log;
  const storage::TopicPartition& tp = job.tp;
  const int64_t end = log->log_end_offset();
  if (log->config().fsync_on_ack) {
    // The acknowledgement (and the high watermark) waits for the group commit.
    PartitionResponse* slot = job.out;
    broker.logs().flush_async(log, end, [&broker, pending, slot, log, tp, end](Status s) {
      if (!s) {
        set_error(*slot, s.error());
      } else {
        log->set_high_watermark(std::max(log->high_watermark(), end));
        broker.waiters().notify({tp.topic, tp.partition});
      }
      pending->finish_one();
    });
    return true;
  }
  log->set_high_watermark(end);
  broker.waiters().notify({tp.topic, tp.partition});
  return false;
}

// Whether two jobs append to the same Log (a request naming one partition
// twice). O(n log n): a request may carry many thousands of partition entries.
bool names_a_log_twice(const std::vector<PartitionJob>& jobs) {
  std::vector<const storage::Log*> logs;
  logs.reserve(jobs.size());
  for (const auto& j : jobs) logs.push_back(j.log);
  std::sort(logs.begin(), logs.end());
  return std::adjacent_find(logs.begin(), logs.end()) != logs.end();
}

void produce_all(Broker& broker, const std::shared_ptr<PendingProduce>& pending,
                 const std::shared_ptr<ProduceRequest>& req) {
  auto image = broker.controller().image();
  ProduceResponse& resp = pending->resp;
  resp.responses.reserve(req->topic_data.size());
  // Reserve everything first: jobs and flush callbacks keep pointers into the response.
  for (auto& t : req->topic_data) {
    auto& tr = resp.responses.emplace_back();
    tr.name = t.name;
    tr.partition_responses.resize(t.partition_data.size());
  }
  std::vector<PartitionJob> jobs;
  size_t bytes = 0;
  for (size_t ti = 0; ti < req->topic_data.size(); ++ti) {
    auto& t = req->topic_data[ti];
    auto& tr = resp.responses[ti];
    const metadata::TopicImage* topic = image->topic(t.name);
    for (size_t pi = 0; pi < t.partition_data.size(); ++pi) {
      auto& out = tr.partition_responses[pi];
      if (!topic) {
        out.index = t.partition_data[pi].index;
        set_error(out, {ErrorCode::kUnknownTopicOrPartition, "topic '" + t.name + "' does not exist"});
        continue;
      }
      PartitionJob job;
      job.data = &t.partition_data[pi];
      job.out = &out;
      if (!prepare_partition(broker, *topic, job)) continue;
      bytes += job.data->records.size();
      jobs.push_back(std::move(job));
    }
  }
  // The work phase is mostly page-cache writes and CRC checks: spread a large
  // request's partitions over the append pool (num.io.threads). Small
  // requests, and the rare request naming one partition twice (one Log must
  // not be appended from two threads), run on the loop alone.
  const int64_t now = now_ms();
  const int16_t version = pending->ctx.api_version();
  auto work = [&](size_t i) { validate_and_append(jobs[i], version, now); };
  if (jobs.size() > 1 && bytes >= kParallelAppendMinBytes && !names_a_log_twice(jobs)) {
    broker.append_pool().run(jobs.size(), work);
  } else {
    for (size_t i = 0; i < jobs.size(); ++i) work(i);
  }
  pending->outstanding = 1;  // held until every partition has been finished
  for (auto& job : jobs) {
    if (finish_partition(broker, pending, job)) ++pending->outstanding;
  }
  pending->finish_one();
}

}  // namespace

void handle_produce(Broker& broker, RequestContext& ctx) {
  auto req = std::make_shared<ProduceRequest>();
  if (!ctx.decode_or_close(*req, "Produce")) return;
  auto pending = std::make_shared<PendingProduce>(PendingProduce{ctx, {}, req->acks, 0});
  const bool unsupported = ctx.api_version() < 3;
  const bool bad_acks = req->acks != 0 && req->acks != 1 && req->acks != -1;
  if (unsupported || bad_acks) {
    ErrorCode code = unsupported ? ErrorCode::kUnsupportedVersion : ErrorCode::kInvalidRequiredAcks;
    for (auto& t : req->topic_data) {
      auto& tr = pending->resp.responses.emplace_back();
      tr.name = t.name;
      for (auto& p : t.partition_data) {
        auto& out = tr.partition_responses.emplace_back();
        out.index = p.index;
        set_error(out, {code, unsupported ? "Produce v0-2 is not supported; use v3 or later"
                                          : "acks must be -1, 0 or 1"});
      }
    }
    ctx.respond(pending->resp);
    return;
  }
  if (req->acks == 0) ctx.respond_nothing();

  // Unknown topics are created first when auto.create.topics.enable allows.
  std::set<std::string> missing;
  auto image = broker.controller().image();
  for (auto& t : req->topic_data) {
    if (!image->topic(t.name) && metadata::validate_topic_name(t.name)) missing.insert(t.name);
  }
  if (!missing.empty() && broker.controller().auto_create_enabled()) {
    broker.controller().auto_create_topics(
        std::vector<std::string>(missing.begin(), missing.end()),
        [&broker, pending, req](std::vector<metadata::CreateTopicResult>) { produce_all(broker, pending, req); });
    return;
  }
  produce_all(broker, pending, req);
}

}  // namespace moldau::kafka
