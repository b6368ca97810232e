// ListOffsets: earliest, latest, by timestamp (exact to the record), max
// timestamp.
#include <unistd.h>

#include "kafka/handlers/handlers.h"
#include "kafka/limits.h"
#include "protocol/msg/list_offsets_request.h"
#include "protocol/msg/list_offsets_response.h"
#include "protocol/record_batch.h"
#include "storage/log_manager.h"

namespace moldau::kafka {
namespace {

constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;
constexpr int64_t kEarliestLocal = -4;

// The records of the batch holding `offset` (at most one batch is read).
Result<std::vector<protocol::Record>> records_at(storage::Log& log, int64_t offset) {
  auto rr = log.read(offset, 1, log.high_watermark(), true);
  if (!rr) return rr.error();
  if (rr->region.length <= 0) return std::vector<protocol::Record>{};
  Bytes buf(size_t(rr->region.length));
  ssize_t n = ::pread(rr->region.fd, buf.data(), buf.size(), rr->region.offset);
  if (n != ssize_t(buf.size())) return Error{ErrorCode::kKafkaStorageError, "short read of a segment"};
  auto recs = protocol::decode_records(buf, kMaxDecompressedBatchBytes);
  if (!recs) return recs.error();
  // Views point into `buf` for uncompressed batches: keep it alive with them.
  auto keep = std::make_shared<const Bytes>(std::move(buf));
  for (auto& r : *recs) {
    if (!r.storage) r.storage = keep;
  }
  return recs;
}

struct Found {
  int64_t offset = -1;
  int64_t timestamp = -1;
};

Found by_timestamp(storage::Log& log, int64_t ts) {
  auto hit = log.offset_for_timestamp(ts);
  if (!hit) return {};
  auto recs = records_at(log, hit->first);
  if (recs) {
    for (const auto& r : *recs) {
      if (r.offset >= log.log_start_offset() && r.offset < log.high_watermark() && r.timestamp >= ts)
        return {r.offset, r.timestamp};
    }
  }
  return {hit->first, hit->second};
}

Found max_timestamp(storage::Log& log) {
  auto [ts, last_offset] = log.max_timestamp_and_offset();
  if (ts < 0) return {};
  // The batch's last offset carries the max; find the exact (first) record.
  auto recs = records_at(log, last_offset);
  if (recs) {
    for (const auto& r : *recs) {
      if (r.timestamp == ts) return {r.offset, ts};
    }
  }
  return {last_offset, ts};
}

}  // namespace

void handle_list_offsets(Broker& broker, RequestContext& ctx) {
  protocol::ListOffsetsRequest req;
  if (!ctx.decode_or_close(req, "ListOffsets")) return;
  auto image = broker.controller().image();
  protocol::ListOffsetsResponse resp;
  for (const auto& t : req.topics) {
    auto& tr = resp.topics.emplace_back();
    tr.name = t.name;
    const metadata::TopicImage* topic = image->topic(t.name);
    for (const auto& p : t.partitions) {
      auto& pr = tr.partitions.emplace_back();
      pr.partition_index = p.partition_index;
      if (!topic || p.partition_index < 0 || size_t(p.partition_index) >= topic->partitions.size()) {
        pr.error_code = wire(ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
      storage::Log* log = broker.logs().get({t.name, p.partition_index});
      if (!log || log->offline()) {
        pr.error_code = wire(ErrorCode::kKafkaStorageError);
        continue;
      }
      pr.leader_epoch = topic->partitions[size_t(p.partition_index)].leader_epoch;
      Found f;
      switch (p.timestamp) {
        case kLatest:
          // READ_COMMITTED (isolation level 1) sees up to the last stable offset.
          f = {req.isolation_level == 1 ? log->last_stable_offset() : log->high_watermark(), -1};
          break;
        case kEarliest:
        case kEarliestLocal: f = {log->log_start_offset(), -1}; break;
        case kMaxTimestamp: f = max_timestamp(*log); break;
        default:
          if (p.timestamp < 0) {
            pr.error_code = wire(ErrorCode::kInvalidRequest);
            continue;
          }
          f = by_timestamp(*log, p.timestamp);
      }
      pr.offset = f.offset;
      pr.timestamp = f.timestamp;
    }
  }
  ctx.respond(resp);
}

}  // namespace moldau::kafka
