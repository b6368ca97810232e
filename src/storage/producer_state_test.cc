// Producer state: sequence and epoch checks, duplicates, transactions, the
// LSO and aborted-transaction index, snapshots, expiry, and the Log wiring
// (rebuild after an unclean restart, truncation).
#include "storage/producer_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "storage/log_test_fixture.h"

namespace moldau::storage {
namespace {

namespace fs = std::filesystem;

ProducerBatchHeader batch(int64_t pid, int16_t epoch, int32_t seq, int32_t count = 1, int64_t ts = 1000,
                          bool txn = false) {
  ProducerBatchHeader h;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.base_sequence = seq;
  h.last_offset_delta = count - 1;
  h.max_timestamp = ts;
  h.transactional = txn;
  return h;
}

ProducerBatchHeader marker(int64_t pid, int16_t epoch, bool commit, int32_t coordinator_epoch = 0,
                           int64_t ts = 1000) {
  ProducerBatchHeader h;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.control = true;
  h.commit = commit;
  h.coordinator_epoch = coordinator_epoch;
  h.max_timestamp = ts;
  return h;
}

// A tiny log of offsets: applies batches through ProducerAppend like Log does.
struct Harness {
  ProducerStateManager state;
  int64_t next = 0;
  Result<std::optional<ProducerBatch>> add(const ProducerBatchHeader& h,
                                           AppendOrigin origin = AppendOrigin::kClient) {
    ProducerAppend a(state, origin);
    auto r = a.add(h, next);
    if (r && !*r) {
      a.commit(state);
      next += h.last_offset_delta + 1;
    }
    return r;
  }
  ErrorCode code(const ProducerBatchHeader& h) {
    auto r = add(h);
    return r ? ErrorCode::kNone : r.error().code;
  }
};

TEST(ProducerStateTest, InOrderBatchesAreAcceptedAndRemembered) {
  Harness h;
  EXPECT_EQ(h.code(batch(7, 0, 0, 3)), ErrorCode::kNone);
  EXPECT_EQ(h.code(batch(7, 0, 3, 2)), ErrorCode::kNone);
  const ProducerEntry* e = h.state.find(7);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->epoch, 0);
  ASSERT_EQ(e->batches.size(), 2u);
  EXPECT_EQ(e->batches[1], (ProducerBatch{3, 4, 3, 4, 1000}));
  EXPECT_EQ(e->last_seq(), 4);
}

TEST(ProducerStateTest, DuplicateOfAnyOfTheLastFiveReturnsTheOriginal) {
  Harness h;
  for (int i = 0; i < 7; ++i) ASSERT_EQ(h.code(batch(7, 0, i * 2, 2)), ErrorCode::kNone);
  // Batches 2..6 are remembered (5 of them); each retry gets its offsets back.
  for (int i = 2; i < 7; ++i) {
    auto r = h.add(batch(7, 0, i * 2, 2));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->has_value()) << i;
    EXPECT_EQ((*r)->first_offset, i * 2);
    EXPECT_EQ((*r)->last_offset, i * 2 + 1);
  }
  EXPECT_EQ(h.next, 14);  // nothing was appended for the duplicates
  // The oldest ones are forgotten: a retry of batch 0 is out of order.
  EXPECT_EQ(h.code(batch(7, 0, 0, 2)), ErrorCode::kOutOfOrderSequenceNumber);
  // A batch overlapping but not equal to a remembered one is no duplicate.
  EXPECT_EQ(h.code(batch(7, 0, 12, 1)), ErrorCode::kOutOfOrderSequenceNumber);
}

TEST(ProducerStateTest, GapIsOutOfOrder) {
  Harness h;
  ASSERT_EQ(h.code(batch(7, 0, 0, 5)), ErrorCode::kNone);
  EXPECT_EQ(h.code(batch(7, 0, 6)), ErrorCode::kOutOfOrderSequenceNumber);
  EXPECT_EQ(h.code(batch(7, 0, 5)), ErrorCode::kNone);
}

