// DeleteRecords: moves a partition's log start offset up (KIP-107). The
// answer's low_watermark is the new log start offset; with one replica it is
// reached as soon as the leader's log has moved, so nothing waits.
#include <fmt/format.h>

#include "kafka/handlers/admin_handlers.h"
#include "protocol/msg/delete_records_request.h"
#include "protocol/msg/delete_records_response.h"
#include "storage/log.h"
#include "storage/log_manager.h"

namespace moldau::kafka {

namespace admin {

Result<int64_t> delete_records_target(int64_t requested, int64_t high_watermark) {
  const int64_t target = requested == kDeleteToHighWatermark ? high_watermark : requested;
  if (target < 0) {
    return Error{ErrorCode::kOffsetOutOfRange, fmt::format("The offset {} is not valid", target)};
  }
  if (target > high_watermark) {
    return Error{ErrorCode::kOffsetOutOfRange,
                 fmt::format("Cannot increment the log start offset to {} since it is larger than the high "
                             "watermark {}",
                             target, high_watermark)};
  }
  return target;
}

bool cleanup_policy_allows_delete_records(std::string_view cleanup_policy) {
  bool compact = false, del = false;
  for (const std::string& p : metadata::config_as_list(cleanup_policy)) {
    compact = compact || p == "compact";
    del = del || p == "delete";
  }
  // Kafka's rule: only a policy that compacts without deleting forbids it.
  return del || !compact;
}

}  // namespace admin

namespace {

// The new log start offset of one partition, or the partition's error.
Result<int64_t> delete_records(Broker& broker, const metadata::MetadataImage& image, const std::string& topic,
                               int32_t partition, int64_t offset, const std::string& client) {
  const metadata::PartitionInfo* info = image.partition(topic, partition);
  if (!info) {
    return Error{ErrorCode::kUnknownTopicOrPartition,
                 fmt::format("This server does not host this topic-partition: {}-{}", topic, partition)};
  }
  if (metadata::is_internal_topic(topic)) {
    return Error{ErrorCode::kInvalidTopicException, fmt::format("Cannot delete records of internal topic {}", topic)};
  }
  storage::TopicPartition tp{topic, partition};
  storage::Log* log = info->leader == broker.node_id() ? broker.logs().get(tp) : nullptr;
  if (!log) {
    // Led elsewhere, or not opened here yet (the image is ahead of the logs).
    return Error{ErrorCode::kNotLeaderOrFollower,
                 fmt::format("Leader not local for partition {}-{} on broker {}", topic, partition, broker.node_id())};
  }
  if (log->offline()) {
    return Error{ErrorCode::kKafkaStorageError,
                 fmt::format("The log of {}-{} is in an offline log dir", topic, partition)};
  }
  if (!admin::cleanup_policy_allows_delete_records(broker.topic_config(topic, "cleanup.policy"))) {
    return Error{ErrorCode::kPolicyViolation,
                 fmt::format("Records of partition {}-{} can not be deleted due to the configured policy", topic,
                             partition)};
  }
  auto target = admin::delete_records_target(offset, log->high_watermark());
  if (!target) return target.error();
  const int64_t before = log->log_start_offset();
  if (auto s = log->delete_records_before(*target); !s) return s.error();
  if (log->log_start_offset() != before) {
    MOLDAU_LOG_INFO("{}-{}: log start offset {} -> {} by DeleteRecords (client '{}')", topic, partition, before,
                    log->log_start_offset(), client);
    // Long-polling fetches below the new start must hear of it.
    broker.waiters().notify({topic, partition});
  }
  return log->log_start_offset();
}

}  // namespace

void handle_delete_records(Broker& broker, RequestContext& ctx) {
  protocol::DeleteRecordsRequest req;
  if (!ctx.decode_or_close(req, "DeleteRecords")) return;
  auto image = broker.controller().image();
  protocol::DeleteRecordsResponse resp;
  for (const auto& t : req.topics) {
    auto& ot = resp.topics.emplace_back();
    ot.name = t.name;
    for (const auto& p : t.partitions) {
      auto& op = ot.partitions.emplace_back();
      op.partition_index = p.partition_index;
      auto r = delete_records(broker, *image, t.name, p.partition_index, p.offset, ctx.client_id());
      if (r) {
        op.low_watermark = *r;
      } else {
        op.low_watermark = -1;  // Kafka's INVALID_LOW_WATERMARK
        op.error_code = wire(r.error().code);
        MOLDAU_LOG_DEBUG("DeleteRecords {}-{} from {}: {}", t.name, p.partition_index, ctx.connection()->peer(),
                         r.error().message);
      }
    }
  }
  ctx.respond(resp);
}

}  // namespace moldau::kafka
