#include "txn/txn_coordinator.h"

#include <gtest/gtest.h>

#include "coordinator/group_coordinator.h"
#include "txn/txn_records.h"

namespace moldau::txn {
namespace {

constexpr int64_t kT0 = 1'000'000;

class TxnCoordinatorTest : public ::testing::Test {
 protected:
  TxnCoordinatorTest() : c_(config()) {
    for (int32_t p = 0; p < c_.config().num_partitions; ++p) {
      c_.begin_loading(p, 5);
      c_.complete_loading(p, kT0);
    }
  }
  static TxnConfig config() {
    TxnConfig c;
    c.num_partitions = 4;
    c.offsets_topic_num_partitions = 3;
    c.max_timeout_ms = 60000;
    c.id_expiration_ms = 100000;
    c.expiration_check_interval_ms = 10000;
    return c;
  }
  InitProducerIdResult init(const std::string& id, int64_t now = kT0, int32_t timeout = 10000) {
    InitProducerIdRequest r;
    r.transactional_id = id;
    r.timeout_ms = timeout;
    r.fresh_producer_id = next_pid_;
    auto out = c_.init_producer_id(r, now);
    if (out.error == ErrorCode::kNone && out.producer_id == next_pid_) ++next_pid_;
    return out;
  }
  TxnResult add(const std::string& id, int64_t pid, int16_t epoch, std::vector<TopicPartition> tps,
                int64_t now = kT0) {
    return c_.add_partitions(id, pid, epoch, tps, now);
  }
  const TxnMetadata& meta(const std::string& id) {
    const TxnMetadata* m = c_.find(id);
    EXPECT_NE(m, nullptr);
    return *m;
  }
  // Replays `records` into a fresh coordinator (a restart).
  static void replay_all(TxnCoordinator& into, const std::vector<TxnRecord>& records) {
    for (int32_t p = 0; p < into.config().num_partitions; ++p) into.begin_loading(p, 6);
    for (const auto& r : records) {
      std::optional<ByteSpan> v;
      if (r.value) v = ByteSpan(*r.value);
      ASSERT_TRUE(into.replay(r.partition, r.key, v));
    }
  }

