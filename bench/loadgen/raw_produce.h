// raw-produce: Produce requests built once, sent on plain sockets, pipelined.
//
// librdkafka costs ~1.5 µs of CPU per record, so on two shared cores the client is
// the limit at small records (PERFORMANCE.md). This mode builds each connection's
// Produce v8 request once (one uncompressed v2 record batch per partition, CRC-32C
// computed once, timestamps of the build time, no keys, producer id -1) and then
// only patches the correlation id and writes the same bytes again, keeping up to
// --inflight requests outstanding per connection (--threads connections). The
// client's cost per record is close to zero, so the broker is the limit.
//
// Throughput counts the records of requests whose every partition was answered
// without error; latency is per request (send -> response), in µs. Both brokers
// receive byte-identical requests. acks=0 is not supported (no responses to count).
#pragma once

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "histogram.h"

namespace loadgen::raw {

// ---------------------------------------------------------------- encoding
inline uint32_t crc32c(const uint8_t* p, size_t n) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

struct Writer {
  std::vector<uint8_t> b;
  void u8(uint8_t v) { b.push_back(v); }
  void be16(uint16_t v) { u8(uint8_t(v >> 8)); u8(uint8_t(v)); }
  void be32(uint32_t v) { be16(uint16_t(v >> 16)); be16(uint16_t(v)); }
  void be64(uint64_t v) { be32(uint32_t(v >> 32)); be32(uint32_t(v)); }
  void varint(int64_t v) {  // zig-zag
    uint64_t z = (uint64_t(v) << 1) ^ uint64_t(v >> 63);
    while (z >= 0x80) { u8(uint8_t(z | 0x80)); z >>= 7; }
    u8(uint8_t(z));
  }
  void str(const std::string& s) { be16(uint16_t(s.size())); b.insert(b.end(), s.begin(), s.end()); }
  void bytes(const void* p, size_t n) { auto* c = static_cast<const uint8_t*>(p); b.insert(b.end(), c, c + n); }
  void put32_at(size_t pos, uint32_t v) {
    b[pos] = uint8_t(v >> 24); b[pos + 1] = uint8_t(v >> 16); b[pos + 2] = uint8_t(v >> 8); b[pos + 3] = uint8_t(v);
  }
};

// One uncompressed magic-2 record batch of `n` records with `value` as every value.
inline std::vector<uint8_t> build_batch(const std::string& value, int n, int64_t ts_ms) {
  Writer w;
  w.be64(0);                 // baseOffset (the broker assigns)
  w.be32(0);                 // batchLength, patched
  w.be32(0xFFFFFFFFu);       // partitionLeaderEpoch -1
  w.u8(2);                   // magic
  w.be32(0);                 // crc, patched
  const size_t attrs_at = w.b.size();
  w.be16(0);                 // attributes: no compression, CreateTime
  w.be32(uint32_t(n - 1));   // lastOffsetDelta
  w.be64(uint64_t(ts_ms));   // baseTimestamp
  w.be64(uint64_t(ts_ms));   // maxTimestamp
  w.be64(uint64_t(-1));      // producerId
  w.be16(uint16_t(-1));      // producerEpoch
  w.be32(uint32_t(-1));      // baseSequence
  w.be32(uint32_t(n));       // records
  for (int i = 0; i < n; ++i) {
    Writer r;
    r.u8(0);                 // attributes
    r.varint(0);             // timestampDelta
    r.varint(i);             // offsetDelta
    r.varint(-1);            // null key
    r.varint(int64_t(value.size()));
    r.bytes(value.data(), value.size());
    r.varint(0);             // no headers
    w.varint(int64_t(r.b.size()));
    w.bytes(r.b.data(), r.b.size());
  }
  w.put32_at(8, uint32_t(w.b.size() - 12));
  w.put32_at(17, crc32c(w.b.data() + attrs_at, w.b.size() - attrs_at));
  return w.b;
}

// A size-prefixed Produce v8 request with one batch per partition.
inline std::vector<uint8_t> build_request(const std::string& topic, int nparts, int16_t acks,
                                          const std::vector<uint8_t>& batch) {
  Writer w;
  w.be32(0);                 // size, patched
  w.be16(0);                 // api key Produce
  w.be16(8);                 // version 8 (non-flexible; served by Kafka 4.x and Moldau)
  w.be32(0);                 // correlation id, patched per send (offset 8)
  w.str("moldau-loadgen-raw");
  w.be16(uint16_t(-1));      // transactional id null
  w.be16(uint16_t(acks));
  w.be32(30000);             // timeout ms
  w.be32(1);                 // one topic
  w.str(topic);
  w.be32(uint32_t(nparts));
  for (int p = 0; p < nparts; ++p) {
    w.be32(uint32_t(p));
    w.be32(uint32_t(batch.size()));
    w.bytes(batch.data(), batch.size());
  }
  w.put32_at(0, uint32_t(w.b.size() - 4));
  return w.b;
}

// ---------------------------------------------------------------- response
struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;
  bool need(size_t n) { if (size_t(end - p) < n) ok = false; return ok; }
  uint16_t be16() { if (!need(2)) return 0; uint16_t v = uint16_t(p[0] << 8 | p[1]); p += 2; return v; }
  uint32_t be32() { if (!need(4)) return 0; uint32_t v = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; p += 4; return v; }
  uint64_t be64() { uint64_t hi = be32(); return hi << 32 | be32(); }
  void skip(size_t n) { if (need(n)) p += n; }
  void skip_str() { int16_t n = int16_t(be16()); if (n > 0) skip(size_t(n)); }
};