TEST(ProducerStateTest, OlderEpochIsRejectedNewEpochStartsAtZero) {
  Harness h;
  ASSERT_EQ(h.code(batch(7, 3, 0, 5)), ErrorCode::kNone);
  EXPECT_EQ(h.code(batch(7, 2, 5)), ErrorCode::kInvalidProducerEpoch);
  EXPECT_EQ(h.code(batch(7, 4, 5)), ErrorCode::kOutOfOrderSequenceNumber);
  EXPECT_EQ(h.code(batch(7, 4, 0)), ErrorCode::kNone);
  EXPECT_EQ(h.state.find(7)->epoch, 4);
  EXPECT_EQ(h.state.find(7)->batches.size(), 1u);  // the old epoch's batches are dropped
  EXPECT_EQ(h.code(batch(7, 3, 5)), ErrorCode::kInvalidProducerEpoch);
}

TEST(ProducerStateTest, UnknownProducerMayStartAtAnySequence) {
  // Kafka (KIP-360): a producer the partition does not know (its state
  // expired or was deleted) is accepted at any sequence.
  Harness h;
  EXPECT_EQ(h.code(batch(9, 0, 42)), ErrorCode::kNone);
  EXPECT_EQ(h.code(batch(9, 0, 43)), ErrorCode::kNone);
  EXPECT_EQ(h.code(batch(9, 0, 45)), ErrorCode::kOutOfOrderSequenceNumber);
}

TEST(ProducerStateTest, SequenceWrapsAtInt32Max) {
  Harness h;
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(increment_sequence(kMax, 1), 0);
  EXPECT_EQ(increment_sequence(kMax - 1, 3), 1);
  ASSERT_EQ(h.code(batch(7, 0, 9)), ErrorCode::kNone);  // unknown: any start
  ASSERT_EQ(h.code(batch(7, 0, 10, 5)), ErrorCode::kNone);
  // Jump close to the end through a new epoch? No: simulate with a producer at kMax-2.
  Harness w;
  ASSERT_EQ(w.code(batch(8, 0, kMax - 2, 3)), ErrorCode::kNone);  // kMax-2..kMax
  EXPECT_EQ(w.state.find(8)->last_seq(), kMax);
  EXPECT_EQ(w.code(batch(8, 0, 0, 2)), ErrorCode::kNone);
  EXPECT_EQ(w.state.find(8)->last_seq(), 1);
  // A batch spanning the wrap: kMax-1, kMax, 0, 1.
  Harness s;
  ASSERT_EQ(s.code(batch(5, 0, kMax - 1, 4)), ErrorCode::kNone);
  EXPECT_EQ(s.state.find(5)->last_seq(), 1);
  EXPECT_EQ(s.code(batch(5, 0, 2)), ErrorCode::kNone);
  auto dup = s.add(batch(5, 0, kMax - 1, 4));
  ASSERT_TRUE(dup.ok() && dup->has_value());
  EXPECT_EQ((*dup)->first_offset, 0);
}

TEST(ProducerStateTest, ProducersAreIndependent) {
  Harness h;
  ASSERT_EQ(h.code(batch(1, 0, 0)), ErrorCode::kNone);
  ASSERT_EQ(h.code(batch(2, 0, 0)), ErrorCode::kNone);
  EXPECT_EQ(h.code(batch(1, 0, 1)), ErrorCode::kNone);
  EXPECT_EQ(h.code(batch(2, 0, 1)), ErrorCode::kNone);
  EXPECT_EQ(h.state.size(), 2u);
}

TEST(ProducerStateTest, NonIdempotentBatchesAreIgnored) {
  Harness h;
  EXPECT_EQ(h.code(batch(-1, -1, -1)), ErrorCode::kNone);
  EXPECT_EQ(h.state.size(), 0u);
}