  TxnCoordinator c_;
  int64_t next_pid_ = 1000;
};

TEST_F(TxnCoordinatorTest, NewIdGetsFreshProducerIdEpochZeroAndARecord) {
  auto r = init("t1");
  ASSERT_EQ(r.error, ErrorCode::kNone);
  EXPECT_EQ(r.producer_id, 1000);
  EXPECT_EQ(r.producer_epoch, 0);
  ASSERT_EQ(r.effects.records.size(), 1u);
  EXPECT_EQ(r.effects.records[0].partition, c_.partition_for("t1"));
  auto v = decode_txn_value(*r.effects.records[0].value);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state, TxnState::kEmpty);
  EXPECT_EQ(v->producer_id, 1000);
  EXPECT_EQ(meta("t1").state, TxnState::kEmpty);
}

TEST_F(TxnCoordinatorTest, NewIdWithoutFreshIdAsksForOne) {
  InitProducerIdRequest r;
  r.transactional_id = "t1";
  r.timeout_ms = 1000;
  auto out = c_.init_producer_id(r, kT0);
  EXPECT_TRUE(out.needs_producer_id);
  EXPECT_TRUE(out.effects.empty());
  EXPECT_EQ(c_.find("t1"), nullptr);
}

TEST_F(TxnCoordinatorTest, ReinitBumpsEpoch) {
  auto a = init("t1");
  auto b = init("t1");
  ASSERT_EQ(b.error, ErrorCode::kNone);
  EXPECT_EQ(b.producer_id, a.producer_id);
  EXPECT_EQ(b.producer_epoch, 1);
  EXPECT_EQ(meta("t1").last_producer_epoch, 0);
}

TEST_F(TxnCoordinatorTest, EpochExhaustedGetsNewProducerId) {
  init("t1");
  for (int i = 0; i < kMaxProducerEpoch; ++i) ASSERT_EQ(init("t1").error, ErrorCode::kNone);
  EXPECT_EQ(meta("t1").producer_epoch, kMaxProducerEpoch);
  auto r = init("t1");
  EXPECT_EQ(r.producer_id, 1001);
  EXPECT_EQ(r.producer_epoch, 0);
}

TEST_F(TxnCoordinatorTest, InitErrors) {
  EXPECT_EQ(init("").error, ErrorCode::kInvalidRequest);
  EXPECT_EQ(init("t1", kT0, 0).error, ErrorCode::kInvalidTransactionTimeout);
  EXPECT_EQ(init("t1", kT0, 60001).error, ErrorCode::kInvalidTransactionTimeout);
  c_.unload(c_.partition_for("t1"));
  EXPECT_EQ(init("t1").error, ErrorCode::kNotCoordinator);
  c_.begin_loading(c_.partition_for("t1"), 6);
  EXPECT_EQ(init("t1").error, ErrorCode::kCoordinatorLoadInProgress);
}

TEST_F(TxnCoordinatorTest, Kip360ExpectedEpochRetryAndFence) {
  auto a = init("t1");
  auto b = init("t1");  // epoch 1
  InitProducerIdRequest r;
  r.transactional_id = "t1";
  r.timeout_ms = 1000;
  r.expected_producer_id = a.producer_id;
  r.expected_producer_epoch = 0;  // the previous epoch: a retry of the bump
  auto retry = c_.init_producer_id(r, kT0);
  EXPECT_EQ(retry.error, ErrorCode::kNone);
  EXPECT_EQ(retry.producer_epoch, b.producer_epoch);
  EXPECT_TRUE(retry.effects.empty());
  r.expected_producer_epoch = 1;  // current: bump
  EXPECT_EQ(c_.init_producer_id(r, kT0).producer_epoch, 2);
  r.expected_producer_epoch = 0;  // too old now
  EXPECT_EQ(c_.init_producer_id(r, kT0).error, ErrorCode::kProducerFenced);
  r.transactional_id = "unknown";
  EXPECT_EQ(c_.init_producer_id(r, kT0).error, ErrorCode::kInvalidProducerIdMapping);
}

TEST_F(TxnCoordinatorTest, AddPartitionsStartsTransaction) {
  auto a = init("t1");
  auto r = add("t1", a.producer_id, a.producer_epoch, {{"x", 0}, {"y", 1}}, kT0 + 5);
  ASSERT_EQ(r.error, ErrorCode::kNone);
  ASSERT_EQ(r.effects.records.size(), 1u);
  const auto& m = meta("t1");
  EXPECT_EQ(m.state, TxnState::kOngoing);
  EXPECT_EQ(m.start_ms, kT0 + 5);
  EXPECT_EQ(m.partitions.size(), 2u);
  // The same partitions again: nothing to write.
  auto again = add("t1", a.producer_id, a.producer_epoch, {{"x", 0}}, kT0 + 6);
  EXPECT_EQ(again.error, ErrorCode::kNone);
  EXPECT_TRUE(again.effects.empty());
  // A new one: added, start time unchanged.
  auto more = add("t1", a.producer_id, a.producer_epoch, {{"z", 2}}, kT0 + 7);
  EXPECT_EQ(more.effects.records.size(), 1u);
  EXPECT_EQ(meta("t1").partitions.size(), 3u);
  EXPECT_EQ(meta("t1").start_ms, kT0 + 5);
}

TEST_F(TxnCoordinatorTest, AddPartitionsErrors) {
  auto a = init("t1");
  EXPECT_EQ(add("nope", a.producer_id, 0, {{"x", 0}}).error, ErrorCode::kInvalidProducerIdMapping);
  EXPECT_EQ(add("t1", a.producer_id + 1, 0, {{"x", 0}}).error, ErrorCode::kInvalidProducerIdMapping);
  EXPECT_EQ(add("t1", a.producer_id, 1, {{"x", 0}}).error, ErrorCode::kProducerFenced);
  init("t1");  // epoch 1: the old producer is fenced
  EXPECT_EQ(add("t1", a.producer_id, 0, {{"x", 0}}).error, ErrorCode::kProducerFenced);
  ASSERT_EQ(add("t1", a.producer_id, 1, {{"x", 0}}).error, ErrorCode::kNone);
  ASSERT_EQ(c_.end_txn("t1", a.producer_id, 1, true, kT0).error, ErrorCode::kNone);
  EXPECT_EQ(add("t1", a.producer_id, 1, {{"x", 0}}).error, ErrorCode::kConcurrentTransactions);
  EXPECT_EQ(add("", a.producer_id, 1, {{"x", 0}}).error, ErrorCode::kInvalidRequest);
}

TEST_F(TxnCoordinatorTest, CommitWritesPrepareThenMarkersThenComplete) {
  auto a = init("t1");
  add("t1", a.producer_id, a.producer_epoch, {{"x", 0}, {"y", 1}});
  auto e = c_.end_txn("t1", a.producer_id, a.producer_epoch, true, kT0 + 10);
  ASSERT_EQ(e.error, ErrorCode::kNone);
  ASSERT_EQ(e.effects.records.size(), 1u);
  EXPECT_EQ(decode_txn_value(*e.effects.records[0].value)->state, TxnState::kPrepareCommit);
  ASSERT_EQ(e.effects.markers.size(), 1u);
  const MarkerRequest& m = e.effects.markers[0];
  EXPECT_TRUE(m.commit);
  EXPECT_EQ(m.producer_id, a.producer_id);
  EXPECT_EQ(m.producer_epoch, a.producer_epoch);
  EXPECT_EQ(m.coordinator_epoch, 5);
  EXPECT_EQ(m.partitions, (std::vector<TopicPartition>{{"x", 0}, {"y", 1}}));
  EXPECT_EQ(meta("t1").state, TxnState::kPrepareCommit);
  // Retried EndTxn while markers are pending; abort is not allowed.
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, true, kT0).error, ErrorCode::kConcurrentTransactions);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, false, kT0).error, ErrorCode::kInvalidTxnState);
  EXPECT_EQ(init("t1").error, ErrorCode::kConcurrentTransactions);
  auto done = c_.markers_written(m, kT0 + 20);
  ASSERT_EQ(done.records.size(), 1u);
  auto v = decode_txn_value(*done.records[0].value);
  EXPECT_EQ(v->state, TxnState::kCompleteCommit);
  EXPECT_TRUE(v->partitions.empty());
  EXPECT_EQ(meta("t1").state, TxnState::kCompleteCommit);
  EXPECT_TRUE(meta("t1").partitions.empty());
  // A retried commit succeeds, an abort does not; a second markers_written is a no-op.
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, true, kT0).error, ErrorCode::kNone);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, false, kT0).error, ErrorCode::kInvalidTxnState);
  EXPECT_TRUE(c_.markers_written(m, kT0 + 30).empty());
  // The next transaction starts from CompleteCommit.
  EXPECT_EQ(add("t1", a.producer_id, a.producer_epoch, {{"z", 0}}, kT0 + 40).error, ErrorCode::kNone);
  EXPECT_EQ(meta("t1").partitions.size(), 1u);
  EXPECT_EQ(meta("t1").start_ms, kT0 + 40);
}