// Parses a Produce v8 response body (after the correlation id). Returns the
// number of partitions answered with an error, or -1 when malformed; the first
// error code seen goes to *first_error.
inline int parse_errors(const uint8_t* p, size_t n, int* first_error) {
  Reader r{p, p + n};
  int errors = 0;
  int32_t topics = int32_t(r.be32());
  for (int32_t t = 0; r.ok && t < topics; ++t) {
    r.skip_str();
    int32_t parts = int32_t(r.be32());
    for (int32_t i = 0; r.ok && i < parts; ++i) {
      r.be32();                              // index
      int16_t err = int16_t(r.be16());
      r.be64(); r.be64(); r.be64();          // base offset, log append time, log start offset
      int32_t rec_errors = int32_t(r.be32());
      for (int32_t e = 0; r.ok && e < rec_errors; ++e) { r.be32(); r.skip_str(); }
      r.skip_str();                          // error message
      if (err != 0) { if (errors++ == 0 && first_error) *first_error = err; }
    }
  }
  return r.ok ? errors : -1;
}

// ---------------------------------------------------------------- connection
inline int connect_to(const std::string& bootstrap) {
  auto colon = bootstrap.rfind(':');
  std::string host = bootstrap.substr(0, colon), port = bootstrap.substr(colon + 1);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return -1;
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) { close(fd); fd = -1; }
  freeaddrinfo(res);
  if (fd >= 0) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
  return fd;
}

inline bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w; n -= size_t(w);
  }
  return true;
}

inline bool read_all(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r; n -= size_t(r);
  }
  return true;
}

struct ConnStats {
  Histogram hist;            // per-request latency, µs
  uint64_t records = 0;      // acknowledged without error
  uint64_t bytes = 0;        // value bytes of those records
  uint64_t requests = 0;
  uint64_t errors = 0;       // partitions answered with an error, or I/O failures
  uint64_t first_ns = 0, last_ns = 0;
};

