// A scripted stand-in for a broker, for connection tests: listens on
// 127.0.0.1 (an ephemeral port), reads request frames and answers each with
// what the handler returns. POSIX sockets, a thread per connection; the
// handler is called from those threads (one request at a time).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "protocol/msg/api_keys.h"

namespace moldau::cli::testing {

struct FakeRequest {
  protocol::RequestHeader header;
  Bytes body;
};

class FakeBroker {
 public:
  // Returns the bytes to send back (a whole frame, size prefix included), or
  // nullopt to send nothing.
  using Handler = std::function<std::optional<Bytes>(const FakeRequest&)>;

  explicit FakeBroker(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeBroker() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : conn_threads_) t.join();
    for (int fd : conn_fds_) ::close(fd);
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }

  // A response frame: size, ResponseHeader at the version the API uses, body.
  template <typename Msg>
  static Bytes frame(const FakeRequest& req, const Msg& msg, int16_t version) {
    ByteWriter w;
    w.i32(0);
    protocol::ResponseHeader h;
    h.correlation_id = req.header.correlation_id;
    h.encode(w, protocol::response_header_version(req.header.request_api_key, version));
    msg.encode(w, version);
    Bytes b = w.flatten();
    store_be32(b.data(), uint32_t(b.size() - 4));
    return b;
  }

 private:
  static bool read_all(int fd, uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t r = ::read(fd, p, n);
      if (r <= 0) return false;
      p += r;
      n -= size_t(r);
    }
    return true;
  }
  void serve() {
    while (!stop_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      conn_fds_.push_back(fd);
      conn_threads_.emplace_back([this, fd] { serve_connection(fd); });
    }
  }
  void serve_connection(int fd) {
    while (!stop_) {
      uint8_t size_bytes[4];
      if (!read_all(fd, size_bytes, 4)) break;
      Bytes frame(load_be32(size_bytes));
      if (!read_all(fd, frame.data(), frame.size())) break;
      FakeRequest req;
      ByteReader r(frame);
      int16_t key = int16_t(load_be16(frame.data()));
      int16_t version = int16_t(load_be16(frame.data() + 2));
      req.header.decode(r, protocol::request_header_version(key, version));
      req.body.assign(r.position(), r.position() + r.remaining());
      std::optional<Bytes> reply;
      {
        std::lock_guard lock(handler_mu_);
        ++requests_;
        reply = handler_(req);
      }
      if (reply && ::write(fd, reply->data(), reply->size()) < 0) break;
    }
    ::shutdown(fd, SHUT_RDWR);
  }

  Handler handler_;
  std::mutex handler_mu_;
  int listen_fd_ = -1;
  std::mutex mu_;
  std::vector<int> conn_fds_;  // closed by the destructor
  std::vector<std::thread> conn_threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace moldau::cli::testing