TEST_F(TxnCoordinatorTest, AbortPath) {
  auto a = init("t1");
  add("t1", a.producer_id, a.producer_epoch, {{"x", 0}});
  auto e = c_.end_txn("t1", a.producer_id, a.producer_epoch, false, kT0);
  ASSERT_EQ(e.error, ErrorCode::kNone);
  EXPECT_FALSE(e.effects.markers[0].commit);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, false, kT0).error, ErrorCode::kConcurrentTransactions);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, true, kT0).error, ErrorCode::kInvalidTxnState);
  c_.markers_written(e.effects.markers[0], kT0);
  EXPECT_EQ(meta("t1").state, TxnState::kCompleteAbort);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, false, kT0).error, ErrorCode::kNone);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, true, kT0).error, ErrorCode::kInvalidTxnState);
}

TEST_F(TxnCoordinatorTest, EndTxnErrors) {
  auto a = init("t1");
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, a.producer_epoch, true, kT0).error, ErrorCode::kInvalidTxnState);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id + 1, a.producer_epoch, true, kT0).error,
            ErrorCode::kInvalidProducerIdMapping);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, 3, true, kT0).error, ErrorCode::kProducerFenced);
  EXPECT_EQ(c_.end_txn("zz", 1, 0, true, kT0).error, ErrorCode::kInvalidProducerIdMapping);
}

