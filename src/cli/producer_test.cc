// The producer against a scripted broker that stores nothing: it counts the
// records of every Produce request and answers with offsets (or errors).
#include "cli/producer.h"

#include <gtest/gtest.h>

#include <mutex>

#include "cli/fake_broker_test_util.h"
#include "protocol/msg/api_versions_response.h"
#include "protocol/msg/metadata_request.h"
#include "protocol/msg/metadata_response.h"
#include "protocol/msg/produce_request.h"
#include "protocol/msg/produce_response.h"

namespace moldau::cli {
namespace {

using testing::FakeBroker;
using testing::FakeRequest;
namespace key = protocol::api_key;

// A one-broker cluster with topic "t" of `partitions` partitions.
class FakeCluster {
 public:
  explicit FakeCluster(int32_t partitions)
      : partitions_(partitions), broker_([this](const FakeRequest& r) { return handle(r); }) {}

  uint16_t port() const { return broker_.port(); }

  // Answers the next `n` Produce partitions of `partition` with `code`.
  void fail_next(int32_t partition, ErrorCode code, int n) {
    std::lock_guard lock(mu_);
    failures_[partition] = {code, n};
  }
  std::map<int32_t, int64_t> records() {
    std::lock_guard lock(mu_);
    return log_end_;
  }
  // The values written to `partition`, in log order.
  std::vector<std::string> values(int32_t partition) {
    std::lock_guard lock(mu_);
    return values_[partition];
  }
  int produce_requests() {
    std::lock_guard lock(mu_);
    return produce_requests_;
  }
  int max_batches_per_partition_in_a_request() {
    std::lock_guard lock(mu_);
    return max_batches_;
  }

 private:
  std::optional<Bytes> handle(const FakeRequest& req) {
    int16_t v = req.header.request_api_version;
    switch (req.header.request_api_key) {
      case key::kApiVersions: {
        protocol::ApiVersionsResponse resp;
        resp.api_keys.push_back({key::kApiVersions, 0, 3, {}});
        resp.api_keys.push_back({key::kMetadata, 0, 12, {}});
        resp.api_keys.push_back({key::kProduce, 0, 9, {}});
        return FakeBroker::frame(req, resp, v);
      }
      case key::kMetadata: {
        protocol::MetadataResponse resp;
        resp.brokers.push_back({1, "127.0.0.1", broker_.port(), std::nullopt, {}});
        resp.controller_id = 1;
        protocol::MetadataResponse::MetadataResponseTopic t;
        t.name = "t";
        for (int32_t p = 0; p < partitions_; ++p) t.partitions.push_back({0, p, 1, 0, {1}, {1}, {}, {}});
        resp.topics.push_back(t);
        return FakeBroker::frame(req, resp, v);
      }
      case key::kProduce: return produce(req, v);
    }
    return std::nullopt;
  }

  std::optional<Bytes> produce(const FakeRequest& req, int16_t v) {
    protocol::ProduceRequest msg;
    ByteReader r(req.body);
    EXPECT_TRUE(msg.decode(r, v));
    protocol::ProduceResponse resp;
    std::lock_guard lock(mu_);
    ++produce_requests_;
    for (const auto& td : msg.topic_data) {
      protocol::ProduceResponse::TopicProduceResponse tr;
      tr.name = td.name;
      for (const auto& pd : td.partition_data) {
        protocol::ProduceResponse::PartitionProduceResponse pr;
        pr.index = pd.index;
        protocol::BatchWalker walker(pd.records.bytes);
        int64_t count = 0;
        int batches = 0;
        while (auto b = walker.next()) {
          EXPECT_TRUE(protocol::validate_batch_header(b->bytes).ok());
          count += b->header().records_count();
          ++batches;
        }
        max_batches_ = std::max(max_batches_, batches);
        auto& f = failures_[pd.index];
        if (f.second > 0) {
          --f.second;
          pr.error_code = wire(f.first);
        } else {
          pr.base_offset = log_end_[pd.index];
          log_end_[pd.index] += count;
          protocol::BatchWalker again(pd.records.bytes);
          while (auto b = again.next()) {
            auto records = protocol::decode_records(b->bytes, 1 << 20);
            EXPECT_TRUE(records.ok());
            if (!records.ok()) continue;
            for (const auto& rec : *records)
              values_[pd.index].emplace_back(reinterpret_cast<const char*>(rec.value->data()),
                                             rec.value->size());
          }
        }
        tr.partition_responses.push_back(pr);
      }
      resp.responses.push_back(tr);
    }
    if (msg.acks == 0) return std::nullopt;
    return FakeBroker::frame(req, resp, v);
  }

