// The consumer-group driver (KIP-848) over an in-memory __consumer_offsets:
// a heartbeat is answered only once its records are appended, a failed
// append answers the mapped error and reloads the partition, and a new
// broker (drivers) over the same log gets the group back, with its members
// carrying on at their epochs.
#include "kafka/groups/consumer_group_driver.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "kafka/limits.h"
#include "metadata/image.h"

namespace moldau::kafka::groups {
namespace {

namespace c = coordinator;

class MemoryLog final : public OffsetsLog {
 public:
  void append(int32_t partition, Bytes batch, std::function<void(Status)> done) override {
    if (fail_with) {
      done(Error{*fail_with, "injected"});
      return;
    }
    batches[partition].push_back(std::move(batch));
    if (async) {
      pending.push_back(std::move(done));
    } else {
      done(Status());
    }
  }
  Status read(int32_t partition, const std::function<void(const protocol::Record&)>& fn) override {
    for (const auto& b : batches[partition]) {
      auto records = protocol::decode_records(b, kMaxDecompressedBatchBytes);
      if (!records) return records.error();
      for (const auto& r : *records) fn(r);
    }
    return Status();
  }
  void flush() {
    auto p = std::move(pending);
    pending.clear();
    for (auto& d : p) d(Status());
  }
  size_t records() {
    size_t n = 0;
    for (const auto& [p, bs] : batches) {
      for (const auto& b : bs) n += protocol::decode_records(b, kMaxDecompressedBatchBytes)->size();
    }
    return n;
  }

  std::map<int32_t, std::vector<Bytes>> batches;
  std::optional<ErrorCode> fail_with;
  bool async = false;
  std::vector<std::function<void(Status)>> pending;
};

metadata::ImagePtr image() {
  metadata::ImageBuilder b(metadata::MetadataImage::empty("cluster-x"));
  int64_t offset = 0;
  auto apply = [&](const metadata::Record& r) {
    Status s = b.apply(offset++, r);
    EXPECT_TRUE(s.ok()) << s.error().message;
  };
  apply(metadata::RegisterBrokerRecord{1, {{"PLAINTEXT", "h1", 9092, metadata::SecurityProtocol::kPlaintext}}, {}});
  auto id = metadata::TopicId::from_halves(7, 11);
  apply(metadata::TopicRecord{"orders", id});
  for (int32_t p = 0; p < 4; ++p) apply(metadata::PartitionRecord{id, p, {1}, {1}, 1, 0, 0});
  return b.build();
}

class ConsumerDriverTest : public ::testing::Test {
 protected:
  ConsumerDriverTest() { start(); }

  // A broker's drivers over `log` (a restart when called again).
  void start() {
    consumer.reset();
    classic.reset();
    c::CoordinatorConfig cfg;
    cfg.offsets_topic_num_partitions = 4;
    cfg.member_id_seed = 7;
    classic = std::make_unique<GroupDriver>(io, cfg, log, [this] { return now; });
    consumer = std::make_unique<ConsumerGroupDriver>(io, c::ConsumerGroupConfig{}, *classic, [this] { return now; }, 9);
    consumer->set_topics(*img);
    for (int32_t p = 0; p < 4; ++p) classic->load(p);
    consumer->on_metadata(*img);
  }

  std::optional<c::ConsumerHeartbeatResponse> beat(const std::string& member, int32_t epoch,
                                                   std::optional<c::PartitionSet> owned = std::nullopt) {
    c::ConsumerHeartbeatRequest r;
    r.group_id = "g";
    r.member_id = member;
    r.member_epoch = epoch;
    if (epoch == 0) {
      r.rebalance_timeout_ms = 30000;
      r.subscribed_topic_names = std::vector<std::string>{"orders"};
      r.owned = c::PartitionSet{};
    } else {
      r.owned = std::move(owned);
    }
    r.client_id = "client";
    r.client_host = "/127.0.0.1";
    std::optional<c::ConsumerHeartbeatResponse> out;
    consumer->heartbeat(r, [&](const c::ConsumerHeartbeatResponse& resp) { out = resp; });
    return out;
  }

  asio::io_context io;
  MemoryLog log;
  metadata::ImagePtr img = image();
  int64_t now = 1'000'000;
  std::unique_ptr<GroupDriver> classic;
  std::unique_ptr<ConsumerGroupDriver> consumer;
};

TEST_F(ConsumerDriverTest, AnsweredOnlyOnceTheRecordsAreAppended) {
  log.async = true;
  auto first = beat("m1", 0);
  EXPECT_FALSE(first) << "answered before the append completed";
  ASSERT_EQ(log.pending.size(), 1u);  // one batch, the group's partition
  EXPECT_EQ(log.records(), 5u);
  log.flush();
  // The answer was delivered by the flush; a keep-alive appends nothing.
  log.async = false;
  auto again = beat("m1", 1, c::PartitionSet{{"orders", {0, 1, 2, 3}}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->error, ErrorCode::kNone);
  EXPECT_EQ(log.records(), 5u);
}

TEST_F(ConsumerDriverTest, ARestartKeepsTheGroupAndItsMembersCarryOn) {
  auto a = beat("a", 0);
  ASSERT_TRUE(a && a->error == ErrorCode::kNone);
  auto b = beat("b", 0);
  ASSERT_TRUE(b && b->error == ErrorCode::kNone);
  a = beat("a", a->member_epoch, a->assignment);  // revokes what b gets
  ASSERT_TRUE(a && a->error == ErrorCode::kNone);
  const c::ConsumerGroup* g = consumer->group("g");
  ASSERT_NE(g, nullptr);
  const auto image_before = g->record_image();
  const int32_t epoch = g->group_epoch();

  now += 3000;
  start();  // a new broker over the same log
  g = consumer->group("g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->record_image(), image_before);
  EXPECT_EQ(g->group_epoch(), epoch);
  EXPECT_EQ(g->member("a")->session_deadline_ms, now + c::ConsumerGroupConfig{}.session_timeout_ms);
  const size_t records = log.records();
  auto again = beat("b", b->member_epoch, b->assignment);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->error, ErrorCode::kNone);
  EXPECT_EQ(again->member_epoch, b->member_epoch);
  EXPECT_EQ(consumer->group("g")->group_epoch(), epoch);
  EXPECT_LE(log.records(), records + 1);  // at most b's current assignment

  // Deleting the (emptied) group tombstones it: the next broker has none.
  ASSERT_EQ(beat("a", -1)->error, ErrorCode::kNone);
  ASSERT_EQ(beat("b", -1)->error, ErrorCode::kNone);
  ASSERT_EQ(consumer->delete_group("g"), ErrorCode::kNone);
  start();
  EXPECT_EQ(consumer->group("g"), nullptr);
}

TEST_F(ConsumerDriverTest, AFailedAppendAnswersTheMappedErrorAndReloads) {
  auto a = beat("a", 0);
  ASSERT_TRUE(a && a->error == ErrorCode::kNone);
  log.fail_with = ErrorCode::kNotLeaderOrFollower;
  auto b = beat("b", 0);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->error, ErrorCode::kNotCoordinator);
  log.fail_with.reset();
  // Reloaded from the log: "b" never joined, "a" is as it was.
  const c::ConsumerGroup* g = consumer->group("g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->member("b"), nullptr);
  EXPECT_NE(g->member("a"), nullptr);
  EXPECT_EQ(g->group_epoch(), 1);
}

}  // namespace
}  // namespace moldau::kafka::groups
