// InitProducerId (transactional ids), AddPartitionsToTxn, AddOffsetsToTxn and
// EndTxn: the producer's side of a transaction, answered by the transaction
// driver once its __transaction_state records are appended.
#include <memory>

#include "base/log.h"
#include "kafka/handlers/txn_handlers.h"
#include "kafka/txn/txn_driver.h"
#include "metadata/controller.h"
#include "protocol/msg/add_offsets_to_txn_request.h"
#include "protocol/msg/add_offsets_to_txn_response.h"
#include "protocol/msg/add_partitions_to_txn_request.h"
#include "protocol/msg/add_partitions_to_txn_response.h"
#include "protocol/msg/end_txn_request.h"
#include "protocol/msg/end_txn_response.h"
#include "protocol/msg/init_producer_id_response.h"

namespace moldau::kafka {

namespace {

using protocol::AddPartitionsToTxnRequest;
using protocol::AddPartitionsToTxnResponse;
using TopicResult = AddPartitionsToTxnResponse::AddPartitionsToTxnTopicResult;

// One transaction's topics: UNKNOWN_TOPIC_OR_PARTITION for partitions that do
// not exist and OPERATION_NOT_ATTEMPTED for the others (as Kafka), or every
// partition with `error`.
std::vector<TopicResult> topic_results(const std::vector<AddPartitionsToTxnRequest::AddPartitionsToTxnTopic>& topics,
                                       const std::function<ErrorCode(const std::string&, int32_t)>& error_of) {
  std::vector<TopicResult> out;
  for (const auto& t : topics) {
    TopicResult r;
    r.name = t.name;
    for (int32_t p : t.partitions) {
      AddPartitionsToTxnResponse::AddPartitionsToTxnPartitionResult pr;
      pr.partition_index = p;
      pr.partition_error_code = wire(error_of(t.name, p));
      r.results_by_partition.push_back(pr);
    }
    out.push_back(std::move(r));
  }
  return out;
}

// Checks one transaction's partitions and adds them; `done` gets its topic results.
void add_one(Broker& broker, txn::TxnDriver& driver, const std::string& id, int64_t pid, int16_t epoch, bool verify,
             const std::vector<AddPartitionsToTxnRequest::AddPartitionsToTxnTopic>& topics, int16_t version,
             std::function<void(std::vector<TopicResult>)> done) {
  auto image = broker.controller().image();
  std::vector<txn::t::TopicPartition> tps;
  bool unknown = false;
  for (const auto& t : topics) {
    const metadata::TopicImage* ti = image->topic(t.name);
    for (int32_t p : t.partitions) {
      if (!ti || p < 0 || size_t(p) >= ti->partitions.size()) unknown = true;
      tps.push_back({t.name, p});
    }
  }
  if (unknown) {
    done(topic_results(topics, [&image](const std::string& name, int32_t p) {
      const metadata::TopicImage* ti = image->topic(name);
      return !ti || p < 0 || size_t(p) >= ti->partitions.size() ? ErrorCode::kUnknownTopicOrPartition
                                                                : ErrorCode::kOperationNotAttempted;
    }));
    return;
  }
  if (verify) {
    ErrorCode e = driver.core().verify_partitions(id, pid, epoch, tps);
    done(topic_results(topics, [e](const std::string&, int32_t) { return e; }));
    return;
  }
  driver.add_partitions(id, pid, epoch, tps, [topics, version, done = std::move(done)](ErrorCode e) {
    e = txn_detail::for_version(e, version, 2);
    done(topic_results(topics, [e](const std::string&, int32_t) { return e; }));
  });
}

txn::TxnDriver* driver_or_close(Broker& broker, RequestContext& ctx) {
  auto* d = txn::driver_of(broker);
  if (!d) {
    MOLDAU_LOG_WARN("closing connection from {}: this broker runs no transaction coordinator",
                    ctx.connection()->peer());
    ctx.close_connection();
  }
  return d;
}

}  // namespace

void handle_transactional_init_producer_id(Broker& broker, RequestContext& ctx,
                                           const protocol::InitProducerIdRequest& req) {
  auto* driver = driver_or_close(broker, ctx);
  if (!driver) return;
  txn::t::InitProducerIdRequest r;
  r.transactional_id = *req.transactional_id;
  r.timeout_ms = req.transaction_timeout_ms;
  if (ctx.api_version() >= 3) {
    r.expected_producer_id = req.producer_id;
    r.expected_producer_epoch = req.producer_epoch;
  }
  const int16_t v = ctx.api_version();
  driver->init_producer_id(std::move(r), [ctx, v](txn::t::InitProducerIdResult res) mutable {
    protocol::InitProducerIdResponse resp;
    resp.error_code = wire(txn_detail::for_version(res.error, v, 4));
    resp.producer_id = res.error == ErrorCode::kNone ? res.producer_id : -1;
    resp.producer_epoch = res.error == ErrorCode::kNone ? res.producer_epoch : -1;
    ctx.respond(resp);
  });
}

void handle_add_partitions_to_txn(Broker& broker, RequestContext& ctx) {
  AddPartitionsToTxnRequest req;
  if (!ctx.decode_or_close(req, "AddPartitionsToTxn")) return;
  auto* driver = driver_or_close(broker, ctx);
  if (!driver) return;
  const int16_t v = ctx.api_version();
  if (v <= 3) {
    add_one(broker, *driver, req.v3_and_below_transactional_id, req.v3_and_below_producer_id,
            req.v3_and_below_producer_epoch, false, req.v3_and_below_topics, v,
            [ctx](std::vector<TopicResult> results) mutable {
              AddPartitionsToTxnResponse resp;
              resp.results_by_topic_v3_and_below = std::move(results);
              ctx.respond(resp);
            });
    return;
  }
  // v4+: a batch of transactions (brokers verifying, KIP-890); each answered.
  struct State {
    AddPartitionsToTxnResponse resp;
    size_t left = 0;
  };
  auto st = std::make_shared<State>();
  st->resp.results_by_transaction.resize(req.transactions.size());
  st->left = req.transactions.size() + 1;
  auto finish = [st, ctx]() mutable {
    if (--st->left == 0) ctx.respond(st->resp);
  };
  for (size_t i = 0; i < req.transactions.size(); ++i) {
    const auto& t = req.transactions[i];
    st->resp.results_by_transaction[i].transactional_id = t.transactional_id;
    add_one(broker, *driver, t.transactional_id, t.producer_id, t.producer_epoch, t.verify_only, t.topics, v,
            [st, i, finish](std::vector<TopicResult> results) mutable {
              st->resp.results_by_transaction[i].topic_results = std::move(results);
              finish();
            });
  }
  finish();
}

void handle_add_offsets_to_txn(Broker& broker, RequestContext& ctx) {
  protocol::AddOffsetsToTxnRequest req;
  if (!ctx.decode_or_close(req, "AddOffsetsToTxn")) return;
  auto* driver = driver_or_close(broker, ctx);
  if (!driver) return;
  const int16_t v = ctx.api_version();
  driver->add_offsets(req.transactional_id, req.producer_id, req.producer_epoch, req.group_id,
                      [ctx, v](ErrorCode e) mutable {
                        protocol::AddOffsetsToTxnResponse resp;
                        resp.error_code = wire(txn_detail::for_version(e, v, 2));
                        ctx.respond(resp);
                      });
}

void handle_end_txn(Broker& broker, RequestContext& ctx) {
  protocol::EndTxnRequest req;
  if (!ctx.decode_or_close(req, "EndTxn")) return;
  auto* driver = driver_or_close(broker, ctx);
  if (!driver) return;
  const int16_t v = ctx.api_version();
  driver->end_txn(req.transactional_id, req.producer_id, req.producer_epoch, req.committed,
                  [ctx, v](ErrorCode e) mutable {
                    protocol::EndTxnResponse resp;
                    resp.error_code = wire(txn_detail::for_version(e, v, 2));
                    ctx.respond(resp);
                  });
}

}  // namespace moldau::kafka
