// The transaction handlers: AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
// TxnOffsetCommit, DescribeTransactions, ListTransactions and the
// transactional branch of InitProducerId, mapped to the transaction driver
// (docs/transactions.md).
#pragma once

#include "kafka/broker.h"
#include "kafka/handlers/handlers.h"
#include "protocol/msg/init_producer_id_request.h"

namespace moldau::kafka {

void handle_add_partitions_to_txn(Broker&, RequestContext&);
void handle_add_offsets_to_txn(Broker&, RequestContext&);
void handle_end_txn(Broker&, RequestContext&);
void handle_txn_offset_commit(Broker&, RequestContext&);
void handle_describe_transactions(Broker&, RequestContext&);
void handle_list_transactions(Broker&, RequestContext&);
// InitProducerId with a transactional id (called by handle_init_producer_id).
void handle_transactional_init_producer_id(Broker&, RequestContext&, const protocol::InitProducerIdRequest&);

void register_txn_apis(Broker&, const AddApi& add);

namespace txn_detail {
// PRODUCER_FENCED exists from these versions on (KIP-588); older clients get
// INVALID_PRODUCER_EPOCH.
inline ErrorCode for_version(ErrorCode e, int16_t version, int16_t first_fenced_version) {
  if (e == ErrorCode::kProducerFenced && version < first_fenced_version) return ErrorCode::kInvalidProducerEpoch;
  return e;
}
}  // namespace txn_detail

}  // namespace moldau::kafka
