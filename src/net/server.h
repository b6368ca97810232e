// Listeners and the set of live connections, all on one asio io_context.
#pragma once

#include <asio.hpp>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "net/connection.h"

namespace moldau::net {

struct Listener {
  std::string name;  // e.g. "PLAINTEXT"
  std::string host;  // "" or "0.0.0.0" = all interfaces
  uint16_t port = 9092;
};

// Parses Kafka's `listeners` syntax: "PLAINTEXT://127.0.0.1:9092,INTERNAL://:9093".
Result<std::vector<Listener>> parse_listeners(const std::string& text);

class Server {
 public:
  // `on_closed` (optional) hears the id of every connection that closes.
  Server(asio::io_context& io, ConnectionLimits limits, FrameHandler handler,
         std::function<void(uint64_t)> on_closed = nullptr);
  ~Server();

  // Binds every listener; fails with a message naming the address.
  Status listen(const std::vector<Listener>& listeners);
  // Stops accepting and closes every connection.
  void stop();
  size_t connection_count() const { return connections_.size(); }
  // The port actually bound (useful when a listener asked for port 0).
  uint16_t bound_port(size_t listener_index) const;

 private:
  void accept(size_t i);

  asio::io_context& io_;
  ConnectionLimits limits_;
  FrameHandler handler_;
  std::function<void(uint64_t)> on_closed_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  bool stopped_ = false;
};

}  // namespace moldau::net
