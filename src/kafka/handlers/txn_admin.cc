// DescribeTransactions and ListTransactions (KIP-664), and the registration
// of every transaction API.
#include <map>

#include "base/log.h"
#include "kafka/handlers/txn_handlers.h"
#include "kafka/handlers/util.h"
#include "kafka/txn/txn_driver.h"
#include "protocol/msg/api_keys.h"
#include "protocol/msg/describe_transactions_request.h"
#include "protocol/msg/describe_transactions_response.h"
#include "protocol/msg/list_transactions_request.h"
#include "protocol/msg/list_transactions_response.h"

namespace moldau::kafka {

void handle_describe_transactions(Broker& broker, RequestContext& ctx) {
  protocol::DescribeTransactionsRequest req;
  if (!ctx.decode_or_close(req, "DescribeTransactions")) return;
  protocol::DescribeTransactionsResponse resp;
  auto* driver = txn::driver_of(broker);
  std::vector<txn::t::DescribedTxn> described;
  if (driver) {
    described = driver->core().describe(req.transactional_ids);
  } else {
    for (const auto& id : req.transactional_ids) {
      txn::t::DescribedTxn d;
      d.transactional_id = id;
      d.error = ErrorCode::kCoordinatorNotAvailable;
      described.push_back(std::move(d));
    }
  }
  for (const auto& d : described) {
    auto& s = resp.transaction_states.emplace_back();
    s.error_code = wire(d.error);
    s.transactional_id = d.transactional_id;
    s.transaction_state = d.state;
    s.transaction_timeout_ms = d.timeout_ms;
    s.transaction_start_time_ms = d.start_ms;
    s.producer_id = d.producer_id;
    s.producer_epoch = d.producer_epoch;
    std::map<std::string, std::vector<PartitionId>> by_topic;
    for (const auto& tp : d.partitions) by_topic[tp.topic].push_back(tp.partition);
    for (auto& [topic, parts] : by_topic) {
      auto& td = s.topics.emplace_back();
      td.topic = topic;
      td.partitions = std::move(parts);
    }
  }
  ctx.respond(resp);
}

void handle_list_transactions(Broker& broker, RequestContext& ctx) {
  protocol::ListTransactionsRequest req;
  if (!ctx.decode_or_close(req, "ListTransactions")) return;
  protocol::ListTransactionsResponse resp;
  auto* driver = txn::driver_of(broker);
  if (!driver) {
    resp.error_code = wire(ErrorCode::kCoordinatorNotAvailable);
    ctx.respond(resp);
    return;
  }
  const int64_t duration = ctx.api_version() >= 1 ? req.duration_filter : -1;
  const std::vector<int64_t> producer_ids(req.producer_id_filters.begin(), req.producer_id_filters.end());
  auto listed = driver->core().list(req.state_filters, producer_ids, duration, now_ms());
  resp.unknown_state_filters = std::move(listed.unknown_state_filters);
  for (auto& t : listed.transactions) {
    auto& s = resp.transaction_states.emplace_back();
    s.transactional_id = std::move(t.transactional_id);
    s.producer_id = t.producer_id;
    s.transaction_state = std::move(t.state);
  }
  ctx.respond(resp);
}

void register_txn_apis(Broker&, const AddApi& add) {
  namespace k = protocol::api_key;
  add(k::kAddPartitionsToTxn, 0, 5, handle_add_partitions_to_txn);
  add(k::kAddOffsetsToTxn, 0, 4, handle_add_offsets_to_txn);
  add(k::kEndTxn, 0, 4, handle_end_txn);
  add(k::kTxnOffsetCommit, 0, 5, handle_txn_offset_commit);
  add(k::kDescribeTransactions, 0, 0, handle_describe_transactions);
  add(k::kListTransactions, 0, 1, handle_list_transactions);
}

}  // namespace moldau::kafka
