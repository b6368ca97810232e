// InitProducerId (v0-5): a producer id and epoch for an idempotent producer.
//
// Without a transactional id every request gets a new producer id with epoch
// 0, whatever ProducerId/ProducerEpoch (v3+, KIP-360) it carries: as in
// Kafka, an idempotent producer that lost its state simply starts over with a
// fresh id. Ids come from Broker::producer_ids() (blocks recorded in the
// metadata log).
#include <memory>

#include "base/log.h"
#include "kafka/handlers/handlers.h"
#include "kafka/handlers/txn_handlers.h"
#include "kafka/producer_ids.h"
#include "protocol/msg/init_producer_id_request.h"
#include "protocol/msg/init_producer_id_response.h"

namespace moldau::kafka {

using protocol::InitProducerIdRequest;
using protocol::InitProducerIdResponse;

void handle_init_producer_id(Broker& broker, RequestContext& ctx) {
  InitProducerIdRequest req;
  if (!ctx.decode_or_close(req, "InitProducerId")) return;
  if (req.transactional_id.has_value()) {
    // The transaction coordinator (src/kafka/txn/): transactional ids live on
    // a __transaction_state partition and keep their producer id across
    // sessions, bumping the epoch.
    handle_transactional_init_producer_id(broker, ctx, req);
    return;
  }
  broker.producer_ids().allocate([ctx](Result<int64_t> id) mutable {
    InitProducerIdResponse resp;
    if (!id) {
      // Kafka answers a producer-id block it cannot get with a retriable error.
      resp.error_code = wire(ErrorCode::kCoordinatorLoadInProgress);
      resp.producer_id = -1;
      resp.producer_epoch = -1;
    } else {
      resp.producer_id = *id;
      resp.producer_epoch = 0;
    }
    ctx.respond(resp);
  });
}

}  // namespace moldau::kafka