TEST(ProducerStateTest, ReplicationOriginSkipsChecks) {
  Harness h;
  ASSERT_EQ(h.code(batch(7, 3, 0)), ErrorCode::kNone);
  EXPECT_TRUE(h.add(batch(7, 3, 50), AppendOrigin::kLog).ok());
  EXPECT_EQ(h.state.find(7)->last_seq(), 50);
}

TEST(ProducerStateTest, TransactionsSetTheLsoAndAbortsAreIndexed) {
  Harness h;
  ASSERT_EQ(h.code(batch(1, 0, 0, 2, 1000, true)), ErrorCode::kNone);  // offsets 0-1
  ASSERT_EQ(h.code(batch(2, 0, 0, 1)), ErrorCode::kNone);              // offset 2, not transactional
  ASSERT_EQ(h.code(batch(3, 0, 0, 1, 1000, true)), ErrorCode::kNone);  // offset 3
  EXPECT_EQ(h.state.last_stable_offset(4), 0);
  EXPECT_EQ(h.state.find(1)->txn_first_offset, 0);
  // A non-transactional batch while the transaction is open.
  EXPECT_EQ(h.code(batch(1, 0, 2, 1)), ErrorCode::kInvalidTxnState);
  ASSERT_EQ(h.code(batch(1, 0, 2, 1, 1000, true)), ErrorCode::kNone);  // offset 4
  // Abort producer 1 (marker at 5): LSO moves to producer 3's first offset.
  ASSERT_EQ(h.add(marker(1, 0, false, 2), AppendOrigin::kCoordinator).ok(), true);
  EXPECT_EQ(h.state.last_stable_offset(6), 3);
  auto aborted = h.state.take_new_aborted();
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0], (AbortedTxn{1, 0, 5, 3}));
  EXPECT_EQ(h.state.find(1)->txn_first_offset, -1);
  EXPECT_EQ(h.state.find(1)->coordinator_epoch, 2);
  // Commit producer 3 (marker at 6): nothing open, the LSO is the HW.
  ASSERT_TRUE(h.add(marker(3, 0, true, 2), AppendOrigin::kCoordinator).ok());
  EXPECT_EQ(h.state.last_stable_offset(7), 7);
  EXPECT_TRUE(h.state.take_new_aborted().empty());
  // The index answers by range.
  h.state.add_aborted(0, aborted[0]);
  EXPECT_EQ(h.state.aborted_transactions(0, 7).size(), 1u);
  EXPECT_EQ(h.state.aborted_transactions(6, 7).size(), 0u);  // ended before 6
  EXPECT_EQ(h.state.aborted_transactions(5, 7).size(), 1u);
  EXPECT_EQ(h.state.aborted_transactions(0, 0).size(), 0u);  // starts at 0, upper exclusive
  h.state.drop_aborted_from(5);
  EXPECT_TRUE(h.state.aborted_transactions(0, 100).empty());
}

TEST(ProducerStateTest, MarkerChecksEpochsAndCoordinatorEpoch) {
  Harness h;
  ASSERT_EQ(h.code(batch(1, 2, 0, 1, 1000, true)), ErrorCode::kNone);
  auto old_epoch = h.add(marker(1, 1, false, 5), AppendOrigin::kCoordinator);
  ASSERT_FALSE(old_epoch.ok());
  EXPECT_EQ(old_epoch.error().code, ErrorCode::kInvalidProducerEpoch);
  ASSERT_TRUE(h.add(marker(1, 2, true, 5), AppendOrigin::kCoordinator).ok());
  ASSERT_EQ(h.code(batch(1, 2, 1, 1, 1000, true)), ErrorCode::kNone);
  auto fenced = h.add(marker(1, 2, true, 4), AppendOrigin::kCoordinator);
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.error().code, ErrorCode::kTransactionCoordinatorFenced);
  // An abort with a bumped epoch (a timed-out transaction) moves the epoch.
  ASSERT_TRUE(h.add(marker(1, 3, false, 5), AppendOrigin::kCoordinator).ok());
  EXPECT_EQ(h.state.find(1)->epoch, 3);
  EXPECT_EQ(h.code(batch(1, 2, 2)), ErrorCode::kInvalidProducerEpoch);
  EXPECT_EQ(h.code(batch(1, 3, 0)), ErrorCode::kNone);
}