  int32_t partitions_;
  std::mutex mu_;
  std::map<int32_t, std::pair<ErrorCode, int>> failures_;
  std::map<int32_t, int64_t> log_end_;
  std::map<int32_t, std::vector<std::string>> values_;
  int produce_requests_ = 0;
  int max_batches_ = 0;
  FakeBroker broker_;  // last: its thread stops before the state above goes
};

std::unique_ptr<Client> connect_to(const FakeCluster& cluster) {
  ClientOptions o;
  o.bootstrap = fmt::format("127.0.0.1:{}", cluster.port());
  o.connection.request_timeout = std::chrono::milliseconds(3000);
  auto c = Client::connect(o);
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? std::move(*c) : nullptr;
}

ByteSpan bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

ProducerConfig small_batches() {
  ProducerConfig c;
  c.batch_size_bytes = 1024;  // many seals while records are added
  c.linger = std::chrono::milliseconds(1000);
  c.max_in_flight = 3;
  c.retry_backoff = std::chrono::milliseconds(1);
  return c;
}

TEST(Producer, EveryRecordIsWrittenOnceWithManyBatchesInFlight) {
  FakeCluster cluster(3);
  auto client = connect_to(cluster);
  ASSERT_TRUE(client);
  Producer producer(*client, "t", small_batches());
  ASSERT_TRUE(producer.start().ok());
  ASSERT_EQ(producer.partition_count(), 3);
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    std::string k = "key" + std::to_string(i % 10), v = "value-" + std::to_string(i);
    ASSERT_TRUE(producer.add(std::nullopt, bytes(k), bytes(v), {}, 1000 + i).ok());
  }
  ASSERT_TRUE(producer.flush().ok());
  int64_t ok = 0;
  for (const auto& [p, o] : producer.outcomes()) {
    ok += o.records_ok;
    EXPECT_EQ(o.records_failed, 0);
    EXPECT_EQ(o.first_offset, 0);
    EXPECT_EQ(o.last_offset, o.records_ok - 1);
  }
  EXPECT_EQ(ok, n);
  EXPECT_EQ(producer.records_acknowledged(), n);
  int64_t stored = 0;
  for (auto [p, c] : cluster.records()) stored += c;
  EXPECT_EQ(stored, n);
  EXPECT_GT(cluster.produce_requests(), 10);
  EXPECT_EQ(cluster.max_batches_per_partition_in_a_request(), 1);  // Kafka's rule
}

TEST(Producer, RetriableErrorsAreRetriedAndOthersCounted) {
  FakeCluster cluster(2);
  cluster.fail_next(0, ErrorCode::kNotLeaderOrFollower, 2);
  cluster.fail_next(1, ErrorCode::kMessageTooLarge, 1);
  auto client = connect_to(cluster);
  ASSERT_TRUE(client);
  Producer producer(*client, "t", small_batches());
  ASSERT_TRUE(producer.start().ok());
  std::string v(100, 'x');
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(producer.add(0, std::nullopt, bytes(v), {}, 0).ok());
    ASSERT_TRUE(producer.add(1, std::nullopt, bytes(v), {}, 0).ok());
  }
  ASSERT_TRUE(producer.flush().ok());
  const auto& out = producer.outcomes();
  EXPECT_EQ(out.at(0).records_ok, 100);
  EXPECT_EQ(out.at(0).records_failed, 0);
  EXPECT_EQ(out.at(1).records_failed + out.at(1).records_ok, 100);
  EXPECT_GT(out.at(1).records_failed, 0);
  EXPECT_EQ(out.at(1).error, ErrorCode::kMessageTooLarge);
  auto errors = producer.take_new_errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("MESSAGE_TOO_LARGE: a batch", 0), 0u) << errors[0];
  EXPECT_TRUE(producer.take_new_errors().empty());
  EXPECT_EQ(cluster.records()[0], 100);
}

TEST(Producer, EarlyRetriableErrorsOfAFreshPartitionDoNotReorderRecords) {
  FakeCluster cluster(1);
  cluster.fail_next(0, ErrorCode::kNotLeaderOrFollower, 3);
  auto client = connect_to(cluster);
  ASSERT_TRUE(client);
  Producer producer(*client, "t", small_batches());  // many batches, 3 requests in flight
  ASSERT_TRUE(producer.start().ok());
  std::vector<std::string> sent;
  for (int i = 0; i < 2000; ++i) {
    sent.push_back(fmt::format("{:06d}", i));
    ASSERT_TRUE(producer.add(0, std::nullopt, bytes(sent.back()), {}, 0).ok());
  }
  ASSERT_TRUE(producer.flush().ok());
  EXPECT_EQ(producer.outcomes().at(0).records_ok, 2000);
  EXPECT_EQ(cluster.values(0), sent);
}

TEST(Producer, AcksZeroExpectsNoAnswer) {
  FakeCluster cluster(1);
  auto client = connect_to(cluster);
  ASSERT_TRUE(client);
  ProducerConfig c = small_batches();
  c.acks = 0;
  Producer producer(*client, "t", c);
  ASSERT_TRUE(producer.start().ok());
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(producer.add(std::nullopt, std::nullopt, bytes("abc"), {}, 0).ok());
  ASSERT_TRUE(producer.flush().ok());
  EXPECT_EQ(producer.outcomes().at(0).records_ok, 300);
  EXPECT_EQ(producer.outcomes().at(0).first_offset, -1);  // unknown without answers
}

TEST(Producer, LingeredBatchesGoOutOnPoll) {
  FakeCluster cluster(1);
  auto client = connect_to(cluster);
  ASSERT_TRUE(client);
  ProducerConfig c;
  c.linger = std::chrono::milliseconds(20);
  Producer producer(*client, "t", c);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(producer.add(std::nullopt, std::nullopt, bytes("one"), {}, 0).ok());
  ASSERT_TRUE(producer.next_linger_deadline().has_value());
  ASSERT_TRUE(producer.poll().ok());
  EXPECT_EQ(cluster.produce_requests(), 0);  // not yet lingered
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_TRUE(producer.poll().ok());
  EXPECT_FALSE(producer.next_linger_deadline().has_value());
  for (int i = 0; i < 100 && producer.records_acknowledged() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(producer.poll().ok());  // reads the answer once it is there
  }
  EXPECT_EQ(producer.records_acknowledged(), 1);
}

}  // namespace
}  // namespace moldau::cli
