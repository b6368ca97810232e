// FindCoordinator: the coordinator of a group is the leader of its
// __consumer_offsets partition, that of a transactional id the leader of its
// __transaction_state partition; each topic is created on first use and
// COORDINATOR_NOT_AVAILABLE answered meanwhile.
#include <set>

#include "base/log.h"
#include "kafka/handlers/group_handlers.h"
#include "kafka/txn/txn_driver.h"
#include "metadata/controller.h"
#include "protocol/msg/find_coordinator_request.h"
#include "protocol/msg/find_coordinator_response.h"

namespace moldau::kafka {
namespace {

using protocol::FindCoordinatorRequest;
using protocol::FindCoordinatorResponse;
using Coordinator = FindCoordinatorResponse::Coordinator;

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

// (Broker, internal topic) pairs whose creation is under way.
std::set<std::pair<const Broker*, std::string>>& creating() {
  static std::set<std::pair<const Broker*, std::string>> s;
  return s;
}

void start_creating(Broker& broker, const std::string& topic) {
  if (!creating().insert({&broker, topic}).second) return;
  MOLDAU_LOG_INFO("creating {} on first use", topic);
  broker.controller().ensure_internal_topic(topic, [&broker, topic](Status s) {
    creating().erase({&broker, topic});
    if (!s) MOLDAU_LOG_ERROR("cannot create {}: {}", topic, s.error().message);
  });
}

Coordinator find(Broker& broker, const std::string& key, int8_t key_type) {
  Coordinator c;
  c.key = key;
  c.node_id = -1;
  c.port = -1;
  auto fail = [&](ErrorCode e, std::string message) {
    c.error_code = wire(e);
    c.error_message = std::move(message);
    return c;
  };
  if (key_type != kGroupKey && key_type != kTransactionKey) {
    return fail(ErrorCode::kInvalidRequest, "unknown coordinator key type " + std::to_string(key_type));
  }
  const bool txn = key_type == kTransactionKey;
  const std::string topic = txn ? metadata::kTransactionStateTopic : metadata::kConsumerOffsetsTopic;
  int32_t p = 0;
  if (txn) {
    txn::TxnDriver* driver = txn::driver_of(broker);
    if (!driver) return fail(ErrorCode::kCoordinatorNotAvailable, "this broker runs no transaction coordinator");
    if (key.empty()) return fail(ErrorCode::kInvalidRequest, "empty transactional id");
    p = driver->partition_for(key);
  } else {
    groups::GroupDriver* driver = groups::driver_of(broker);
    if (!driver) return fail(ErrorCode::kCoordinatorNotAvailable, "this broker runs no group coordinator");
    p = driver->partition_for(key);
  }
  auto image = broker.controller().image();
  const metadata::TopicImage* t = image->topic(topic);
  if (!t) {
    start_creating(broker, topic);
    return fail(ErrorCode::kCoordinatorNotAvailable, topic + " is being created");
  }
  if (size_t(p) >= t->partitions.size() || t->partitions[size_t(p)].leader < 0) {
    return fail(ErrorCode::kCoordinatorNotAvailable, topic + "-" + std::to_string(p) + " has no leader");
  }
  const int32_t leader = t->partitions[size_t(p)].leader;
  const metadata::BrokerRegistration* reg = image->broker(leader);
  if (!reg || reg->endpoints.empty()) {
    return fail(ErrorCode::kCoordinatorNotAvailable, "broker " + std::to_string(leader) + " is not registered");
  }
  c.node_id = leader;
  c.host = reg->endpoints.front().host;
  c.port = reg->endpoints.front().port;
  c.error_message = std::nullopt;
  return c;
}

}  // namespace

void handle_find_coordinator(Broker& broker, RequestContext& ctx) {
  FindCoordinatorRequest req;
  if (!ctx.decode_or_close(req, "FindCoordinator")) return;
  FindCoordinatorResponse resp;
  if (ctx.api_version() >= 4) {
    for (const auto& key : req.coordinator_keys) resp.coordinators.push_back(find(broker, key, req.key_type));
  } else {
    Coordinator c = find(broker, req.key, req.key_type);
    resp.error_code = c.error_code;
    resp.error_message = c.error_message;
    resp.node_id = c.node_id;
    resp.host = c.host;
    resp.port = c.port;
  }
  ctx.respond(resp);
}

}  // namespace moldau::kafka
