#include "net/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "base/endian.h"

namespace moldau::net {
namespace {

// A server on an ephemeral port whose handler is supplied by the test, run on
// a background thread; a blocking client socket talks to it.
class ServerFixture : public ::testing::Test {
 protected:
  void start(FrameHandler h, ConnectionLimits limits = {}) {
    server_ = std::make_unique<Server>(io_, limits, std::move(h));
    ASSERT_TRUE(server_->listen({Listener{"PLAINTEXT", "127.0.0.1", 0}}).ok());
    port_ = server_->bound_port(0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->stop(); });
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  asio::ip::tcp::socket connect() {
    asio::ip::tcp::socket s(client_io_);
    s.connect({asio::ip::make_address("127.0.0.1"), port_});
    return s;
  }
  static void send_frame(asio::ip::tcp::socket& s, const std::string& body) {
    uint8_t size[4];
    store_be32(size, uint32_t(body.size()));
    asio::write(s, asio::buffer(size, 4));
    asio::write(s, asio::buffer(body));
  }
  static std::string read_frame(asio::ip::tcp::socket& s) {
    uint8_t size[4];
    asio::read(s, asio::buffer(size, 4));
    std::string body(load_be32(size), '\0');
    asio::read(s, asio::buffer(body.data(), body.size()));
    return body;
  }
  static bool closed_by_peer(asio::ip::tcp::socket& s) {
    uint8_t b;
    asio::error_code ec;
    s.read_some(asio::buffer(&b, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  asio::io_context io_;
  asio::io_context client_io_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

FrameHandler echo() {
  return [](const std::shared_ptr<Connection>& c, Frame f) {
    Reply r;
    r.body.raw(f.bytes->data(), f.bytes->size());
    c->reply(f.slot, std::move(r));
  };
}

TEST_F(ServerFixture, EchoesSmallAndLargeFrames) {
  start(echo());
  auto s = connect();
  send_frame(s, "hello");
  EXPECT_EQ(read_frame(s), "hello");
  std::string big(3 * kReadBufferBytes + 17, 'x');
  big[12345] = 'y';
  send_frame(s, big);
  EXPECT_EQ(read_frame(s), big);
}

// socket.send.buffer.bytes / socket.receive.buffer.bytes reach the accepted
// socket (Linux doubles what is asked for); -1 leaves the kernel's default.
int sockopt(int fd, int opt) {
  int v = 0;
  socklen_t len = sizeof v;
  return ::getsockopt(fd, SOL_SOCKET, opt, &v, &len) == 0 ? v : -2;
}

TEST_F(ServerFixture, SocketBufferSizesAreApplied) {
  ConnectionLimits limits;
  limits.send_buffer_bytes = 102400;
  limits.receive_buffer_bytes = 65536;
  start(
      [](const std::shared_ptr<Connection>& c, Frame f) {
        Reply r;
        r.body.i32(sockopt(c->native_handle(), SO_SNDBUF));
        r.body.i32(sockopt(c->native_handle(), SO_RCVBUF));
        c->reply(f.slot, std::move(r));
      },
      limits);
  auto s = connect();
  send_frame(s, "?");
  std::string got = read_frame(s);
  ASSERT_EQ(got.size(), 8u);
  const auto* p = reinterpret_cast<const uint8_t*>(got.data());
  EXPECT_EQ(int32_t(load_be32(p)), 2 * 102400);
  EXPECT_EQ(int32_t(load_be32(p + 4)), 2 * 65536);
}

TEST_F(ServerFixture, PipelinedRequestsAreAnsweredInOrderEvenWhenCompletedOutOfOrder) {
  std::vector<std::pair<std::shared_ptr<Connection>, Frame>> held;
  start([&](const std::shared_ptr<Connection>& c, Frame f) {
    held.emplace_back(c, f);
    if (held.size() == 3) {  // answer the last first
      for (int i = 2; i >= 0; --i) {
        Reply r;
        r.body.raw(held[size_t(i)].second.bytes->data(), held[size_t(i)].second.bytes->size());
        c->reply(held[size_t(i)].second.slot, std::move(r));
      }
    }
  });
  auto s = connect();
  send_frame(s, "one");
  send_frame(s, "two");
  send_frame(s, "three");
  EXPECT_EQ(read_frame(s), "one");
  EXPECT_EQ(read_frame(s), "two");
  EXPECT_EQ(read_frame(s), "three");
}

TEST_F(ServerFixture, NoResponseSlotsAreSkipped) {
  start([](const std::shared_ptr<Connection>& c, Frame f) {
    if (*f.bytes == Bytes{'q'}) return c->reply(f.slot, Reply::none());
    Reply r;
    r.body.raw(f.bytes->data(), f.bytes->size());
    c->reply(f.slot, std::move(r));
  });
  auto s = connect();
  send_frame(s, "q");
  send_frame(s, "after");
  EXPECT_EQ(read_frame(s), "after");
}

TEST_F(ServerFixture, OversizeAndNegativeFramesCloseOnlyThatConnection) {
  ConnectionLimits limits;
  limits.max_request_bytes = 1000;
  start(echo(), limits);
  auto bad = connect();
  uint8_t size[4];
  store_be32(size, 1001);
  asio::write(bad, asio::buffer(size, 4));
  EXPECT_TRUE(closed_by_peer(bad));

  auto neg = connect();
  store_be32(size, 0xffffffffu);
  asio::write(neg, asio::buffer(size, 4));
  EXPECT_TRUE(closed_by_peer(neg));

  auto good = connect();
  send_frame(good, "still serving");
  EXPECT_EQ(read_frame(good), "still serving");
}

class FileRegionTest : public ServerFixture, public ::testing::WithParamInterface<bool> {};

TEST_P(FileRegionTest, FileRegionsReachTheClientIntact) {
  char path[] = "/tmp/moldau_net_testXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string content(300000, 'f');
  content[299999] = 'z';
  ASSERT_EQ(write(fd, content.data(), content.size()), ssize_t(content.size()));
  ConnectionLimits limits;
  limits.use_sendfile = GetParam();
  start([fd](const std::shared_ptr<Connection>& c, Frame f) {
    Reply r;
    r.body.raw("head", 4);
    r.body.file(FileRegion{fd, 1, 299999, nullptr});
    r.body.raw("tail", 4);
    c->reply(f.slot, std::move(r));
  }, limits);
  auto s = connect();
  send_frame(s, "x");
  EXPECT_EQ(read_frame(s), "head" + content.substr(1) + "tail");
  close(fd);
  unlink(path);
}
INSTANTIATE_TEST_SUITE_P(SendfileAndPread, FileRegionTest, ::testing::Bool());

TEST(Listeners, ParsesKafkaSyntaxAndRejectsGarbage) {
  auto ls = parse_listeners("PLAINTEXT://127.0.0.1:9092, INTERNAL://:9093");
  ASSERT_TRUE(ls.ok());
  ASSERT_EQ(ls->size(), 2u);
  EXPECT_EQ((*ls)[0].host, "127.0.0.1");
  EXPECT_EQ((*ls)[1].port, 9093);
  EXPECT_FALSE(parse_listeners("localhost:9092").ok());
  EXPECT_FALSE(parse_listeners("PLAINTEXT://h:99999").ok());
  EXPECT_FALSE(parse_listeners("").ok());
}

}  // namespace
}  // namespace moldau::net
