// DescribeProducers (v0): the active producers of each partition, from the
// partition's producer state (producer_state.h): epoch, last sequence, last
// timestamp, coordinator epoch and the start of its ongoing transaction.
#include "base/log.h"
#include "kafka/handlers/handlers.h"
#include "protocol/msg/describe_producers_request.h"
#include "protocol/msg/describe_producers_response.h"
#include "storage/log_manager.h"

namespace moldau::kafka {

void handle_describe_producers(Broker& broker, RequestContext& ctx) {
  protocol::DescribeProducersRequest req;
  if (!ctx.decode_or_close(req, "DescribeProducers")) return;
  auto image = broker.controller().image();
  protocol::DescribeProducersResponse resp;
  for (const auto& t : req.topics) {
    auto& tr = resp.topics.emplace_back();
    tr.name = t.name;
    const metadata::TopicImage* topic = image->topic(t.name);
    for (int32_t p : t.partition_indexes) {
      auto& pr = tr.partitions.emplace_back();
      pr.partition_index = p;
      if (!topic || p < 0 || size_t(p) >= topic->partitions.size()) {
        pr.error_code = wire(ErrorCode::kUnknownTopicOrPartition);
        pr.error_message = "partition " + std::to_string(p) + " of topic '" + t.name + "' does not exist";
        continue;
      }
      if (topic->partitions[size_t(p)].leader != broker.node_id()) {
        pr.error_code = wire(ErrorCode::kNotLeaderOrFollower);
        pr.error_message = "this broker is not the leader of " + t.name + "-" + std::to_string(p);
        continue;
      }
      storage::Log* log = broker.logs().get({t.name, p});
      if (!log) continue;  // never written: no producers
      if (log->offline()) {
        pr.error_code = wire(ErrorCode::kKafkaStorageError);
        pr.error_message = "the log dir of " + t.name + "-" + std::to_string(p) + " is offline";
        continue;
      }
      for (const auto& [pid, e] : log->producer_state().producers()) {
        auto& ps = pr.active_producers.emplace_back();
        ps.producer_id = pid;
        ps.producer_epoch = e.epoch;
        ps.last_sequence = e.last_seq();
        ps.last_timestamp = e.last_timestamp;
        ps.coordinator_epoch = e.coordinator_epoch;
        ps.current_txn_start_offset = e.txn_first_offset;
      }
    }
  }
  ctx.respond(resp);
}

}  // namespace moldau::kafka
