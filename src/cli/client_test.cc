#include "cli/client.h"

#include <gtest/gtest.h>

#include "cli/fake_broker_test_util.h"
#include "protocol/msg/api_versions_request.h"
#include "protocol/msg/api_versions_response.h"
#include "protocol/msg/metadata_request.h"
#include "protocol/msg/metadata_response.h"

namespace moldau::cli {
namespace {

using testing::FakeBroker;
using testing::FakeRequest;
using protocol::api_key::kApiVersions;
using protocol::api_key::kMetadata;

TEST(ParseBootstrap, HostsPortsAndLists) {
  auto eps = parse_bootstrap("localhost:9092, 10.0.0.1:19092,broker,[::1]:9093,[fe80::1]");
  ASSERT_TRUE(eps.ok()) << eps.error().message;
  ASSERT_EQ(eps->size(), 5u);
  EXPECT_EQ((*eps)[0], (Endpoint{"localhost", 9092}));
  EXPECT_EQ((*eps)[1], (Endpoint{"10.0.0.1", 19092}));
  EXPECT_EQ((*eps)[2], (Endpoint{"broker", 9092}));
  EXPECT_EQ((*eps)[3], (Endpoint{"::1", 9093}));
  EXPECT_EQ((*eps)[4], (Endpoint{"fe80::1", 9092}));
  EXPECT_EQ((*eps)[3].to_string(), "[::1]:9093");
}

TEST(ParseBootstrap, ErrorsNameTheBadEntry) {
  for (const char* bad : {"", "a:1,,b:2", "host:", "host:0", "host:65536", "host:12x", ":9092",
                          "::1:9092", "[::1", "[::1]9092"}) {
    auto eps = parse_bootstrap(bad);
    EXPECT_FALSE(eps.ok()) << bad;
  }
  auto eps = parse_bootstrap("good:1,bad:99999");
  ASSERT_FALSE(eps.ok());
  EXPECT_NE(eps.error().message.find("'bad:99999'"), std::string::npos) << eps.error().message;
}

TEST(PickVersion, HighestCommonVersion) {
  EXPECT_EQ(pick_version({0, 12}, {0, 9}), 9);
  EXPECT_EQ(pick_version({3, 9}, {0, 13}), 9);
  EXPECT_EQ(pick_version({4, 9}, {0, 3}), -1);
  EXPECT_EQ(pick_version({0, 3}, {3, 7}), 3);
}

TEST(ClientRange, LeavesOutVersionsMarkedUnstable) {
  for (const auto& info : protocol::all_apis()) {
    auto r = client_range(info.key);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->max, info.latest_version_unstable && info.max_version > info.min_version
                          ? info.max_version - 1
                          : info.max_version)
        << info.name;
  }
  EXPECT_FALSE(client_range(9999));
}

TEST(ClusterMetadata, SortsAndConverts) {
  protocol::MetadataResponse resp;
  resp.controller_id = 2;
  resp.cluster_id = "c";
  resp.brokers.push_back({2, "b2", 9093, std::nullopt, {}});
  resp.brokers.push_back({1, "b1", 9092, std::string("r1"), {}});
  protocol::MetadataResponse::MetadataResponseTopic t;
  t.name = "zeta";
  t.partitions.push_back({0, 1, 1, 5, {1, 2}, {1}, {2}, {}});
  t.partitions.push_back({0, 0, 2, 5, {2, 1}, {2, 1}, {}, {}});
  resp.topics.push_back(t);
  t.name = "alpha";
  t.error_code = 3;
  t.partitions.clear();
  resp.topics.push_back(t);
  auto md = ClusterMetadata::from(resp);
  ASSERT_EQ(md.brokers.size(), 2u);
  EXPECT_EQ(md.brokers[0].node_id, 1);
  EXPECT_EQ(md.brokers[0].rack, "r1");
  EXPECT_EQ(md.broker(2)->host, "b2");
  EXPECT_EQ(md.broker(3), nullptr);
  ASSERT_EQ(md.topics.size(), 2u);
  EXPECT_EQ(md.topics[0].name, "alpha");
  EXPECT_EQ(md.topics[0].error, ErrorCode::kUnknownTopicOrPartition);
  const TopicInfo* zeta = md.topic("zeta");
  ASSERT_NE(zeta, nullptr);
  ASSERT_EQ(zeta->partitions.size(), 2u);
  EXPECT_EQ(zeta->partitions[0].partition, 0);
  EXPECT_EQ(zeta->partitions[0].leader, 2);
  EXPECT_EQ(zeta->partitions[1].offline, std::vector<int32_t>{2});
  EXPECT_EQ(zeta->partition(1)->leader, 1);
  EXPECT_EQ(zeta->partition(5), nullptr);
}

// ApiVersions answer listing the given ranges.
Bytes api_versions(const FakeRequest& req, int16_t version, int16_t error,
                   std::vector<std::tuple<int16_t, int16_t, int16_t>> ranges) {
  protocol::ApiVersionsResponse resp;
  resp.error_code = error;
  for (auto [k, lo, hi] : ranges) {
    protocol::ApiVersionsResponse::ApiVersion v;
    v.api_key = k;
    v.min_version = lo;
    v.max_version = hi;
    resp.api_keys.push_back(v);
  }
  return FakeBroker::frame(req, resp, version);
}

ConnectionOptions quick() {
  ConnectionOptions o;
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.request_timeout = std::chrono::milliseconds(2000);
  return o;
}

TEST(Connection, RetriesApiVersionsAtTheBrokersVersionAfterUnsupportedVersion) {
  std::vector<int16_t> asked;
  FakeBroker broker([&](const FakeRequest& req) -> std::optional<Bytes> {
    int16_t v = req.header.request_api_version;
    asked.push_back(v);
    if (v > 2)  // KIP-511: error 35 and a v0 body with our own range
      return api_versions(req, 0, 35, {{kApiVersions, 0, 2}});
    return api_versions(req, v, 0, {{kApiVersions, 0, 2}, {kMetadata, 0, 7}});
  });
  auto conn = Connection::open({"127.0.0.1", broker.port()}, quick());
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_GT(asked[0], 2);
  EXPECT_EQ(asked[1], 2);
  EXPECT_EQ((*conn)->version(kMetadata), 7);
  EXPECT_EQ((*conn)->version(kMetadata, 8), -1);
  EXPECT_EQ((*conn)->version(protocol::api_key::kProduce), -1);  // not served
}

TEST(Connection, PipelinedResponsesAreMatchedInOrder) {
  FakeBroker broker([&](const FakeRequest& req) -> std::optional<Bytes> {
    int16_t v = req.header.request_api_version;
    if (req.header.request_api_key == kApiVersions)
      return api_versions(req, v, 0, {{kApiVersions, 0, 3}, {kMetadata, 0, 12}});
    protocol::MetadataResponse resp;
    resp.controller_id = req.header.correlation_id;  // echo, to check the order
    return FakeBroker::frame(req, resp, v);
  });
  auto conn = Connection::open({"127.0.0.1", broker.port()}, quick());
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  std::vector<int32_t> ids;
  for (int i = 0; i < 3; ++i) {
    protocol::MetadataRequest req;
    auto v = send_as(**conn, req);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, 12);
  }
  EXPECT_EQ((*conn)->in_flight(), 3u);
  int32_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto reply = receive_as<protocol::MetadataResponse>(**conn);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_GT(reply->msg.controller_id, last);
    last = reply->msg.controller_id;
  }
  EXPECT_EQ((*conn)->in_flight(), 0u);
}

