// One client connection: size-prefixed framing, pipelined requests answered in
// order, bounded in-flight work, zero-copy writes of file regions.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "net/limits.h"

namespace moldau::net {

class Connection;

// A request frame (without its 4-byte size) and the slot its answer goes to.
struct Frame {
  std::shared_ptr<Bytes> bytes;  // shared so decoded views can outlive the call
  uint64_t slot = 0;
};

// What a handler gives back for one frame.
struct Reply {
  enum class Kind { kResponse, kNoResponse, kClose } kind = Kind::kResponse;
  ByteWriter body;  // the response *without* the 4-byte size prefix
  static Reply none() { Reply r; r.kind = Kind::kNoResponse; return r; }
  static Reply close() { Reply r; r.kind = Kind::kClose; return r; }
};

// Called on the event loop for each complete frame. The handler answers by
// calling conn->reply(frame.slot, ...) now or later, exactly once.
using FrameHandler = std::function<void(const std::shared_ptr<Connection>&, Frame)>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, ConnectionLimits limits, FrameHandler handler,
             std::function<void(Connection*)> on_closed);
  ~Connection();

  void start();
  // Fills the answer for `slot`; answers go out in slot order.
  void reply(uint64_t slot, Reply r);
  // Closes at once, dropping unsent answers.
  void close(const char* why);

  const std::string& peer() const { return peer_; }
  uint64_t id() const { return id_; }
  bool closed() const { return closed_; }
  // The socket's descriptor, for inspection (tests, diagnostics) only.
  int native_handle() { return socket_.native_handle(); }
  // Opaque per-connection state owned by the layer above (e.g. fetch sessions).
  std::shared_ptr<void>& user_state() { return user_state_; }

 private:
  struct Slot {
    uint64_t id;
    std::optional<Reply> reply;
  };

  void read_more();
  void on_read(size_t n);
  void parse_frames();
  void read_large_frame_rest();
  bool can_read() const;
  void pump_writes();
  // Writes what it can without blocking; returns false when the socket is full.
  bool write_front();
  void wait_writable();

  asio::ip::tcp::socket socket_;
  ConnectionLimits limits_;
  FrameHandler handler_;
  std::function<void(Connection*)> on_closed_;
  std::string peer_;
  uint64_t id_;

  Bytes rbuf_;
  size_t rbuf_start_ = 0, rbuf_end_ = 0;
  std::shared_ptr<Bytes> large_;  // a frame being read straight into its buffer
  size_t large_have_ = 0;
  bool reading_ = false;

  std::deque<Slot> slots_;
  uint64_t next_slot_ = 0;
  size_t buffered_reply_bytes_ = 0;

  // Progress through the front reply's chunks.
  std::vector<ByteWriter::Chunk> out_chunks_;
  size_t out_chunk_ = 0;
  size_t out_chunk_off_ = 0;
  uint8_t out_size_prefix_[4];
  bool out_prefix_done_ = false;
  bool writing_ = false;
  bool waiting_writable_ = false;
  bool close_after_write_ = false;

  bool closed_ = false;
  std::shared_ptr<void> user_state_;
};

}  // namespace moldau::net
