// One TCP connection to one Kafka broker, blocking, with a deadline on every
// operation (docs/cli.md, "The client").
//
// open() connects and negotiates versions with ApiVersions: for every API the
// connection remembers the broker's [min, max] and version() picks the highest
// version both sides speak. send() frames a request (size, header, body) and
// may be called several times before receive(): the broker answers in order,
// so responses are matched to requests by a queue of correlation ids.
//
// After a timeout, an interrupt or an I/O error the socket is closed and the
// connection is broken(): the caller opens a new one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/error.h"

namespace moldau::cli {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
  bool operator==(const Endpoint&) const = default;
};

struct ConnectionOptions {
  std::string client_id = "moldau-cli";
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};
  // A response frame larger than this closes the connection (limits are
  // explicit: ARCHITECTURE.md §5). Fetch asks for at most kFetchMaxBytes.
  size_t max_response_bytes = size_t(256) << 20;
  // When true, waits give up as soon as SIGINT arrives (interrupt.h).
  bool interruptible = false;
};

// A version range of one API.
struct ApiRange {
  int16_t min = 0;
  int16_t max = -1;
};

// The versions this client speaks for `key`: what the generated codec handles,
// without a version Kafka marks unstable. nullopt for an API without a schema.
std::optional<ApiRange> client_range(int16_t key);
// The highest version in both ranges, or -1 when they do not overlap.
int16_t pick_version(ApiRange ours, ApiRange theirs);

// A response as read from the socket: the whole frame (size prefix excluded)
// and where the body starts, after the response header.
struct Frame {
  std::shared_ptr<Bytes> bytes;
  size_t body_offset = 0;
  int16_t api_key = 0;
  int16_t version = 0;
  ByteReader body() const {
    return ByteReader(bytes->data() + body_offset, bytes->size() - body_offset);
  }
};

class Connection {
 public:
  // Connects, then exchanges ApiVersions. Errors carry a message for people:
  // kNetworkException when the broker cannot be reached or does not speak
  // Kafka, kRequestTimedOut on a timeout.
  static Result<std::unique_ptr<Connection>> open(const Endpoint& endpoint,
                                                  const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const Endpoint& endpoint() const;
  const ConnectionOptions& options() const;

  // The broker's range for `key`, nullopt when it does not serve it.
  std::optional<ApiRange> broker_range(int16_t key) const;
  // pick_version(client range, broker range) with the client's range narrowed
  // to [min_version, max_version]; -1 when there is no common version.
  int16_t version(int16_t key, int16_t min_version = 0, int16_t max_version = 0x7fff) const;

  // Frames and writes one request. With expect_response=false (Produce with
  // acks=0) no response is queued.
  Result<int32_t> send(int16_t key, int16_t version, const ByteWriter& body,
                       bool expect_response = true);
  // Reads the response to the oldest request still in flight.
  Result<Frame> receive();
  Result<Frame> receive(Clock::time_point deadline);
  // Requests sent whose responses have not been read.
  size_t in_flight() const;
  // True when response bytes are waiting on the socket (receive() would not
  // wait for the broker).
  bool readable();

  bool broken() const;

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace moldau::cli
