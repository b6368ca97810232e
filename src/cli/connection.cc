#include "cli/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <asio.hpp>
#include <deque>
#include <functional>
#include <map>

#include "cli/interrupt.h"
#include "protocol/msg/api_keys.h"
#include "protocol/msg/api_versions_request.h"
#include "protocol/msg/api_versions_response.h"

#ifndef MOLDAU_CLI_VERSION
#define MOLDAU_CLI_VERSION "0.0.0"
#endif

namespace moldau::cli {

namespace {

// How often a wait wakes up to look at the interrupt flag.
constexpr auto kInterruptPoll = std::chrono::milliseconds(100);

std::string api_name(int16_t key) {
  const auto* info = protocol::api_info(key);
  return info ? info->name : fmt::format("API {}", key);
}

// Words for the socket errors a person meets when pointing the CLI at the
// wrong place; asio's own message otherwise.
std::string describe(const std::error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again)
    return "unknown host";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::network_unreachable) return "network unreachable";
  if (ec == asio::error::connection_reset) return "connection reset by the broker";
  if (ec == asio::error::eof) return "connection closed by the broker";
  if (ec == asio::error::broken_pipe) return "connection closed by the broker (broken pipe)";
  return ec.message();
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::optional<ApiRange> client_range(int16_t key) {
  const auto* info = protocol::api_info(key);
  if (!info) return std::nullopt;
  ApiRange r{info->min_version, info->max_version};
  if (info->latest_version_unstable && r.max > r.min) --r.max;
  return r;
}

int16_t pick_version(ApiRange ours, ApiRange theirs) {
  int16_t hi = std::min(ours.max, theirs.max);
  int16_t lo = std::max(ours.min, theirs.min);
  return hi >= lo ? hi : int16_t(-1);
}

struct Pending {
  int32_t correlation_id;
  int16_t api_key;
  int16_t version;
};

struct Connection::Impl {
  Endpoint endpoint;
  ConnectionOptions options;
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  std::map<int16_t, ApiRange> broker_apis;
  std::deque<Pending> pending;
  int32_t next_correlation_id = 1;
  bool broken = false;

  // Runs handlers until `done` or the deadline. On a timeout or an interrupt
  // calls `cancel` and runs the cancelled handlers to completion, so nothing
  // refers to the caller's stack afterwards, and breaks the connection.
  Status wait(const bool& done, Clock::time_point deadline, const std::function<void()>& cancel,
              std::string_view what) {
    while (!done) {
      auto now = Clock::now();
      bool timed_out = now >= deadline;
      bool stop = options.interruptible && interrupted();
      if (timed_out || stop) {
        cancel();
        io.restart();
        io.run();
        break_connection();
        if (stop) return Error{ErrorCode::kNetworkException, "interrupted"};
        return Error{ErrorCode::kRequestTimedOut,
                     fmt::format("timed out {} {}", what, endpoint.to_string())};
      }
      io.restart();
      io.run_one_for(std::min<Clock::duration>(deadline - now, kInterruptPoll));
    }
    return {};
  }

  void break_connection() {
    broken = true;
    std::error_code ignored;
    socket.close(ignored);
  }

  Status connect() {
    auto deadline = Clock::now() + options.connect_timeout;
    asio::ip::tcp::resolver resolver(io);
    bool done = false;
    std::error_code ec;
    asio::ip::tcp::resolver::results_type results;
    resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                           [&](const std::error_code& e, asio::ip::tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                             done = true;
                           });
    if (auto st = wait(done, deadline, [&] { resolver.cancel(); }, "resolving"); !st) {
      if (st.error().code == ErrorCode::kRequestTimedOut)
        return cannot_connect(fmt::format("no address for the host within {} ms",
                                          options.connect_timeout.count()),
                              ErrorCode::kRequestTimedOut);
      return st;
    }
    if (ec) return cannot_connect(describe(ec));

    done = false;
    asio::async_connect(socket, results, [&](const std::error_code& e, const auto&) {
      ec = e;
      done = true;
    });
    if (auto st = wait(done, deadline, [&] { break_connection(); }, "connecting to"); !st) {
      if (st.error().code == ErrorCode::kRequestTimedOut)
        return cannot_connect(fmt::format("no answer within {} ms", options.connect_timeout.count()),
                              ErrorCode::kRequestTimedOut);
      return st;
    }
    if (ec) return cannot_connect(describe(ec));
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    return {};
  }