TEST(ProducerStateTest, ExpiryDropsIdleProducersButNotOpenTransactions) {
  Harness h;
  ASSERT_EQ(h.code(batch(1, 0, 0, 1, 1000)), ErrorCode::kNone);
  ASSERT_EQ(h.code(batch(2, 0, 0, 1, 5000)), ErrorCode::kNone);
  ASSERT_EQ(h.code(batch(3, 0, 0, 1, 1000, true)), ErrorCode::kNone);
  EXPECT_EQ(h.state.remove_expired(3000, 5000), 0u);
  EXPECT_EQ(h.state.remove_expired(6000, 5000), 1u);  // producer 1 (idle 5000)
  EXPECT_EQ(h.state.find(1), nullptr);
  EXPECT_NE(h.state.find(3), nullptr);  // transaction open
  EXPECT_EQ(h.state.remove_expired(100000, 5000), 1u);
  EXPECT_EQ(h.state.size(), 1u);
  // An expired producer is unknown again: any sequence is accepted.
  EXPECT_EQ(h.code(batch(1, 0, 77)), ErrorCode::kNone);
}

TEST(ProducerStateTest, SnapshotRoundTrip) {
  Harness h;
  for (int i = 0; i < 8; ++i) ASSERT_EQ(h.code(batch(1, 2, i)), ErrorCode::kNone);
  ASSERT_EQ(h.code(batch(2, 0, 0, 3, 777, true)), ErrorCode::kNone);
  ASSERT_TRUE(h.add(marker(3, 1, true, 4), AppendOrigin::kCoordinator).ok());
  Bytes snap = h.state.encode_snapshot();
  ProducerStateManager loaded;
  ASSERT_TRUE(loaded.decode_snapshot(snap).ok());
  EXPECT_EQ(loaded.producers(), h.state.producers());
  EXPECT_EQ(loaded.ongoing(), h.state.ongoing());
  EXPECT_EQ(loaded.last_stable_offset(100), 8);
  // Every bit flip and every truncation is refused and leaves the state alone.
  for (size_t i = 0; i < snap.size(); i += 7) {
    Bytes bad = snap;
    bad[i] ^= 0x10;
    ProducerStateManager m;
    EXPECT_FALSE(m.decode_snapshot(bad).ok()) << i;
    EXPECT_EQ(m.size(), 0u);
  }
  for (size_t n : {size_t(0), size_t(5), snap.size() - 1}) {
    ProducerStateManager m;
    EXPECT_FALSE(m.decode_snapshot(ByteSpan(snap.data(), n)).ok()) << n;
  }
  // An empty state round-trips too.
  ProducerStateManager empty;
  ASSERT_TRUE(loaded.decode_snapshot(empty.encode_snapshot()).ok());
  EXPECT_EQ(loaded.size(), 0u);
}

TEST(ProducerStateTest, TxnIndexEntriesAre34Bytes) {
  AbortedTxn t{42, 100, 200, 150};
  Bytes b = encode_aborted_txn(t);
  ASSERT_EQ(b.size(), 34u);
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 0);
  Bytes two = b;
  two.insert(two.end(), b.begin(), b.end());
  two.push_back(1);  // a torn tail
  auto back = decode_aborted_txns(two);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1], t);
}

// ------------------------------------------------------------------ Log level