TEST(Connection, RefusedConnectionSaysWhatToDo) {
  uint16_t port;
  {
    FakeBroker gone([](const FakeRequest&) { return std::nullopt; });
    port = gone.port();
  }  // closed: nothing listens there now
  ClientOptions o;
  o.bootstrap = fmt::format("127.0.0.1:{}", port);
  o.connection = quick();
  auto client = Client::connect(o);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, ErrorCode::kNetworkException);
  EXPECT_EQ(client.error().message,
            fmt::format("cannot connect to 127.0.0.1:{}: connection refused. Is a broker running "
                        "there? Start one with `make run`, or pass --bootstrap-server HOST:PORT.",
                        port));
}

TEST(Connection, BootstrapListIsTriedInOrder) {
  uint16_t dead;
  {
    FakeBroker gone([](const FakeRequest&) { return std::nullopt; });
    dead = gone.port();
  }
  FakeBroker broker([&](const FakeRequest& req) -> std::optional<Bytes> {
    return api_versions(req, req.header.request_api_version, 0, {{kApiVersions, 0, 3}});
  });
  ClientOptions o;
  o.bootstrap = fmt::format("127.0.0.1:{},127.0.0.1:{}", dead, broker.port());
  o.connection = quick();
  auto client = Client::connect(o);
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto conn = (*client)->any();
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->endpoint().port, broker.port());
}

TEST(Connection, SilentBrokerTimesOut) {
  FakeBroker broker([](const FakeRequest&) { return std::nullopt; });
  auto o = quick();
  o.request_timeout = std::chrono::milliseconds(300);
  auto start = Clock::now();
  auto conn = Connection::open({"127.0.0.1", broker.port()}, o);
  auto took = Clock::now() - start;
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code, ErrorCode::kRequestTimedOut);
  EXPECT_NE(conn.error().message.find("timed out waiting for a ApiVersions response"),
            std::string::npos)
      << conn.error().message;
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(Connection, SomethingThatIsNotKafkaIsCalledOut) {
  FakeBroker http([](const FakeRequest&) -> std::optional<Bytes> {
    std::string s = "HTTP/1.1 400 Bad Request\r\n\r\n";
    return Bytes(s.begin(), s.end());
  });
  auto conn = Connection::open({"127.0.0.1", http.port()}, quick());
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.error().message.find("is that a Kafka broker"), std::string::npos)
      << conn.error().message;
}

TEST(Connection, WrongCorrelationIdBreaksTheConnection) {
  FakeBroker broker([&](const FakeRequest& req) -> std::optional<Bytes> {
    FakeRequest wrong = req;
    wrong.header.correlation_id += 100;
    return api_versions(wrong, req.header.request_api_version, 0, {{kApiVersions, 0, 3}});
  });
  auto conn = Connection::open({"127.0.0.1", broker.port()}, quick());
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.error().message.find("correlation id"), std::string::npos);
}

}  // namespace
}  // namespace moldau::cli