  Error cannot_connect(std::string why, ErrorCode code = ErrorCode::kNetworkException) {
    broken = true;
    return Error{code, fmt::format("cannot connect to {}: {}", endpoint.to_string(), why)};
  }

  Result<int32_t> send(int16_t key, int16_t version, const ByteWriter& body, bool expect_response) {
    if (broken) return Error{ErrorCode::kNetworkException, fmt::format("the connection to {} is closed", endpoint.to_string())};
    protocol::RequestHeader header;
    header.request_api_key = key;
    header.request_api_version = version;
    header.correlation_id = next_correlation_id++;
    header.client_id = options.client_id;
    ByteWriter head;
    head.i32(0);  // size, filled in below
    header.encode(head, protocol::request_header_version(key, version));
    uint32_t size = uint32_t(head.size() - 4 + body.size());
    store_be32(head.buffer().data(), size);

    std::vector<asio::const_buffer> buffers;
    buffers.emplace_back(head.buffer().data(), head.buffer().size());
    for (const auto& c : body.chunks()) {
      if (c.kind == ByteWriter::Chunk::Kind::kOwned)
        buffers.emplace_back(body.buffer().data() + c.begin, c.end - c.begin);
      else if (c.kind == ByteWriter::Chunk::Kind::kBorrowed)
        buffers.emplace_back(c.borrowed.data(), c.borrowed.size());
      else
        return Error{ErrorCode::kInvalidRequest, "file chunks cannot be sent by the client"};
    }
    bool done = false;
    std::error_code ec;
    asio::async_write(socket, buffers, [&](const std::error_code& e, size_t) {
      ec = e;
      done = true;
    });
    auto deadline = Clock::now() + options.request_timeout;
    if (auto st = wait(done, deadline, [&] { break_connection(); },
                       fmt::format("sending a {} request to", api_name(key)));
        !st)
      return st.error();
    if (ec) {
      break_connection();
      return Error{ErrorCode::kNetworkException,
                   fmt::format("sending a {} request to {} failed: {}", api_name(key),
                               endpoint.to_string(), describe(ec))};
    }
    if (expect_response) pending.push_back({header.correlation_id, key, version});
    return header.correlation_id;
  }

  Result<Frame> receive(Clock::time_point deadline) {
    if (pending.empty()) return Error{ErrorCode::kInvalidRequest, "no request in flight"};
    if (broken) return Error{ErrorCode::kNetworkException, fmt::format("the connection to {} is closed", endpoint.to_string())};
    Pending p = pending.front();
    std::string what = fmt::format("waiting for a {} response from", api_name(p.api_key));
    uint8_t size_bytes[4];
    bool done = false;
    std::error_code ec;
    asio::async_read(socket, asio::buffer(size_bytes, 4), [&](const std::error_code& e, size_t) {
      ec = e;
      done = true;
    });
    if (auto st = wait(done, deadline, [&] { break_connection(); }, what); !st) return st.error();
    if (ec) return lost(p, ec);
    int32_t size = int32_t(load_be32(size_bytes));
    if (size < 4 || size_t(size) > options.max_response_bytes) {
      break_connection();
      return Error{ErrorCode::kNetworkException,
                   fmt::format("{} sent a frame of {} bytes (the limit is {}): is that a Kafka "
                               "broker, and is it the right port?",
                               endpoint.to_string(), size, options.max_response_bytes)};
    }
    auto bytes = std::make_shared<Bytes>(size_t(size));
    done = false;
    asio::async_read(socket, asio::buffer(*bytes), [&](const std::error_code& e, size_t) {
      ec = e;
      done = true;
    });
    if (auto st = wait(done, deadline, [&] { break_connection(); }, what); !st) return st.error();
    if (ec) return lost(p, ec);
    pending.pop_front();

    ByteReader r(*bytes);
    protocol::ResponseHeader header;
    if (!header.decode(r, protocol::response_header_version(p.api_key, p.version))) {
      break_connection();
      return Error{ErrorCode::kCorruptMessage,
                   fmt::format("{} sent a malformed {} response header", endpoint.to_string(),
                               api_name(p.api_key))};
    }
    if (header.correlation_id != p.correlation_id) {
      break_connection();
      return Error{ErrorCode::kCorruptMessage,
                   fmt::format("{} answered correlation id {} where {} was expected",
                               endpoint.to_string(), header.correlation_id, p.correlation_id)};
    }
    Frame f;
    f.body_offset = bytes->size() - r.remaining();
    f.bytes = std::move(bytes);
    f.api_key = p.api_key;
    f.version = p.version;
    return f;
  }

