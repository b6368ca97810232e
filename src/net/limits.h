// Per-connection bounds (ARCHITECTURE.md §5). Each is a named constant or a
// config key; see docs/network.md.
#pragma once
#include <cstddef>
#include <cstdint>

namespace moldau::net {

struct ConnectionLimits {
  // socket.request.max.bytes: a frame larger than this closes the connection
  // before anything is allocated for it.
  int32_t max_request_bytes = 100 * 1024 * 1024;
  // Requests read but not yet answered; reading pauses at this many.
  size_t max_inflight_requests = 128;
  // Response bytes queued but not yet written; reading pauses above this.
  size_t max_buffered_response_bytes = 64 * 1024 * 1024;
  // Send file regions with sendfile(2) (true) or pread(2) + write(2).
  bool use_sendfile = true;
  // socket.send.buffer.bytes / socket.receive.buffer.bytes: SO_SNDBUF and
  // SO_RCVBUF of accepted sockets; -1 keeps the operating system's default
  // (autotuning).
  int send_buffer_bytes = -1;
  int receive_buffer_bytes = -1;
};

// Size of the per-connection read buffer that small frames are parsed from;
// larger frames are read straight into their own buffer.
constexpr size_t kReadBufferBytes = 64 * 1024;

}  // namespace moldau::net
