// The key/value records of the internal topic __transaction_state, in Kafka's
// own formats (TransactionLogKey / TransactionLogValue) so that Kafka's tools
// read them. docs/transactions.md lists the layouts field by field.
//
//   key    int16 version (0), transactional_id string
//   value  int16 version; v0 (written): producer_id int64, producer_epoch
//          int16, timeout_ms int32, state int8, partitions nullable array of
//          {topic string, partition ids int32 array}, last_update_ms int64,
//          start_ms int64. v1 (read) is v0 flexible (compact lengths, tagged
//          fields: previous/next producer id, client transaction version).
// A null value is a tombstone: the transactional id is forgotten.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "txn/txn_metadata.h"

namespace moldau::txn {

constexpr int16_t kTxnKeyVersion = 0;
constexpr int16_t kTxnValueWriteVersion = 0;
constexpr int16_t kTxnValueMaxVersion = 1;
// Strings are int16-length in the non-flexible versions.
constexpr size_t kMaxRecordStringBytes = 32767;

struct TxnLogValue {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t timeout_ms = 0;
  TxnState state = TxnState::kEmpty;
  std::vector<TopicPartition> partitions;  // sorted by topic, then partition
  int64_t last_update_ms = -1;
  int64_t start_ms = -1;
  bool operator==(const TxnLogValue&) const = default;
};

// REQUIRES: transactional_id.size() <= kMaxRecordStringBytes.
Bytes encode_txn_key(std::string_view transactional_id);
Bytes encode_txn_value(const TxnLogValue& value);
// Decoders never trust a length; kCorruptMessage on short or malformed
// records and on unknown versions or states.
Result<std::string> decode_txn_key(ByteSpan bytes);
Result<TxnLogValue> decode_txn_value(ByteSpan bytes);

}  // namespace moldau::txn
