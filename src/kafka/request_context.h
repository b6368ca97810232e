// One request on its way through a handler: the decoded header, the body
// reader, and the way back to the connection (ARCHITECTURE.md: a handler
// decodes, logs, authorizes, calls the subsystem, responds).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/log.h"
#include "net/connection.h"
#include "protocol/msg/api_keys.h"
#include "protocol/msg/request_header.h"
#include "protocol/msg/response_header.h"

namespace moldau::kafka {

class RequestContext {
 public:
  RequestContext(std::shared_ptr<net::Connection> conn, net::Frame frame,
                 protocol::RequestHeader header, ByteReader body)
      : conn_(std::move(conn)), frame_(std::move(frame)), header_(std::move(header)), body_(body) {}

  int16_t api_key() const { return header_.request_api_key; }
  int16_t api_version() const { return header_.request_api_version; }
  int32_t correlation_id() const { return header_.correlation_id; }
  const std::string& client_id() const {
    static const std::string kNone;
    return header_.client_id ? *header_.client_id : kNone;
  }
  const protocol::RequestHeader& header() const { return header_; }
  ByteReader& body() { return body_; }
  const std::shared_ptr<net::Connection>& connection() const { return conn_; }
  uint64_t slot() const { return frame_.slot; }
  // Keeps the frame (and every view decoded from it) alive.
  const std::shared_ptr<Bytes>& frame_bytes() const { return frame_.bytes; }

  // Decodes the body as `Req` at this request's version; false when malformed.
  template <typename Req>
  bool decode(Req& req) {
    return req.decode(body_, api_version()) && body_.ok();
  }

  // The preamble of most handlers: decodes the body, or logs (peer, API,
  // version, client) and closes the connection and returns false. A request
  // that does not parse is a client bug, not a semantic error, and after it
  // the stream can no longer be trusted.
  template <typename Req>
  bool decode_or_close(Req& req, const char* api_name) {
    if (decode(req)) return true;
    MOLDAU_LOG_WARN("closing connection from {}: malformed {} v{} request (client '{}')", conn_->peer(), api_name,
                    api_version(), client_id());
    close_connection();
    return false;
  }

  // Encodes the response header (by the response header version of this API
  // and version) and `resp`, and hands it to the connection.
  template <typename Resp>
  void respond(const Resp& resp) {
    net::Reply r;
    write_header(r.body);
    resp.encode(r.body, api_version());
    conn_->reply(frame_.slot, std::move(r));
  }
  void respond_nothing() { conn_->reply(frame_.slot, net::Reply::none()); }
  void close_connection() { conn_->reply(frame_.slot, net::Reply::close()); }

 private:
  void write_header(ByteWriter& w) const {
    protocol::ResponseHeader h;
    h.correlation_id = correlation_id();
    h.encode(w, protocol::response_header_version(api_key(), api_version()));
  }

  std::shared_ptr<net::Connection> conn_;
  net::Frame frame_;
  protocol::RequestHeader header_;
  ByteReader body_;
};

}  // namespace moldau::kafka
