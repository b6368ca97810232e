// OffsetCommit, OffsetFetch, OffsetDelete: mapped to the group driver. The
// handler checks that committed topics and partitions exist
// (UNKNOWN_TOPIC_OR_PARTITION otherwise); the coordinator does the rest.
#include <map>

#include "base/log.h"
#include "kafka/groups/consumer_group_driver.h"
#include "kafka/handlers/group_handlers.h"
#include "metadata/controller.h"
#include "protocol/msg/offset_commit_request.h"
#include "protocol/msg/offset_commit_response.h"
#include "protocol/msg/offset_delete_request.h"
#include "protocol/msg/offset_delete_response.h"
#include "protocol/msg/offset_fetch_request.h"
#include "protocol/msg/offset_fetch_response.h"

namespace moldau::kafka {

namespace c = coordinator;

void handle_offset_commit(Broker& broker, RequestContext& ctx) {
  auto req = std::make_shared<protocol::OffsetCommitRequest>();
  if (!ctx.decode_or_close(*req, "OffsetCommit")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  const int16_t v = ctx.api_version();
  auto image = broker.controller().image();

  c::OffsetCommitRequest commit;
  commit.group_id = req->group_id;
  commit.generation_id = req->generation_id_or_member_epoch;
  commit.member_id = req->member_id;
  commit.group_instance_id = req->group_instance_id;
  commit.retention_time_ms = v <= 4 ? req->retention_time_ms : -1;
  auto errors = std::make_shared<group_detail::PartitionErrors>();
  for (const auto& t : req->topics) {
    for (const auto& p : t.partitions) {
      c::TopicPartition tp{t.name, p.partition_index};
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
  // A consumer group (KIP-848) checks the member and its epoch itself; the
  // offsets are then stored as the commit of an empty group's would be.
  ErrorCode consumer_error = ErrorCode::kNone;
  bool consumer_group = false;
  if (const auto* cd = groups::consumer_driver_of(broker);
      cd && cd->coordinator_status(commit.group_id) == ErrorCode::kNone) {
    if (const auto* g = cd->group(commit.group_id)) {
      consumer_group = true;
      consumer_error = g->validate_offset_commit(commit.member_id, commit.generation_id);
      commit.generation_id = -1;
      commit.member_id.clear();
      commit.group_instance_id.reset();
    }
  }
  if (consumer_error != ErrorCode::kNone) {
    for (const auto& p : commit.partitions) (*errors)[p.tp] = consumer_error;
    commit.partitions.clear();
  }
  // Version 9 (KIP-848) tells a member of a group that does not exist
  // GROUP_ID_NOT_FOUND rather than ILLEGAL_GENERATION.
  const bool group_missing =
      v >= 9 && !consumer_group && commit.generation_id >= 0 && !driver->core().group(commit.group_id);
  auto respond = [ctx, req, errors, group_missing]() mutable {
    protocol::OffsetCommitResponse resp;
    for (const auto& t : req->topics) {
      auto& out = resp.topics.emplace_back();
      out.name = t.name;
      for (const auto& p : t.partitions) {
        auto& op = out.partitions.emplace_back();
        op.partition_index = p.partition_index;
        ErrorCode e = group_detail::error_or_none(*errors, t.name, p.partition_index);
        if (group_missing && e == ErrorCode::kIllegalGeneration) e = ErrorCode::kGroupIdNotFound;
        op.error_code = wire(e);
      }
    }
    ctx.respond(resp);
  };
  if (commit.partitions.empty()) {
    respond();
    return;
  }
  driver->commit_offsets(commit, [errors, respond](std::vector<c::PartitionError> result) mutable {
    group_detail::record(*errors, result);
    respond();
  });
}

void handle_offset_fetch(Broker& broker, RequestContext& ctx) {
  protocol::OffsetFetchRequest req;
  if (!ctx.decode_or_close(req, "OffsetFetch")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  const int16_t v = ctx.api_version();

  std::vector<c::OffsetFetchGroup> groups;
  if (v <= 7) {
    auto& g = groups.emplace_back();
    g.group_id = req.group_id;
    g.require_stable = v >= 7 && req.require_stable;
    if (req.topics) {
      g.partitions.emplace();
      for (const auto& t : *req.topics) {
        for (int32_t p : t.partition_indexes) g.partitions->push_back({t.name, p});
      }
    }
  } else {
    for (const auto& rg : req.groups) {
      auto& g = groups.emplace_back();
      g.group_id = rg.group_id;
      g.require_stable = req.require_stable;
      if (rg.topics) {
        g.partitions.emplace();
        for (const auto& t : *rg.topics) {
          for (int32_t p : t.partition_indexes) g.partitions->push_back({t.name, p});
        }
      }
    }
  }
  auto results = driver->fetch_offsets(groups);
  // Version 9 names the member of a consumer group (KIP-848): it must be one
  // at its current epoch.
  if (const auto* cd = groups::consumer_driver_of(broker); cd && v >= 9) {
    for (size_t i = 0; i < results.size() && i < req.groups.size(); ++i) {
      const auto* g = results[i].error == ErrorCode::kNone ? cd->group(results[i].group_id) : nullptr;
      if (!g) continue;
      const auto& rg = req.groups[i];
      ErrorCode e = g->validate_offset_fetch(rg.member_id.value_or(""), rg.member_epoch);
      if (e != ErrorCode::kNone) {
        results[i].error = e;
        results[i].partitions.clear();
      }
    }
  }

  // Partitions grouped by topic, topics in the order they first appear.
  auto by_topic = [](const c::OffsetFetchGroupResult& g, auto& topics_out, ErrorCode partition_error) {
    std::map<std::string, size_t> index;
    for (const auto& f : g.partitions) {
      auto [it, fresh] = index.emplace(f.tp.topic, topics_out.size());
      if (fresh) topics_out.emplace_back().name = f.tp.topic;
      auto& op = topics_out[it->second].partitions.emplace_back();
      op.partition_index = f.tp.partition;
      op.committed_offset = f.offset;
      op.committed_leader_epoch = f.leader_epoch;
      op.metadata = f.metadata;
      op.error_code = wire(f.error != ErrorCode::kNone ? f.error : partition_error);
    }
  };

  protocol::OffsetFetchResponse resp;
  if (v <= 7) {
    const auto& g = results.front();
    // Version 1 has no top-level error: the group's error goes on every partition.
    by_topic(g, resp.topics, v == 1 ? g.error : ErrorCode::kNone);
    resp.error_code = wire(g.error);
  } else {
    for (const auto& g : results) {
      auto& og = resp.groups.emplace_back();
      og.group_id = g.group_id;
      og.error_code = wire(g.error);
      by_topic(g, og.topics, ErrorCode::kNone);
    }
  }
  ctx.respond(resp);
}

void handle_offset_delete(Broker& broker, RequestContext& ctx) {
  auto req = std::make_shared<protocol::OffsetDeleteRequest>();
  if (!ctx.decode_or_close(*req, "OffsetDelete")) return;
  auto* driver = group_detail::driver_or_close(broker, ctx);
  if (!driver) return;
  auto image = broker.controller().image();
  auto errors = std::make_shared<group_detail::PartitionErrors>();
  std::vector<c::TopicPartition> partitions;
  for (const auto& t : req->topics) {
    for (const auto& p : t.partitions) {
      c::TopicPartition tp{t.name, p.partition_index};
      if (!group_detail::partition_exists(*image, t.name, p.partition_index)) {
        (*errors)[tp] = ErrorCode::kUnknownTopicOrPartition;
      } else {
        partitions.push_back(tp);
      }
    }
  }
  driver->delete_offsets(req->group_id, partitions, [ctx, req, errors](c::OffsetDeleteResult r) mutable {
    protocol::OffsetDeleteResponse resp;
    resp.error_code = wire(r.error);
    if (r.error == ErrorCode::kNone) {
      group_detail::record(*errors, r.partitions);
      for (const auto& t : req->topics) {
        auto& out = resp.topics.emplace_back();
        out.name = t.name;
        for (const auto& p : t.partitions) {
          auto& op = out.partitions.emplace_back();
          op.partition_index = p.partition_index;
          op.error_code = wire(group_detail::error_or_none(*errors, t.name, p.partition_index));
        }
      }
    }
    ctx.respond(resp);
  });
}

}  // namespace moldau::kafka
