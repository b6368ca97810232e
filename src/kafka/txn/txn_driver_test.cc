// The transaction driver over an in-memory __transaction_state and a fake
// marker writer: answers come only after the records are appended, markers
// follow the Prepare record and the Complete record follows the markers,
// failed markers are retried, a failed append answers the mapped error, and
// a new driver over the same log (a restart after a crash between the
// decision and the markers) writes the markers and completes the transaction.
#include "kafka/txn/txn_driver.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "kafka/limits.h"
#include "txn/txn_records.h"

namespace moldau::kafka::txn {
namespace {

class MemoryLog final : public groups::OffsetsLog {
 public:
  void append(int32_t partition, Bytes batch, std::function<void(Status)> done) override {
    if (fail_with) {
      done(Error{*fail_with, "injected"});
      return;
    }
    batches[partition].push_back(std::move(batch));
    done(Status());
  }
  Status read(int32_t partition, const std::function<void(const protocol::Record&)>& fn) override {
    for (const auto& b : batches[partition]) {
      auto records = protocol::decode_records(b, kMaxDecompressedBatchBytes);
      if (!records) return records.error();
      for (const auto& r : *records) fn(r);
    }
    return Status();
  }
  // The states written for `id`, in order.
  std::vector<t::TxnState> states(const std::string& id) {
    std::vector<t::TxnState> out;
    for (auto& [p, bs] : batches) {
      for (const auto& b : bs) {
        for (const auto& r : *protocol::decode_records(b, kMaxDecompressedBatchBytes)) {
          if (*t::decode_txn_key(*r.key) != id || !r.value) continue;
          out.push_back(t::decode_txn_value(*r.value)->state);
        }
      }
    }
    return out;
  }
  std::map<int32_t, std::vector<Bytes>> batches;
  std::optional<ErrorCode> fail_with;
};

struct Marker {
  t::TopicPartition tp;
  int64_t producer_id;
  int16_t epoch;
  bool commit;
};

class TxnDriverTest : public ::testing::Test {
 protected:
  TxnDriverTest() { make_driver(); }

  void make_driver() {
    driver_.reset();
    t::TxnConfig cfg;
    cfg.num_partitions = 2;
    driver_ = std::make_unique<TxnDriver>(
        io_, cfg, log_,
        [this](const t::TopicPartition& tp, const t::MarkerRequest& m) -> Status {
          if (fail_markers_) return Error{ErrorCode::kNotLeaderOrFollower, "injected"};
          // Every record of the log must be there before any marker.
          markers_.push_back({tp, m.producer_id, m.producer_epoch, m.commit});
          return Status();
        },
        [this](std::function<void(Result<int64_t>)> done) { done(next_pid_++); }, [this] { return now_; });
    for (int32_t p = 0; p < 2; ++p) driver_->load(p, 3);
  }

  t::InitProducerIdResult init(const std::string& id) {
    t::InitProducerIdRequest r;
    r.transactional_id = id;
    r.timeout_ms = 10000;
    std::optional<t::InitProducerIdResult> out;
    driver_->init_producer_id(r, [&](t::InitProducerIdResult res) { out = std::move(res); });
    EXPECT_TRUE(out.has_value());
    return *out;
  }
  ErrorCode add(const std::string& id, int64_t pid, int16_t epoch, std::vector<t::TopicPartition> tps) {
    std::optional<ErrorCode> out;
    driver_->add_partitions(id, pid, epoch, tps, [&](ErrorCode e) { out = e; });
    return out.value_or(ErrorCode::kUnknownServerError);
  }
  ErrorCode end(const std::string& id, int64_t pid, int16_t epoch, bool commit) {
    std::optional<ErrorCode> out;
    driver_->end_txn(id, pid, epoch, commit, [&](ErrorCode e) { out = e; });
    return out.value_or(ErrorCode::kUnknownServerError);
  }

