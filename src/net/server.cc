#include "net/server.h"

#include <charconv>

#include "base/log.h"

namespace moldau::net {

Result<std::vector<Listener>> parse_listeners(const std::string& text) {
  std::vector<Listener> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) continue;
    auto sep = item.find("://");
    auto colon = item.rfind(':');
    if (sep == std::string::npos || colon == std::string::npos || colon < sep + 3) {
      return Error{ErrorCode::kInvalidConfig,
                   "listener '" + item + "' is not of the form NAME://HOST:PORT"};
    }
    Listener l;
    l.name = item.substr(0, sep);
    l.host = item.substr(sep + 3, colon - sep - 3);
    if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']')
      l.host = l.host.substr(1, l.host.size() - 2);
    std::string port = item.substr(colon + 1);
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p > 65535) {
      return Error{ErrorCode::kInvalidConfig, "listener '" + item + "' has a bad port '" + port + "'"};
    }
    l.port = uint16_t(p);
    out.push_back(std::move(l));
  }
  if (out.empty()) return Error{ErrorCode::kInvalidConfig, "no listener configured"};
  return out;
}

Server::Server(asio::io_context& io, ConnectionLimits limits, FrameHandler handler,
               std::function<void(uint64_t)> on_closed)
    : io_(io), limits_(limits), handler_(std::move(handler)), on_closed_(std::move(on_closed)) {}

Server::~Server() { stop(); }

Status Server::listen(const std::vector<Listener>& listeners) {
  for (const auto& l : listeners) {
    asio::error_code ec;
    auto host = l.host.empty() ? std::string("0.0.0.0") : l.host;
    asio::ip::tcp::resolver resolver(io_);
    auto results = resolver.resolve(host, std::to_string(l.port), ec);
    if (ec || results.empty()) {
      return Error{ErrorCode::kInvalidConfig,
                   "cannot resolve listener host '" + host + "': " + ec.message()};
    }
    auto ep = results.begin()->endpoint();
    auto acc = std::make_unique<asio::ip::tcp::acceptor>(io_);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error{ErrorCode::kInvalidConfig, "cannot listen on " + host + ":" +
                                                  std::to_string(l.port) + " (" + l.name +
                                                  "): " + ec.message()};
    }
    MOLDAU_LOG_INFO("listening on {}://{}:{}", l.name, host, acc->local_endpoint().port());
    acceptors_.push_back(std::move(acc));
    accept(acceptors_.size() - 1);
  }
  return {};
}

uint16_t Server::bound_port(size_t i) const {
  asio::error_code ec;
  return i < acceptors_.size() ? acceptors_[i]->local_endpoint(ec).port() : 0;
}

void Server::accept(size_t i) {
  acceptors_[i]->async_accept([this, i](const asio::error_code& ec, asio::ip::tcp::socket sock) {
    if (stopped_) return;
    if (!ec) {
      auto conn = std::make_shared<Connection>(std::move(sock), limits_, handler_,
                                               [this](Connection* c) {
                                                 if (on_closed_) on_closed_(c->id());
                                                 connections_.erase(c);
                                               });
      connections_.emplace(conn.get(), conn);
      conn->start();
    } else if (ec == asio::error::operation_aborted) {
      return;
    } else {
      MOLDAU_LOG_WARN("accept failed: {}", ec.message());
    }
    accept(i);
  });
}

void Server::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& a : acceptors_) {
    asio::error_code ec;
    a->close(ec);
  }
  auto conns = connections_;
  for (auto& [p, c] : conns) c->close("server stopping");
  connections_.clear();
}

}  // namespace moldau::net
