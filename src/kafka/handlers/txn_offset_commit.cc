// TxnOffsetCommit: a transactional producer commits its consumer group's
// offsets. The group coordinator appends them to __consumer_offsets in a
// transactional batch of the producer and keeps them pending until the
// transaction's COMMIT marker reaches the group's partition (ABORT drops
// them); docs/transactions.md, "Offsets in a transaction".
#include <map>
#include <memory>

#include "base/log.h"
#include "kafka/handlers/group_handlers.h"
#include "kafka/handlers/txn_handlers.h"
#include "metadata/controller.h"
#include "protocol/msg/txn_offset_commit_request.h"
#include "protocol/msg/txn_offset_commit_response.h"

namespace moldau::kafka {

namespace c = coordinator;

void handle_txn_offset_commit(Broker& broker, RequestContext& ctx) {
  auto req = std::make_shared<protocol::TxnOffsetCommitRequest>();
  if (!ctx.decode_or_close(*req, "TxnOffsetCommit")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  const int16_t v = ctx.api_version();
  auto image = broker.controller().image();

  c::OffsetCommitRequest commit;
  commit.group_id = req->group_id;
  commit.producer_id = req->producer_id;
  if (v >= 3) {
    commit.generation_id = req->generation_id_or_member_epoch;
    commit.member_id = req->member_id;
    commit.group_instance_id = req->group_instance_id;
  }
  auto errors = std::make_shared<group_detail::PartitionErrors>();
  ErrorCode all = ErrorCode::kNone;
  if (req->transactional_id.empty() || req->producer_id < 0) all = ErrorCode::kInvalidRequest;
  if (req->group_id.empty()) all = ErrorCode::kInvalidGroupId;
  for (const auto& t : req->topics) {
    for (const auto& p : t.partitions) {
      c::TopicPartition tp{t.name, p.partition_index};
      if (all != ErrorCode::kNone) {
        (*errors)[tp] = all;
        continue;
      }
      if (!group_detail::partition_exists(*image, t.name, p.partition_index)) {
        (*errors)[tp] = ErrorCode::kUnknownTopicOrPartition;
        continue;
      }
      c::OffsetCommitPartition cp;
      cp.tp = tp;
      cp.offset = p.committed_offset;
      cp.leader_epoch = p.committed_leader_epoch;
      cp.metadata = p.committed_metadata;
      commit.partitions.push_back(std::move(cp));
    }
  }
  auto respond = [ctx, req, errors, v]() mutable {
    protocol::TxnOffsetCommitResponse resp;
    for (const auto& t : req->topics) {
      auto& out = resp.topics.emplace_back();
      out.name = t.name;
      for (const auto& p : t.partitions) {
        auto& op = out.partitions.emplace_back();
        op.partition_index = p.partition_index;
        ErrorCode e = group_detail::error_or_none(*errors, t.name, p.partition_index);
        op.error_code = wire(txn_detail::for_version(e, v, 3));
      }
    }
    ctx.respond(resp);
  };
  if (commit.partitions.empty()) {
    respond();
    return;
  }
  driver->commit_txn_offsets(commit, req->producer_epoch,
                             [errors, respond](std::vector<c::PartitionError> result) mutable {
                               group_detail::record(*errors, result);
                               respond();
                             });
}

}  // namespace moldau::kafka