  Error lost(const Pending& p, const std::error_code& ec) {
    break_connection();
    return Error{ErrorCode::kNetworkException,
                 fmt::format("lost the connection to {} while waiting for a {} response: {} "
                             "(the broker may have stopped or refused the request; its log says why)",
                             endpoint.to_string(), api_name(p.api_key), describe(ec))};
  }

  // ApiVersions at our highest version; a broker that does not know it answers
  // UNSUPPORTED_VERSION with a v0 body that still lists its own ApiVersions
  // range (KIP-511), and we ask again at a version it knows.
  Status negotiate() {
    auto ours = client_range(protocol::api_key::kApiVersions);
    if (!ours) return Error{ErrorCode::kUnsupportedVersion, "no ApiVersions schema"};
    int16_t version = ours->max;
    for (int attempt = 0; attempt < 2; ++attempt) {
      protocol::ApiVersionsRequest req;
      req.client_software_name = "moldau-cli";
      req.client_software_version = MOLDAU_CLI_VERSION;
      ByteWriter body;
      req.encode(body, version);
      auto sent = send(protocol::api_key::kApiVersions, version, body, true);
      if (!sent) return sent.error();
      auto frame = receive(Clock::now() + options.request_timeout);
      if (!frame) return frame.error();
      ByteReader peek = frame->body();
      int16_t error_code = peek.i16();
      protocol::ApiVersionsResponse resp;
      ByteReader r = frame->body();
      int16_t decode_version = error_code == wire(ErrorCode::kUnsupportedVersion) ? 0 : version;
      if (!resp.decode(r, decode_version)) {
        break_connection();
        return Error{ErrorCode::kNetworkException,
                     fmt::format("{} did not answer ApiVersions like a Kafka broker: is it the "
                                 "right port?",
                                 endpoint.to_string())};
      }
      for (const auto& a : resp.api_keys) broker_apis[a.api_key] = ApiRange{a.min_version, a.max_version};
      if (resp.error_code == 0) return {};
      if (resp.error_code != wire(ErrorCode::kUnsupportedVersion)) break;
      auto it = broker_apis.find(protocol::api_key::kApiVersions);
      if (it == broker_apis.end()) break;
      version = pick_version(*ours, it->second);
      if (version < 0) break;
    }
    break_connection();
    return Error{ErrorCode::kUnsupportedVersion,
                 fmt::format("{} refused every ApiVersions version this CLI speaks",
                             endpoint.to_string())};
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::open(const Endpoint& endpoint,
                                                     const ConnectionOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->endpoint = endpoint;
  impl->options = options;
  if (auto st = impl->connect(); !st) return st.error();
  if (auto st = impl->negotiate(); !st) return st.error();
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

const Endpoint& Connection::endpoint() const { return impl_->endpoint; }
const ConnectionOptions& Connection::options() const { return impl_->options; }

std::optional<ApiRange> Connection::broker_range(int16_t key) const {
  auto it = impl_->broker_apis.find(key);
  if (it == impl_->broker_apis.end()) return std::nullopt;
  return it->second;
}

int16_t Connection::version(int16_t key, int16_t min_version, int16_t max_version) const {
  auto ours = client_range(key);
  auto theirs = broker_range(key);
  if (!ours || !theirs) return -1;
  ours->min = std::max(ours->min, min_version);
  ours->max = std::min(ours->max, max_version);
  return pick_version(*ours, *theirs);
}

Result<int32_t> Connection::send(int16_t key, int16_t version, const ByteWriter& body,
                                 bool expect_response) {
  return impl_->send(key, version, body, expect_response);
}

Result<Frame> Connection::receive() {
  return impl_->receive(Clock::now() + impl_->options.request_timeout);
}
Result<Frame> Connection::receive(Clock::time_point deadline) { return impl_->receive(deadline); }

size_t Connection::in_flight() const { return impl_->pending.size(); }

bool Connection::readable() {
  if (impl_->broken) return false;
  std::error_code ec;
  return impl_->socket.available(ec) > 0 && !ec;
}

bool Connection::broken() const { return impl_->broken; }

}  // namespace moldau::cli