TEST_F(TxnCoordinatorTest, InitDuringOngoingAbortsWithBumpedEpoch) {
  auto a = init("t1");
  add("t1", a.producer_id, a.producer_epoch, {{"x", 0}});
  auto r = init("t1");
  EXPECT_EQ(r.error, ErrorCode::kConcurrentTransactions);
  ASSERT_EQ(r.effects.markers.size(), 1u);
  EXPECT_FALSE(r.effects.markers[0].commit);
  EXPECT_EQ(r.effects.markers[0].producer_epoch, 1);
  EXPECT_EQ(meta("t1").state, TxnState::kPrepareAbort);
  // The old producer is fenced.
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, 0, true, kT0).error, ErrorCode::kProducerFenced);
  c_.markers_written(r.effects.markers[0], kT0);
  auto retry = init("t1");
  EXPECT_EQ(retry.error, ErrorCode::kNone);
  EXPECT_EQ(retry.producer_epoch, 2);
}

TEST_F(TxnCoordinatorTest, AddOffsetsAddsTheGroupsOffsetsPartition) {
  auto a = init("t1");
  auto r = c_.add_offsets("t1", a.producer_id, a.producer_epoch, "g", kT0);
  ASSERT_EQ(r.error, ErrorCode::kNone);
  TopicPartition tp{"__consumer_offsets", coordinator::partition_for("g", 3)};
  EXPECT_TRUE(meta("t1").partitions.count(tp));
  EXPECT_EQ(c_.add_offsets("t1", a.producer_id, a.producer_epoch, "", kT0).error, ErrorCode::kInvalidGroupId);
  EXPECT_EQ(c_.add_offsets("t1", a.producer_id, 9, "g", kT0).error, ErrorCode::kProducerFenced);
}

TEST_F(TxnCoordinatorTest, TimeoutAbortsAndFences) {
  auto a = init("t1", kT0, 5000);
  add("t1", a.producer_id, a.producer_epoch, {{"x", 0}}, kT0);
  EXPECT_EQ(c_.next_deadline_ms(), kT0 + 5000);
  EXPECT_TRUE(c_.tick(kT0 + 4999).markers.empty());
  auto fx = c_.tick(kT0 + 5000);
  ASSERT_EQ(fx.markers.size(), 1u);
  EXPECT_FALSE(fx.markers[0].commit);
  EXPECT_EQ(fx.markers[0].producer_epoch, 1);
  EXPECT_EQ(meta("t1").state, TxnState::kPrepareAbort);
  c_.markers_written(fx.markers[0], kT0 + 5001);
  EXPECT_EQ(meta("t1").state, TxnState::kCompleteAbort);
  // The producer's next request is fenced.
  EXPECT_EQ(add("t1", a.producer_id, 0, {{"x", 0}}).error, ErrorCode::kProducerFenced);
  EXPECT_EQ(c_.end_txn("t1", a.producer_id, 0, true, kT0).error, ErrorCode::kProducerFenced);
}

TEST_F(TxnCoordinatorTest, IdleIdsExpire) {
  auto a = init("t1", kT0);
  auto b = init("t2", kT0 + 50000);
  add("t2", b.producer_id, b.producer_epoch, {{"x", 0}}, kT0 + 50000);
  // Loading armed the expiration check (every 10 s here).
  EXPECT_LE(c_.next_deadline_ms().value(), kT0 + 10000);
  auto fx = c_.tick(kT0 + 100000 + 10000);
  // t1 idle for 110 s > 100 s: a tombstone; t2 is Ongoing (its timeout aborts it instead).
  bool tomb = false;
  for (const auto& r : fx.records) {
    if (!r.value && *decode_txn_key(r.key) == "t1") tomb = true;
  }
  EXPECT_TRUE(tomb);
  EXPECT_EQ(c_.find("t1"), nullptr);
  EXPECT_NE(c_.find("t2"), nullptr);
  (void)a;
}

