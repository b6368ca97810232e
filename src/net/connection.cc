#include "net/connection.h"

#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "base/endian.h"
#include "base/log.h"
#include "net/frame_pool.h"

namespace moldau::net {
namespace {
std::atomic<uint64_t> g_next_connection_id{1};
constexpr int kMaxIov = 64;
// pread+write path: bytes copied per step.
constexpr size_t kCopyChunkBytes = 256 * 1024;
}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, ConnectionLimits limits, FrameHandler handler,
                       std::function<void(Connection*)> on_closed)
    : socket_(std::move(socket)),
      limits_(limits),
      handler_(std::move(handler)),
      on_closed_(std::move(on_closed)),
      id_(g_next_connection_id++) {
  asio::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (limits_.send_buffer_bytes >= 0)
    socket_.set_option(asio::socket_base::send_buffer_size(limits_.send_buffer_bytes), ec);
  if (limits_.receive_buffer_bytes >= 0)
    socket_.set_option(asio::socket_base::receive_buffer_size(limits_.receive_buffer_bytes), ec);
  socket_.native_non_blocking(true, ec);
  rbuf_.resize(kReadBufferBytes);
}

Connection::~Connection() = default;

void Connection::start() { read_more(); }

bool Connection::can_read() const {
  return !closed_ && slots_.size() < limits_.max_inflight_requests &&
         buffered_reply_bytes_ <= limits_.max_buffered_response_bytes;
}

void Connection::read_more() {
  if (closed_ || reading_ || !can_read()) return;
  reading_ = true;
  auto self = shared_from_this();
  asio::mutable_buffer buf;
  if (large_) {
    buf = asio::buffer(large_->data() + large_have_, large_->size() - large_have_);
  } else {
    if (rbuf_start_ > 0) {  // compact so a partial frame starts the buffer
      std::memmove(rbuf_.data(), rbuf_.data() + rbuf_start_, rbuf_end_ - rbuf_start_);
      rbuf_end_ -= rbuf_start_;
      rbuf_start_ = 0;
    }
    buf = asio::buffer(rbuf_.data() + rbuf_end_, rbuf_.size() - rbuf_end_);
  }
  socket_.async_read_some(buf, [self](const asio::error_code& ec, size_t n) {
    self->reading_ = false;
    if (self->closed_) return;
    if (ec) {
      self->close(ec == asio::error::eof ? "peer closed" : "read error");
      return;
    }
    self->on_read(n);
  });
}

void Connection::on_read(size_t n) {
  if (large_) {
    large_have_ += n;
    if (large_have_ == large_->size()) {
      Frame f{std::move(large_), next_slot_++};
      large_.reset();
      large_have_ = 0;
      slots_.push_back(Slot{f.slot, std::nullopt});
      handler_(shared_from_this(), std::move(f));
    }
  } else {
    rbuf_end_ += n;
  }
  parse_frames();
  read_more();
}

void Connection::parse_frames() {
  while (!closed_ && !large_ && can_read() && rbuf_end_ - rbuf_start_ >= 4) {
    int32_t size = int32_t(load_be32(rbuf_.data() + rbuf_start_));
    if (size < 0 || size > limits_.max_request_bytes) {
      MOLDAU_LOG_WARN("closing connection from {}: request size {} is outside [0, {}] "
                      "(socket.request.max.bytes)", peer_, size, limits_.max_request_bytes);
      close("bad frame size");
      return;
    }
    size_t have = rbuf_end_ - rbuf_start_ - 4;
    const uint8_t* body = rbuf_.data() + rbuf_start_ + 4;
    if (have >= size_t(size)) {
      auto bytes = std::make_shared<Bytes>(body, body + size);
      rbuf_start_ += 4 + size_t(size);
      Frame f{std::move(bytes), next_slot_++};
      slots_.push_back(Slot{f.slot, std::nullopt});
      handler_(shared_from_this(), std::move(f));
      continue;
    }
    if (4 + size_t(size) > rbuf_.size()) {
      // Too big for the read buffer: read the rest straight into its own buffer.
      large_ = FramePool::instance().acquire(size_t(size));
      std::memcpy(large_->data(), body, have);
      large_have_ = have;
      rbuf_start_ = rbuf_end_ = 0;
    }
    break;
  }
  if (rbuf_start_ == rbuf_end_) rbuf_start_ = rbuf_end_ = 0;
}

void Connection::reply(uint64_t slot, Reply r) {
  if (closed_) return;
  for (auto& s : slots_) {
    if (s.id == slot) {
      buffered_reply_bytes_ += r.body.size();
      s.reply = std::move(r);
      break;
    }
  }
  pump_writes();
}

