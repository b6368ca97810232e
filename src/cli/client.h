// A small blocking Kafka client: bootstrap, cluster metadata, and a
// connection per broker so that partition requests go to the leader
// (docs/cli.md, "The client"). Not thread-safe; one per command.
#pragma once

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cli/connection.h"
#include "protocol/msg/api_keys.h"
#include "protocol/msg/metadata_response.h"
#include "protocol/uuid.h"

namespace moldau::cli {

constexpr uint16_t kDefaultPort = 9092;
constexpr std::string_view kDefaultBootstrap = "localhost:9092";

// "host:port[,host:port...]"; a host without a port gets 9092; IPv6 hosts in
// brackets ("[::1]:9092"). Errors name the bad entry.
Result<std::vector<Endpoint>> parse_bootstrap(std::string_view text);

struct ClientOptions {
  std::string bootstrap{kDefaultBootstrap};
  ConnectionOptions connection;
};

struct BrokerInfo {
  int32_t node_id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};

struct PartitionInfo {
  int32_t partition = 0;
  ErrorCode error = ErrorCode::kNone;
  int32_t leader = -1;
  int32_t leader_epoch = -1;
  std::vector<int32_t> replicas, isr, offline;
};

struct TopicInfo {
  std::string name;
  protocol::Uuid topic_id;
  bool internal = false;
  ErrorCode error = ErrorCode::kNone;
  std::vector<PartitionInfo> partitions;  // sorted by partition
  const PartitionInfo* partition(int32_t p) const;
};

struct ClusterMetadata {
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::vector<BrokerInfo> brokers;  // sorted by node id
  std::vector<TopicInfo> topics;    // sorted by name
  const BrokerInfo* broker(int32_t node_id) const;
  const TopicInfo* topic(std::string_view name) const;

  static ClusterMetadata from(const protocol::MetadataResponse& resp);
};

// A decoded response and the frame it borrows from (Fetch records point into
// the frame).
template <typename Msg>
struct Reply {
  Msg msg;
  std::shared_ptr<Bytes> frame;
  int16_t version = 0;
};

// Encodes `req` at the highest version both sides speak (at least
// min_version) and sends it. The version comes back so the caller can read
// the response with receive_as.
template <typename Req>
Result<int16_t> send_as(Connection& conn, const Req& req, int16_t min_version = Req::kMinVersion,
                        bool expect_response = true, int16_t max_version = Req::kMaxVersion) {
  int16_t v = conn.version(Req::kApiKey, min_version, max_version);
  if (v < 0) {
    auto theirs = conn.broker_range(Req::kApiKey);
    const auto* info = protocol::api_info(Req::kApiKey);
    std::string name = info ? info->name : "?";
    if (!theirs)
      return Error{ErrorCode::kUnsupportedVersion,
                   fmt::format("the broker at {} does not serve {} requests",
                               conn.endpoint().to_string(), name)};
    return Error{ErrorCode::kUnsupportedVersion,
                 fmt::format("the broker at {} speaks {} v{}-v{}; this CLI needs v{} or later",
                             conn.endpoint().to_string(), name, theirs->min, theirs->max,
                             min_version)};
  }
  ByteWriter body;
  req.encode(body, v);
  auto sent = conn.send(Req::kApiKey, v, body, expect_response);
  if (!sent) return sent.error();
  return v;
}

template <typename Resp>
Result<Reply<Resp>> decode_as(Frame frame) {
  Reply<Resp> reply;
  reply.version = frame.version;
  ByteReader r = frame.body();
  if (!reply.msg.decode(r, frame.version)) {
    const auto* info = protocol::api_info(Resp::kApiKey);
    return Error{ErrorCode::kCorruptMessage,
                 fmt::format("malformed {} v{} response", info ? info->name : "?", frame.version)};
  }
  reply.frame = std::move(frame.bytes);
  return reply;
}

template <typename Resp>
Result<Reply<Resp>> receive_as(Connection& conn) {
  auto frame = conn.receive();
  if (!frame) return frame.error();
  return decode_as<Resp>(std::move(*frame));
}

template <typename Resp>
Result<Reply<Resp>> receive_as(Connection& conn, Clock::time_point deadline) {
  auto frame = conn.receive(deadline);
  if (!frame) return frame.error();
  return decode_as<Resp>(std::move(*frame));
}

// One request, one response.
template <typename Resp, typename Req>
Result<Reply<Resp>> call(Connection& conn, const Req& req, int16_t min_version = Req::kMinVersion) {
  static_assert(Req::kApiKey == Resp::kApiKey);
  auto v = send_as(conn, req, min_version);
  if (!v) return v.error();
  return receive_as<Resp>(conn);
}

class Client {
 public:
  // Connects to the first bootstrap server that answers (in the order given).
  // When none does, the error says what each one said and what to do.
  static Result<std::unique_ptr<Client>> connect(const ClientOptions& options);

  const ClientOptions& options() const { return options_; }

  // A connection to any broker: the bootstrap one, reopened (or another
  // known broker) if it broke.
  Result<Connection*> any();
  // The connection to broker `node_id` from the last metadata, opened on
  // first use and reopened when broken.
  Result<Connection*> node(int32_t node_id);
  // Where admin requests go: the controller named by the last metadata when
  // it is a known broker, else any().
  Result<Connection*> controller();

  // Metadata for `topics` (nullopt: every topic). Kept as last_metadata().
  Result<ClusterMetadata> metadata(const std::optional<std::vector<std::string>>& topics,
                                   bool allow_auto_topic_creation = false);
  const ClusterMetadata& last_metadata() const { return metadata_; }

 private:
  explicit Client(ClientOptions options) : options_(std::move(options)) {}
  Result<Connection*> open_bootstrap();

  ClientOptions options_;
  std::vector<Endpoint> bootstrap_;
  std::unique_ptr<Connection> bootstrap_conn_;
  std::map<int32_t, std::unique_ptr<Connection>> nodes_;
  ClusterMetadata metadata_;
};

}  // namespace moldau::cli