// One connection: keeps `inflight` requests outstanding until `deadline_ns`
// (or `count` requests sent), then drains.
template <typename NowNs>
void run_connection(const std::string& bootstrap, const std::vector<uint8_t>& request, int inflight,
                    uint64_t count, uint64_t deadline_ns, int records_per_request, size_t value_bytes,
                    NowNs now_ns, ConnStats& st) {
  int fd = connect_to(bootstrap);
  if (fd < 0) { std::fprintf(stderr, "loadgen: raw: cannot connect to %s\n", bootstrap.c_str()); st.errors++; return; }
  std::vector<uint8_t> req = request;
  std::deque<std::pair<int32_t, uint64_t>> outstanding;  // correlation id, send time
  std::vector<uint8_t> resp;
  int32_t next_id = 1;
  uint64_t sent = 0;
  bool failed = false;
  st.first_ns = now_ns();
  for (;;) {
    const bool more = !failed && (count ? sent < count : now_ns() < deadline_ns);
    if (more && int(outstanding.size()) < inflight) {
      int32_t id = next_id++;
      req[8] = uint8_t(id >> 24); req[9] = uint8_t(id >> 16); req[10] = uint8_t(id >> 8); req[11] = uint8_t(id);
      uint64_t t = now_ns();
      if (!write_all(fd, req.data(), req.size())) { std::fprintf(stderr, "loadgen: raw: write failed\n"); st.errors++; failed = true; continue; }
      outstanding.emplace_back(id, t);
      ++sent;
      continue;
    }
    if (outstanding.empty()) break;
    uint8_t hdr[8];
    if (!read_all(fd, hdr, 8)) { std::fprintf(stderr, "loadgen: raw: connection closed by the broker\n"); st.errors++; break; }
    uint32_t size = uint32_t(hdr[0]) << 24 | uint32_t(hdr[1]) << 16 | uint32_t(hdr[2]) << 8 | hdr[3];
    int32_t id = int32_t(uint32_t(hdr[4]) << 24 | uint32_t(hdr[5]) << 16 | uint32_t(hdr[6]) << 8 | hdr[7]);
    if (size < 4 || size > (64u << 20)) { std::fprintf(stderr, "loadgen: raw: bad response size %u\n", size); st.errors++; break; }
    resp.resize(size - 4);
    if (!read_all(fd, resp.data(), resp.size())) { st.errors++; break; }
    if (id != outstanding.front().first) { std::fprintf(stderr, "loadgen: raw: response out of order\n"); st.errors++; break; }
    uint64_t now = now_ns();
    st.hist.record((now - outstanding.front().second) / 1000);
    outstanding.pop_front();
    st.requests++;
    st.last_ns = now;
    int first_error = 0;
    int errs = parse_errors(resp.data(), resp.size(), &first_error);
    if (errs != 0) {
      if (st.errors < 3) std::fprintf(stderr, "loadgen: raw: %s (error code %d)\n",
                                      errs < 0 ? "malformed response" : "partition error", first_error);
      st.errors += errs < 0 ? 1 : uint64_t(errs);
      if (errs < 0) break;
      continue;
    }
    st.records += uint64_t(records_per_request);
    st.bytes += uint64_t(records_per_request) * value_bytes;
  }
  close(fd);
}

// A size-prefixed Metadata v4 request for one topic, allowing auto-creation.
inline std::vector<uint8_t> build_metadata_request(const std::string& topic, int32_t correlation_id) {
  Writer w;
  w.be32(0);
  w.be16(3);                 // api key Metadata
  w.be16(4);                 // version 4 (non-flexible; allow_auto_topic_creation)
  w.be32(uint32_t(correlation_id));
  w.str("moldau-loadgen-probe");
  w.be32(1);
  w.str(topic);
  w.u8(1);                   // allow_auto_topic_creation
  w.put32_at(0, uint32_t(w.b.size() - 4));
  return w.b;
}

// Reads one size-prefixed response into `body` (after the correlation id).
inline bool read_response(int fd, std::vector<uint8_t>& body) {
  uint8_t hdr[8];
  if (!read_all(fd, hdr, 8)) return false;
  uint32_t size = uint32_t(hdr[0]) << 24 | uint32_t(hdr[1]) << 16 | uint32_t(hdr[2]) << 8 | hdr[3];
  if (size < 4 || size > (64u << 20)) return false;
  body.resize(size - 4);
  return read_all(fd, body.data(), body.size());
}

// Start-up probe: until `deadline_ns`, connects (retrying every 10 ms), asks for
// the topic's metadata with auto-creation, and produces one record to partition 0
// with acks=1. Returns true at the first produce answered without error. The
// broker's own readiness, not a client library's back-off, sets the time.
template <typename NowNs>
bool probe_first_ack(const std::string& bootstrap, const std::string& topic, uint64_t deadline_ns, NowNs now_ns) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  auto produce = build_request(topic, 1, 1, build_batch("probe", 1, now_ms));
  std::vector<uint8_t> body;
  int fd = -1;
  int32_t id = 1;
  while (now_ns() < deadline_ns) {
    if (fd < 0) fd = connect_to(bootstrap);
    if (fd < 0) { usleep(10000); continue; }
    auto md = build_metadata_request(topic, id++);
    bool ok = write_all(fd, md.data(), md.size()) && read_response(fd, body);
    if (ok) {
      produce[8] = uint8_t(id >> 24); produce[9] = uint8_t(id >> 16); produce[10] = uint8_t(id >> 8); produce[11] = uint8_t(id);
      ++id;
      ok = write_all(fd, produce.data(), produce.size()) && read_response(fd, body);
      if (ok && parse_errors(body.data(), body.size(), nullptr) == 0) { close(fd); return true; }
    }
    if (!ok) { close(fd); fd = -1; }
    usleep(10000);
  }
  if (fd >= 0) close(fd);
  return false;
}

}  // namespace loadgen::raw