TEST_F(TxnCoordinatorTest, LoadRestoresLastRecordAndRewritesPendingMarkers) {
  std::vector<TxnRecord> log;
  auto keep = [&log](const Effects& fx) {
    for (const auto& r : fx.records) log.push_back(r);
  };
  auto a = init("t1");
  keep(a.effects);
  keep(add("t1", a.producer_id, 0, {{"x", 0}}).effects);
  auto end = c_.end_txn("t1", a.producer_id, 0, true, kT0);
  keep(end.effects);
  auto b = init("t2");
  keep(b.effects);
  keep(add("t2", b.producer_id, 0, {{"y", 1}}).effects);
  auto c = init("t3");
  keep(c.effects);
  keep(c_.tick(kT0));
  // Crash before t1's markers: a new coordinator loads the log.
  TxnCoordinator fresh(config());
  replay_all(fresh, log);
  Effects loaded;
  for (int32_t p = 0; p < 4; ++p) loaded.append(fresh.complete_loading(p, kT0 + 1));
  ASSERT_EQ(loaded.markers.size(), 1u);
  EXPECT_EQ(loaded.markers[0].transactional_id, "t1");
  EXPECT_TRUE(loaded.markers[0].commit);
  EXPECT_EQ(loaded.markers[0].coordinator_epoch, 6);
  EXPECT_EQ(loaded.markers[0].partitions, (std::vector<TopicPartition>{{"x", 0}}));
  EXPECT_EQ(fresh.find("t2")->state, TxnState::kOngoing);
  EXPECT_EQ(fresh.find("t2")->start_ms, kT0);
  EXPECT_EQ(fresh.find("t3")->state, TxnState::kEmpty);
  auto done = fresh.markers_written(loaded.markers[0], kT0 + 2);
  EXPECT_EQ(done.records.size(), 1u);
  EXPECT_EQ(fresh.find("t1")->state, TxnState::kCompleteCommit);
  // A tombstone removes an id.
  TxnRecord tomb;
  tomb.partition = fresh.partition_for("t3");
  tomb.key = encode_txn_key("t3");
  fresh.begin_loading(tomb.partition, 7);
  replay_all(fresh, {});
  for (const auto& r : log) {
    if (r.partition == tomb.partition) {
      ASSERT_TRUE(fresh.replay(r.partition, r.key, r.value ? std::optional<ByteSpan>(*r.value) : std::nullopt));
    }
  }
  ASSERT_TRUE(fresh.replay(tomb.partition, tomb.key, std::nullopt));
  EXPECT_EQ(fresh.find("t3"), nullptr);
  EXPECT_FALSE(fresh.replay(0, Bytes{1, 2}, std::nullopt));
}

TEST_F(TxnCoordinatorTest, UnloadDropsAndIgnoresLateMarkers) {
  auto a = init("t1");
  add("t1", a.producer_id, 0, {{"x", 0}});
  auto e = c_.end_txn("t1", a.producer_id, 0, false, kT0);
  c_.unload(c_.partition_for("t1"));
  EXPECT_EQ(c_.find("t1"), nullptr);
  EXPECT_TRUE(c_.markers_written(e.effects.markers[0], kT0).empty());
}

TEST_F(TxnCoordinatorTest, DescribeAndList) {
  auto a = init("t1");
  add("t1", a.producer_id, 0, {{"x", 0}}, kT0);
  init("t2");
  auto d = c_.describe({"t1", "nope"});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].state, "Ongoing");
  EXPECT_EQ(d[0].partitions.size(), 1u);
  EXPECT_EQ(d[0].start_ms, kT0);
  EXPECT_EQ(d[1].error, ErrorCode::kTransactionalIdNotFound);
  EXPECT_EQ(c_.list({}, {}, -1, kT0).transactions.size(), 2u);
  auto ongoing = c_.list({"Ongoing", "Bogus"}, {}, -1, kT0);
  ASSERT_EQ(ongoing.transactions.size(), 1u);
  EXPECT_EQ(ongoing.transactions[0].transactional_id, "t1");
  EXPECT_EQ(ongoing.unknown_state_filters, std::vector<std::string>{"Bogus"});
  EXPECT_EQ(c_.list({}, {a.producer_id}, -1, kT0).transactions.size(), 1u);
  EXPECT_EQ(c_.list({}, {}, 1000, kT0 + 999).transactions.size(), 0u);
  EXPECT_EQ(c_.list({}, {}, 1000, kT0 + 1000).transactions.size(), 1u);
}

}  // namespace
}  // namespace moldau::txn
