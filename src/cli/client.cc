#include "cli/client.h"

#include <algorithm>
#include <charconv>

#include "cli/explain.h"
#include "cli/interrupt.h"
#include "protocol/msg/metadata_request.h"

namespace moldau::cli {

namespace {

Result<uint16_t> parse_port(std::string_view s, std::string_view entry) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535)
    return Error{ErrorCode::kInvalidRequest,
                 fmt::format("bad port in bootstrap server '{}': want HOST:PORT, PORT 1-65535",
                             entry)};
  return uint16_t(v);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<Endpoint>> parse_bootstrap(std::string_view text) {
  std::vector<Endpoint> out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view entry = trim(text.substr(0, comma));
    if (entry.empty())
      return Error{ErrorCode::kInvalidRequest,
                   "empty bootstrap server: want HOST:PORT[,HOST:PORT...]"};
    Endpoint ep;
    if (entry.front() == '[') {
      size_t close = entry.find(']');
      if (close == std::string_view::npos || close == 1)
        return Error{ErrorCode::kInvalidRequest,
                     fmt::format("bad bootstrap server '{}': an IPv6 host looks like [::1]:9092",
                                 entry)};
      ep.host = std::string(entry.substr(1, close - 1));
      std::string_view rest = entry.substr(close + 1);
      if (rest.empty()) {
        ep.port = kDefaultPort;
      } else if (rest.front() != ':') {
        return Error{ErrorCode::kInvalidRequest,
                     fmt::format("bad bootstrap server '{}': want [HOST]:PORT", entry)};
      } else {
        auto port = parse_port(rest.substr(1), entry);
        if (!port) return port.error();
        ep.port = *port;
      }
    } else {
      size_t colon = entry.rfind(':');
      if (colon != std::string_view::npos && entry.find(':') != colon)
        return Error{ErrorCode::kInvalidRequest,
                     fmt::format("bad bootstrap server '{}': put an IPv6 host in brackets, "
                                 "[::1]:9092",
                                 entry)};
      ep.host = std::string(entry.substr(0, colon));
      if (ep.host.empty())
        return Error{ErrorCode::kInvalidRequest,
                     fmt::format("bad bootstrap server '{}': no host", entry)};
      if (colon == std::string_view::npos) {
        ep.port = kDefaultPort;
      } else {
        auto port = parse_port(entry.substr(colon + 1), entry);
        if (!port) return port.error();
        ep.port = *port;
      }
    }
    out.push_back(std::move(ep));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

const PartitionInfo* TopicInfo::partition(int32_t p) const {
  for (const auto& part : partitions)
    if (part.partition == p) return &part;
  return nullptr;
}

const BrokerInfo* ClusterMetadata::broker(int32_t node_id) const {
  for (const auto& b : brokers)
    if (b.node_id == node_id) return &b;
  return nullptr;
}

const TopicInfo* ClusterMetadata::topic(std::string_view name) const {
  for (const auto& t : topics)
    if (t.name == name) return &t;
  return nullptr;
}

ClusterMetadata ClusterMetadata::from(const protocol::MetadataResponse& resp) {
  ClusterMetadata md;
  md.cluster_id = resp.cluster_id;
  md.controller_id = resp.controller_id;
  for (const auto& b : resp.brokers) md.brokers.push_back({b.node_id, b.host, b.port, b.rack});
  std::sort(md.brokers.begin(), md.brokers.end(),
            [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
  for (const auto& t : resp.topics) {
    TopicInfo ti;
    ti.name = t.name.value_or("");
    ti.topic_id = t.topic_id;
    ti.internal = t.is_internal;
    ti.error = ErrorCode(t.error_code);
    for (const auto& p : t.partitions) {
      using Ids = std::vector<int32_t>;
      ti.partitions.push_back({p.partition_index, ErrorCode(p.error_code), p.leader_id, p.leader_epoch,
                               Ids(p.replica_nodes.begin(), p.replica_nodes.end()),
                               Ids(p.isr_nodes.begin(), p.isr_nodes.end()),
                               Ids(p.offline_replicas.begin(), p.offline_replicas.end())});
    }
    std::sort(ti.partitions.begin(), ti.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    md.topics.push_back(std::move(ti));
  }
  std::sort(md.topics.begin(), md.topics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return md;
}

Result<std::unique_ptr<Client>> Client::connect(const ClientOptions& options) {
  auto endpoints = parse_bootstrap(options.bootstrap);
  if (!endpoints) return endpoints.error();
  std::unique_ptr<Client> client(new Client(options));
  client->bootstrap_ = std::move(*endpoints);
  auto conn = client->open_bootstrap();
  if (!conn) return conn.error();
  return client;
}

Result<Connection*> Client::open_bootstrap() {
  std::vector<Error> errors;
  for (const auto& ep : bootstrap_) {
    auto conn = Connection::open(ep, options_.connection);
    if (conn) {
      bootstrap_conn_ = std::move(*conn);
      return bootstrap_conn_.get();
    }
    errors.push_back(conn.error());
    if (interrupted() && options_.connection.interruptible) break;
  }
  // Connection errors get the hint; a broker that answered but refused (e.g.
  // versions) is reported as it is.
  Error first = errors.front();
  bool unreachable = std::all_of(errors.begin(), errors.end(), [](const Error& e) {
    return e.code == ErrorCode::kNetworkException || e.code == ErrorCode::kRequestTimedOut;
  });
  std::string message;
  if (errors.size() == 1) {
    message = first.message;
    if (unreachable) message += fmt::format(". {}", unreachable_hint());
  } else {
    message = "cannot connect to any bootstrap server:";
    for (const auto& e : errors) message += "\n  " + e.message;
    if (unreachable) message += fmt::format("\n{}", unreachable_hint());
  }
  return Error{first.code, message};
}

Result<Connection*> Client::any() {
  if (bootstrap_conn_ && !bootstrap_conn_->broken()) return bootstrap_conn_.get();
  for (auto& [id, conn] : nodes_)
    if (conn && !conn->broken()) return conn.get();
  return open_bootstrap();
}

Result<Connection*> Client::node(int32_t node_id) {
  auto it = nodes_.find(node_id);
  if (it != nodes_.end() && it->second && !it->second->broken()) return it->second.get();
  const BrokerInfo* b = metadata_.broker(node_id);
  if (!b)
    return Error{ErrorCode::kBrokerNotAvailable,
                 fmt::format("broker {} is not in the cluster metadata", node_id)};
  if (b->port <= 0 || b->port > 65535)
    return Error{ErrorCode::kBrokerNotAvailable,
                 fmt::format("broker {} advertises a bad port {}", node_id, b->port)};
  Endpoint ep{b->host, uint16_t(b->port)};
  auto conn = Connection::open(ep, options_.connection);
  if (!conn) {
    Error e = conn.error();
    e.message += fmt::format(
        " (broker {} advertises this address; check advertised.listeners in its config)", node_id);
    return e;
  }
  auto* raw = conn->get();
  nodes_[node_id] = std::move(*conn);
  return raw;
}

Result<Connection*> Client::controller() {
  if (metadata_.broker(metadata_.controller_id)) {
    auto conn = node(metadata_.controller_id);
    if (conn) return conn;
  }
  return any();
}

Result<ClusterMetadata> Client::metadata(const std::optional<std::vector<std::string>>& topics,
                                         bool allow_auto_topic_creation) {
  auto conn = any();
  if (!conn) return conn.error();
  protocol::MetadataRequest req;
  if (topics) {
    req.topics.emplace();
    for (const auto& name : *topics) {
      protocol::MetadataRequest::MetadataRequestTopic t;
      t.name = name;
      req.topics->push_back(std::move(t));
    }
  } else {
    req.topics = std::nullopt;
  }
  req.allow_auto_topic_creation = allow_auto_topic_creation;
  // v1 is the first version where a null topic list means "all topics".
  auto reply = call<protocol::MetadataResponse>(**conn, req, 1);
  if (!reply) return reply.error();
  if (reply->msg.error_code != 0)
    return Error{ErrorCode(reply->msg.error_code), "the broker refused the Metadata request"};
  metadata_ = ClusterMetadata::from(reply->msg);
  return metadata_;
}

}  // namespace moldau::cli