class LogProducerTest : public testing::LogFixture {
 protected:
  Bytes idem_batch(int64_t pid, int16_t epoch, int32_t seq, int count = 1, bool txn = false) {
    protocol::BatchOptions o;
    o.producer_id = pid;
    o.producer_epoch = epoch;
    o.base_sequence = seq;
    o.transactional = txn;
    protocol::BatchBuilder b(o);
    std::string v = "v" + std::to_string(seq);
    for (int i = 0; i < count; ++i) b.add(std::nullopt, ByteSpan(reinterpret_cast<const uint8_t*>(v.data()), v.size()), now_);
    return b.build().value();
  }
  Result<AppendResult> produce(Log& log, int64_t pid, int16_t epoch, int32_t seq, int count = 1,
                               bool txn = false) {
    Bytes b = idem_batch(pid, epoch, seq, count, txn);
    return log.append(b, 0, now_);
  }
  std::vector<std::string> files_with(const std::string& ext) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(tmp_ / "orders-3")) {
      if (e.path().extension() == ext) out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(LogProducerTest, DuplicateReturnsOriginalOffsetsAndAppendsNothing) {
  auto log = open_log();
  ASSERT_TRUE(produce(*log, 5, 0, 0, 3).ok());
  ASSERT_TRUE(produce(*log, 5, 0, 3, 2).ok());
  auto dup = produce(*log, 5, 0, 0, 3);
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->base_offset, 0);
  EXPECT_EQ(dup->last_offset, 2);
  EXPECT_EQ(log->log_end_offset(), 5);
  auto gap = produce(*log, 5, 0, 9);
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code, ErrorCode::kOutOfOrderSequenceNumber);
  EXPECT_EQ(log->log_end_offset(), 5);
}

TEST_F(LogProducerTest, UncleanRestartRebuildsStateFromTheLog) {
  config_.segment_bytes = 1024;
  {
    auto log = open_log();
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(produce(*log, 5, 0, i * 2, 2).ok()) << i;
    ASSERT_GT(log->segment_count(), 3u);
    // No close(): a SIGKILL. Snapshots exist from the rolls only.
  }
  EXPECT_FALSE(files_with(".snapshot").empty());
  auto log = open_log(false, LogCheckpoints{0, 0, 0});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_end_offset(), 120);
  for (int i = 55; i < 60; ++i) {
    auto dup = produce(*log, 5, 0, i * 2, 2);
    ASSERT_TRUE(dup.ok());
    EXPECT_TRUE(dup->duplicate) << i;
    EXPECT_EQ(dup->base_offset, i * 2);
  }
  EXPECT_EQ(produce(*log, 5, 0, 121).error().code, ErrorCode::kOutOfOrderSequenceNumber);
  EXPECT_TRUE(produce(*log, 5, 0, 120).ok());
}

TEST_F(LogProducerTest, RestartWithoutSnapshotsRescansAndCorruptSnapshotIsIgnored) {
  config_.segment_bytes = 1024;
  {
    auto log = open_log();
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(produce(*log, 5, 0, i).ok());
    ASSERT_TRUE(log->close().ok());
  }
  auto snaps = files_with(".snapshot");
  ASSERT_FALSE(snaps.empty());
  // Corrupt the newest snapshot (the clean-shutdown one): it is ignored and deleted.
  {
    std::fstream f(tmp_ / ("orders-3/" + snaps.back()), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(12);
    f.write("\x7f", 1);
  }
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    auto dup = produce(*log, 5, 0, 39);
    ASSERT_TRUE(dup.ok());
    EXPECT_TRUE(dup->duplicate);
    EXPECT_EQ(dup->base_offset, 39);
    ASSERT_TRUE(log->close().ok());
  }
  // No snapshots at all: a full rescan.
  for (const auto& s : files_with(".snapshot")) fs::remove(tmp_ / ("orders-3/" + s));
  auto log = open_log();
  ASSERT_TRUE(log);
  auto dup = produce(*log, 5, 0, 38);
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->base_offset, 38);
}