void Connection::pump_writes() {
  if (closed_ || writing_) return;
  writing_ = true;
  while (!closed_ && !slots_.empty() && slots_.front().reply) {
    Reply& r = *slots_.front().reply;
    if (r.kind == Reply::Kind::kNoResponse) {
      slots_.pop_front();
      continue;
    }
    if (r.kind == Reply::Kind::kClose) {
      writing_ = false;
      close("handler asked to close");
      return;
    }
    if (out_chunks_.empty() && !out_prefix_done_) {
      out_chunks_ = r.body.chunks();
      out_chunk_ = 0;
      out_chunk_off_ = 0;
      store_be32(out_size_prefix_, uint32_t(r.body.size()));
    }
    if (!write_front()) {
      writing_ = false;
      if (!closed_) wait_writable();
      return;
    }
    buffered_reply_bytes_ -= r.body.size();
    out_chunks_.clear();
    out_prefix_done_ = false;
    slots_.pop_front();
  }
  writing_ = false;
  if (!closed_) {
    parse_frames();
    read_more();
  }
}

bool Connection::write_front() {
  Reply& r = *slots_.front().reply;
  const int fd = socket_.native_handle();
  for (;;) {
    // Gather the prefix and consecutive memory chunks into one writev.
    iovec iov[kMaxIov];
    int n = 0;
    if (!out_prefix_done_) {
      iov[n++] = {out_size_prefix_ + out_chunk_off_, 4 - out_chunk_off_};
    }
    size_t i = out_chunk_;
    size_t off = out_prefix_done_ ? out_chunk_off_ : 0;
    for (; i < out_chunks_.size() && n < kMaxIov; ++i, off = 0) {
      const auto& c = out_chunks_[i];
      if (c.kind == ByteWriter::Chunk::Kind::kFile) break;
      const uint8_t* base = c.kind == ByteWriter::Chunk::Kind::kOwned
                                ? r.body.buffer().data() + c.begin
                                : c.borrowed.data();
      if (c.size() > off) iov[n++] = {const_cast<uint8_t*>(base) + off, c.size() - off};
    }
    if (n > 0) {
      ssize_t w = ::writev(fd, iov, n);
      if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        if (errno == EINTR) continue;
        close("write error");
        return false;
      }
      size_t left = size_t(w);
      if (!out_prefix_done_) {
        size_t p = std::min(left, 4 - out_chunk_off_);
        out_chunk_off_ += p;
        left -= p;
        if (out_chunk_off_ < 4) continue;  // the rest of the prefix next round
        out_prefix_done_ = true;
        out_chunk_off_ = 0;
      }
      while (left > 0 && out_chunk_ < out_chunks_.size()) {
        size_t rest = out_chunks_[out_chunk_].size() - out_chunk_off_;
        if (left >= rest) {
          left -= rest;
          ++out_chunk_;
          out_chunk_off_ = 0;
        } else {
          out_chunk_off_ += left;
          left = 0;
        }
      }
      // Skip empty chunks.
      while (out_chunk_ < out_chunks_.size() && out_chunks_[out_chunk_].size() == 0) ++out_chunk_;
      continue;
    }
    if (out_chunk_ >= out_chunks_.size()) return true;
    // A file chunk at the front.
    const auto& c = out_chunks_[out_chunk_];
    int64_t remaining = c.file.length - int64_t(out_chunk_off_);
    off_t foff = off_t(c.file.offset + int64_t(out_chunk_off_));
    ssize_t w;
    if (limits_.use_sendfile) {
      w = ::sendfile(fd, c.file.fd, &foff, size_t(remaining));
    } else {
      thread_local Bytes scratch(kCopyChunkBytes);
      size_t want = std::min<size_t>(size_t(remaining), scratch.size());
      ssize_t got = ::pread(c.file.fd, scratch.data(), want, foff);
      if (got <= 0) {
        MOLDAU_LOG_ERROR("connection {}: short read from a segment file", peer_);
        close("segment read error");
        return false;
      }
      w = ::write(fd, scratch.data(), size_t(got));
    }
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      if (errno == EINTR) continue;
      close("write error");
      return false;
    }
    if (w == 0) {
      // The file is shorter than the region (truncated underneath us): the
      // response can no longer be completed, so the connection must go.
      MOLDAU_LOG_ERROR("connection {}: segment file shorter than the fetched region", peer_);
      close("segment truncated");
      return false;
    }
    out_chunk_off_ += size_t(w);
    if (out_chunk_off_ >= size_t(c.file.length)) {
      ++out_chunk_;
      out_chunk_off_ = 0;
    }
  }
}

void Connection::wait_writable() {
  if (waiting_writable_) return;
  waiting_writable_ = true;
  auto self = shared_from_this();
  socket_.async_wait(asio::ip::tcp::socket::wait_write, [self](const asio::error_code& ec) {
    self->waiting_writable_ = false;
    if (self->closed_) return;
    if (ec) {
      self->close("wait error");
      return;
    }
    self->pump_writes();
  });
}

void Connection::close(const char* why) {
  if (closed_) return;
  auto self = shared_from_this();
  closed_ = true;
  MOLDAU_LOG_DEBUG("connection {} from {} closed: {}", id_, peer_, why);
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  slots_.clear();
  large_.reset();
  if (on_closed_) on_closed_(this);
}

}  // namespace moldau::net