  asio::io_context io_;
  MemoryLog log_;
  std::unique_ptr<TxnDriver> driver_;
  std::vector<Marker> markers_;
  bool fail_markers_ = false;
  int64_t next_pid_ = 5000;
  int64_t now_ = 1'000'000;
};

TEST_F(TxnDriverTest, CommitWritesPrepareMarkersComplete) {
  auto r = init("t");
  ASSERT_EQ(r.error, ErrorCode::kNone);
  EXPECT_EQ(r.producer_id, 5000);
  ASSERT_EQ(add("t", r.producer_id, r.producer_epoch, {{"a", 0}, {"b", 1}}), ErrorCode::kNone);
  ASSERT_EQ(end("t", r.producer_id, r.producer_epoch, true), ErrorCode::kNone);
  ASSERT_EQ(markers_.size(), 2u);
  EXPECT_TRUE(markers_[0].commit);
  EXPECT_EQ(markers_[0].producer_id, 5000);
  EXPECT_EQ(log_.states("t"), (std::vector<t::TxnState>{t::TxnState::kEmpty, t::TxnState::kOngoing,
                                                        t::TxnState::kPrepareCommit, t::TxnState::kCompleteCommit}));
  EXPECT_EQ(driver_->core().find("t")->state, t::TxnState::kCompleteCommit);
  EXPECT_EQ(driver_->pending_markers(), 0u);
}

TEST_F(TxnDriverTest, FailedAppendAnswersMappedErrorAndReloads) {
  auto r = init("t");
  log_.fail_with = ErrorCode::kNotLeaderOrFollower;
  EXPECT_EQ(add("t", r.producer_id, r.producer_epoch, {{"a", 0}}), ErrorCode::kNotCoordinator);
  log_.fail_with.reset();
  // Reloaded from the log: the transaction never started.
  EXPECT_EQ(driver_->core().find("t")->state, t::TxnState::kEmpty);
}

TEST_F(TxnDriverTest, MarkersAreRetriedUntilWritten) {
  auto r = init("t");
  add("t", r.producer_id, r.producer_epoch, {{"a", 0}});
  fail_markers_ = true;
  ASSERT_EQ(end("t", r.producer_id, r.producer_epoch, false), ErrorCode::kNone);
  EXPECT_EQ(driver_->pending_markers(), 1u);
  EXPECT_EQ(driver_->core().find("t")->state, t::TxnState::kPrepareAbort);
  ASSERT_TRUE(driver_->timer_deadline_ms().has_value());
  fail_markers_ = false;
  now_ += TxnDriver::kMarkerRetryMs;
  driver_->tick();
  EXPECT_EQ(driver_->pending_markers(), 0u);
  ASSERT_EQ(markers_.size(), 1u);
  EXPECT_FALSE(markers_[0].commit);
  EXPECT_EQ(driver_->core().find("t")->state, t::TxnState::kCompleteAbort);
}

TEST_F(TxnDriverTest, RestartAfterDecisionWritesTheMarkers) {
  auto r = init("t");
  add("t", r.producer_id, r.producer_epoch, {{"a", 0}, {"a", 1}});
  fail_markers_ = true;  // the broker "crashes" before any marker is written
  ASSERT_EQ(end("t", r.producer_id, r.producer_epoch, true), ErrorCode::kNone);
  ASSERT_TRUE(markers_.empty());
  fail_markers_ = false;
  make_driver();  // a new driver over the same log: the restart
  ASSERT_EQ(markers_.size(), 2u);
  EXPECT_TRUE(markers_[0].commit && markers_[1].commit);
  EXPECT_EQ(driver_->core().find("t")->state, t::TxnState::kCompleteCommit);
  EXPECT_EQ(log_.states("t").back(), t::TxnState::kCompleteCommit);
  // The producer carries on with the same id and a bumped epoch.
  auto again = init("t");
  EXPECT_EQ(again.producer_id, r.producer_id);
  EXPECT_EQ(again.producer_epoch, r.producer_epoch + 1);
}

TEST_F(TxnDriverTest, RestartKeepsAnOngoingTransactionUntilItsTimeout) {
  auto r = init("t");
  add("t", r.producer_id, r.producer_epoch, {{"a", 0}});
  make_driver();
  EXPECT_EQ(driver_->core().find("t")->state, t::TxnState::kOngoing);
  EXPECT_TRUE(markers_.empty());
  now_ += 10000;
  driver_->tick();
  ASSERT_EQ(markers_.size(), 1u);
  EXPECT_FALSE(markers_[0].commit);
  EXPECT_EQ(markers_[0].epoch, r.producer_epoch + 1);
  EXPECT_EQ(driver_->core().find("t")->state, t::TxnState::kCompleteAbort);
}

}  // namespace
}  // namespace moldau::kafka::txn
