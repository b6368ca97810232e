#include "txn/txn_records.h"

#include <gtest/gtest.h>

namespace moldau::txn {
namespace {

TEST(TxnRecords, KeyRoundTrip) {
  Bytes k = encode_txn_key("my-txn");
  // version 0, int16 length 6, the id: Kafka's TransactionLogKey v0.
  ASSERT_EQ(k.size(), 2u + 2u + 6u);
  EXPECT_EQ(k[0], 0);
  EXPECT_EQ(k[1], 0);
  EXPECT_EQ(k[3], 6);
  auto id = decode_txn_key(k);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "my-txn");
}

TEST(TxnRecords, ValueRoundTripGroupsPartitionsByTopic) {
  TxnLogValue v;
  v.producer_id = 4242;
  v.producer_epoch = 7;
  v.timeout_ms = 60000;
  v.state = TxnState::kPrepareCommit;
  v.partitions = {{"a", 0}, {"a", 3}, {"b", 1}};
  v.last_update_ms = 1000;
  v.start_ms = 900;
  Bytes b = encode_txn_value(v);
  // 2 version + 8 + 2 + 4 + 1 + 4 topics + ("a": 2+1 + 4 + 2*4) + ("b": 2+1 + 4 + 4) + 8 + 8
  EXPECT_EQ(b.size(), 2u + 8 + 2 + 4 + 1 + 4 + (3 + 4 + 8) + (3 + 4 + 4) + 8 + 8);
  auto d = decode_txn_value(b);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, v);
}

TEST(TxnRecords, RejectsTruncatedAndUnknown) {
  TxnLogValue v;
  v.partitions = {{"t", 1}};
  Bytes b = encode_txn_value(v);
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(decode_txn_value(ByteSpan(b.data(), n))) << n;
  }
  Bytes bad = b;
  bad[1] = 9;  // version 9
  EXPECT_FALSE(decode_txn_value(bad));
  Bytes bad_state = b;
  bad_state[2 + 8 + 2 + 4] = 42;
  EXPECT_FALSE(decode_txn_value(bad_state));
  Bytes huge = b;
  // topic count far beyond the bytes left
  huge[17] = 0x7f;
  EXPECT_FALSE(decode_txn_value(huge));
  Bytes k = encode_txn_key("x");
  k[1] = 1;
  EXPECT_FALSE(decode_txn_key(k));
  EXPECT_FALSE(decode_txn_key(ByteSpan(k.data(), 3)));
}

TEST(TxnRecords, StateNames) {
  EXPECT_EQ(state_name(TxnState::kPrepareAbort), "PrepareAbort");
  EXPECT_EQ(state_from_name("CompleteCommit"), TxnState::kCompleteCommit);
  EXPECT_FALSE(state_from_name("ongoing"));
  EXPECT_EQ(state_from_id(7), TxnState::kPrepareEpochFence);
  EXPECT_FALSE(state_from_id(8));
}

}  // namespace
}  // namespace moldau::txn