TEST_F(LogProducerTest, TransactionsMarkersLsoAndTxnIndexSurviveRestart) {
  auto log = open_log();
  ASSERT_TRUE(produce(*log, 1, 0, 0, 2, true).ok());  // 0-1
  ASSERT_TRUE(produce(*log, 2, 0, 0, 1, true).ok());  // 2
  log->set_high_watermark(log->log_end_offset());
  EXPECT_EQ(log->last_stable_offset(), 0);
  auto m = log->append_control(1, 0, 7, false, 0, now_);  // abort at 3
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->base_offset, 3);
  log->set_high_watermark(log->log_end_offset());
  EXPECT_EQ(log->last_stable_offset(), 2);
  ASSERT_TRUE(log->append_control(2, 0, 7, true, 0, now_).ok());  // commit at 4
  log->set_high_watermark(log->log_end_offset());
  EXPECT_EQ(log->last_stable_offset(), 5);
  auto aborted = log->aborted_transactions(0, 5);
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0], (AbortedTxn{1, 0, 3, 2}));
  EXPECT_EQ(log->append_control(1, 0, 6, true, 0, now_).error().code, ErrorCode::kTransactionCoordinatorFenced);
  EXPECT_EQ(files_with(".txnindex").size(), 1u);
  // The marker is a real control batch.
  auto r = log->read(3, 1 << 20, 4, true);
  ASSERT_TRUE(r.ok());
  Bytes bytes = read_bytes(*r);
  protocol::BatchHeaderView v(bytes.data());
  EXPECT_TRUE(v.control());
  EXPECT_TRUE(v.transactional());
  EXPECT_EQ(v.producer_id(), 1);
  log.reset();  // unclean
  log = open_log(false, LogCheckpoints{0, 0, 5});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->last_stable_offset(), 5);
  EXPECT_EQ(log->aborted_transactions(0, 5).size(), 1u);
  // An open transaction survives a restart too.
  ASSERT_TRUE(produce(*log, 3, 0, 0, 1, true).ok());  // 5
  log->set_high_watermark(log->log_end_offset());
  ASSERT_TRUE(log->close().ok());
  log = open_log(true, LogCheckpoints{6, 0, 6});
  EXPECT_EQ(log->last_stable_offset(), 5);
  // Truncation below the marker forgets the abort.
  ASSERT_TRUE(log->truncate_to(3).ok());
  EXPECT_TRUE(log->aborted_transactions(0, 100).empty());
  EXPECT_EQ(log->producer_state().find(1)->txn_first_offset, 0);
}

TEST_F(LogProducerTest, SnapshotsAreDeletedWithTheirSegments) {
  config_.segment_bytes = 1024;
  config_.retention_bytes = 2048;
  auto log = open_log();
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(produce(*log, 5, 0, i, 1).ok());
  log->set_high_watermark(log->log_end_offset());
  size_t before = files_with(".snapshot").size();
  ASSERT_GT(before, 3u);
  auto n = log->apply_retention(now_);
  ASSERT_TRUE(n.ok());
  ASSERT_GT(*n, 0u);
  for (const auto& s : files_with(".snapshot")) {
    EXPECT_GE(std::stoll(s.substr(0, 20)), log->log_start_offset()) << s;
  }
}

TEST_F(LogProducerTest, ExpiryOnTheRetentionTick) {
  config_.producer_id_expiration_ms = 1000;
  auto log = open_log();
  ASSERT_TRUE(produce(*log, 5, 0, 0).ok());
  EXPECT_EQ(log->producer_state().size(), 1u);
  ASSERT_TRUE(log->apply_retention(now_ + 500).ok());
  EXPECT_EQ(log->producer_state().size(), 1u);
  ASSERT_TRUE(log->apply_retention(now_ + 1000).ok());
  EXPECT_EQ(log->producer_state().size(), 0u);
}

}  // namespace
}  // namespace moldau::storage
