// raw-fetch: a broker-limited consume workload, Fetch requests on plain sockets.
//
// A librdkafka consumer decodes every record (and copies it into a message), so on two
// shared cores the client, not the broker, sets the consume rate. This mode reads a
// topic the way a consumer does on the wire but with almost no client work per byte:
//
// - Fetch v11 (non-flexible, topic names; Moldau serves 4-15, Kafka 4.x 4-17), without
//   fetch sessions (session id 0, epoch -1: a full fetch each time), read_uncommitted,
//   max_wait 500 ms, min_bytes 1, response max_bytes 50 MiB (the Java consumer's
//   fetch.max.bytes), --partition-max-bytes per partition (1 MiB, the Java and
//   librdkafka default max.partition.fetch.bytes).
// - --threads connections (capped at the partition count), each with a disjoint set of
//   partitions (p % threads), each partition from its log start offset to the high
//   watermark seen before the run (librdkafka's watermark query, untimed).
// - The next fetch offset of a partition is only known from the previous response
//   (base offset + lastOffsetDelta + 1 of its last complete batch), so a partition can
//   have only one fetch outstanding. Like real consumers, a connection by default keeps
//   one Fetch in flight that names all of its unfinished partitions (--inflight 1).
//   --inflight K splits a connection's partitions into K groups, each with its own
//   single outstanding Fetch, pipelined on the same connection: this hides the client's
//   turnaround, but it is not what a consumer does, so the benchmark uses the default.
//   (Both brokers answer one connection's requests in order.)
// - The response is parsed as a stream: the Fetch and partition headers and the 61-byte
//   header of every record batch are read; the batch bodies are discarded in the kernel
//   (recv with MSG_TRUNC, no copy to user space). Records are counted from the batch
//   headers' record counts, bytes are the complete batches' bytes (the log format: at
//   1 KB records about 1% more than key+value). A trailing partial batch (brokers cut
//   the last batch at the partition limit) is skipped and fetched again next time.
//
// The client's cost per byte is then close to zero (its CPU seconds are in the result
// as client_cpu_s), so the broker is the limit. Both brokers receive the same requests
// (the offsets follow the batch boundaries of each broker's own log). Latency is per
// request (send -> last byte of the response), in µs. A partition answered with an
// error, or without progress in 100 (+ its group's partition count) responses in a row,
// counts as an error and is dropped.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "histogram.h"
#include "raw_produce.h"

namespace loadgen::rawfetch {

constexpr int16_t kFetchVersion = 11;
constexpr int32_t kMaxWaitMs = 500;
constexpr int32_t kResponseMaxBytes = 50 << 20;
constexpr int kBatchHeader = 61;
constexpr int kMaxStalls = 100;

struct Part {
  int32_t partition = 0;
  int64_t next = 0;          // next fetch offset
  int64_t end = 0;           // high watermark before the run: done when next >= end
  int stalls = 0;            // responses in a row without a complete batch
  bool dropped = false;      // error: no more fetches
  bool done() const { return dropped || next >= end; }
};

struct Stats {
  Histogram hist;            // per-request latency, µs
  uint64_t records = 0;
  uint64_t bytes = 0;        // complete record batches
  uint64_t batches = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t last_ns = 0;
};

// A size-prefixed Fetch v11 request for the unfinished partitions of `parts`, starting
// at parts[first % size]: brokers return a whole batch larger than the partition limit
// only to the first partition with data (KIP-74), so the order rotates (as consumers'
// does) and every partition gets its turn.
inline std::vector<uint8_t> build_fetch(const std::string& topic, const std::vector<Part*>& parts,
                                        int32_t partition_max_bytes, int32_t correlation_id, size_t first) {
  raw::Writer w;
  w.be32(0);                 // size, patched
  w.be16(1);                 // api key Fetch
  w.be16(uint16_t(kFetchVersion));
  w.be32(uint32_t(correlation_id));
  w.str("moldau-loadgen-raw");
  w.be32(uint32_t(-1));      // replica id: a consumer
  w.be32(uint32_t(kMaxWaitMs));
  w.be32(1);                 // min bytes
  w.be32(uint32_t(kResponseMaxBytes));
  w.u8(0);                   // read_uncommitted
  w.be32(0);                 // session id: none
  w.be32(uint32_t(-1));      // session epoch -1: full fetch, no session
  w.be32(1);                 // one topic
  w.str(topic);
  const size_t count_at = w.b.size();
  w.be32(0);                 // partition count, patched
  uint32_t n = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    const Part* p = parts[(first + k) % parts.size()];
    if (p->done()) continue;
    w.be32(uint32_t(p->partition));
    w.be32(uint32_t(-1));    // current leader epoch: unknown
    w.be64(uint64_t(p->next));
    w.be64(uint64_t(-1));    // log start offset: only for followers
    w.be32(uint32_t(partition_max_bytes));
    ++n;
  }
  w.put32_at(count_at, n);
  w.be32(0);                 // no forgotten topics
  w.str("");                 // rack id
  w.put32_at(0, uint32_t(w.b.size() - 4));
  return w.b;
}

// Reads a socket as a stream: small fields through a buffer, large spans discarded
// in the kernel. `consumed` counts the bytes taken since the caller last reset it.
class StreamReader {
 public:
  explicit StreamReader(int fd) : fd_(fd), buf_(64 * 1024) {}

  bool ok() const { return ok_; }
  uint64_t consumed = 0;

  // Makes `n` bytes readable at ptr() (n <= the buffer size).
  bool need(size_t n) {
    if (!ok_) return false;
    if (end_ - pos_ >= n) return true;
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    while (end_ < n) {
      // Asks only for what is needed now (at least a batch header's worth), so
      // batch bodies stay in the socket to be discarded without a copy.
      size_t want = std::max<size_t>(n, kBatchHeader + 16) - end_;
      ssize_t r = ::read(fd_, buf_.data() + end_, want);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) { ok_ = false; return false; }
      end_ += size_t(r);
    }
    return true;
  }
  const uint8_t* ptr() const { return buf_.data() + pos_; }
  void take(size_t n) { pos_ += n; consumed += n; }

  uint16_t be16() { if (!need(2)) return 0; auto* p = ptr(); uint16_t v = uint16_t(p[0] << 8 | p[1]); take(2); return v; }
  uint32_t be32() {
    if (!need(4)) return 0;
    auto* p = ptr();
    uint32_t v = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
    take(4);
    return v;
  }
  uint64_t be64() { uint64_t hi = be32(); return hi << 32 | be32(); }

  // Discards `n` bytes: first what is buffered, then in the kernel (MSG_TRUNC on a
  // TCP socket drops the data without copying it; the scratch buffer is only there
  // in case a kernel copies anyway).
  bool skip(uint64_t n) {
    if (!ok_) return false;
    size_t from_buf = size_t(std::min<uint64_t>(n, end_ - pos_));
    take(from_buf);
    n -= from_buf;
    static thread_local std::vector<uint8_t> scratch(1 << 20);
    while (n > 0) {
      ssize_t r = ::recv(fd_, scratch.data(), size_t(std::min<uint64_t>(n, scratch.size())), MSG_TRUNC);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) { ok_ = false; return false; }
      n -= uint64_t(r);
      consumed += uint64_t(r);
    }
    return true;
  }

 private:
  int fd_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, end_ = 0;
  bool ok_ = true;
};

inline int64_t be64_at(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return int64_t(v);
}
inline int32_t be32_at(const uint8_t* p) {
  return int32_t(uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]);
}

// Reads the record set of one partition (`len` bytes): counts the complete batches,
// advances `part->next` past the last one; skips a trailing partial batch. Returns
// false on a malformed batch (the connection stays usable: the span is consumed).
inline bool read_records(StreamReader& in, int64_t len, Part* part, Stats& st, bool* progressed) {
  uint64_t left = uint64_t(len);
  while (left > 0) {
    if (left < 12) return in.skip(left);
    if (!in.need(12)) return false;
    const int64_t base = be64_at(in.ptr());
    const int32_t batch_len = be32_at(in.ptr() + 8);
    const uint64_t total = 12 + uint64_t(uint32_t(batch_len));
    if (batch_len < 0 || total > left) return in.skip(left);         // partial batch at the end
    if (total < uint64_t(kBatchHeader) || !in.need(kBatchHeader)) { in.skip(left); return false; }
    const uint8_t* h = in.ptr();
    if (h[16] != 2) { in.skip(left); return false; }                  // magic 2 only
    const int32_t last_delta = be32_at(h + 23);
    const int32_t count = be32_at(h + 57);
    in.skip(total);
    left -= total;
    if (part && base + last_delta + 1 > part->next) {
      part->next = base + last_delta + 1;
      st.records += uint64_t(std::max(count, 0));
      st.bytes += total;
      st.batches++;
      *progressed = true;
    }
  }
  return true;
}

// Reads one Fetch v11 response body (after size and correlation id, `body` bytes).
// Returns false when the connection can no longer be trusted.
inline bool read_fetch_response(StreamReader& in, uint64_t body, const std::vector<Part*>& by_index, int max_stalls,
                                Stats& st) {
  in.consumed = 0;
  in.be32();                                     // throttle time
  const int16_t top_error = int16_t(in.be16());
  in.be32();                                     // session id
  if (top_error != 0) {
    if (st.errors++ < 3) std::fprintf(stderr, "loadgen: raw-fetch: response error code %d\n", top_error);
  }
  const int32_t topics = int32_t(in.be32());
  for (int32_t t = 0; in.ok() && t < topics; ++t) {
    const int16_t name_len = int16_t(in.be16());
    if (name_len > 0) in.skip(uint64_t(name_len));
    const int32_t parts = int32_t(in.be32());
    for (int32_t i = 0; in.ok() && i < parts; ++i) {
      const int32_t index = int32_t(in.be32());
      const int16_t err = int16_t(in.be16());
      in.be64(); in.be64(); in.be64();           // high watermark, last stable offset, log start
      const int32_t aborted = int32_t(in.be32());
      if (aborted > 0) in.skip(uint64_t(aborted) * 16);
      in.be32();                                 // preferred read replica
      const int32_t rec_len = int32_t(in.be32());
      Part* part = index >= 0 && size_t(index) < by_index.size() ? by_index[size_t(index)] : nullptr;
      bool progressed = false;
      if (rec_len > 0 && !read_records(in, rec_len, part, st, &progressed)) {
        if (!in.ok()) return false;
        if (st.errors++ < 3) std::fprintf(stderr, "loadgen: raw-fetch: malformed batch in partition %d\n", index);
      }
      if (!part || part->done()) continue;
      if (err != 0) {
        if (st.errors++ < 3) std::fprintf(stderr, "loadgen: raw-fetch: partition %d: error code %d\n", index, err);
        part->dropped = true;
      } else if (!progressed && ++part->stalls >= max_stalls) {
        std::fprintf(stderr, "loadgen: raw-fetch: partition %d makes no progress at offset %lld (end %lld)\n",
                     index, static_cast<long long>(part->next), static_cast<long long>(part->end));
        st.errors++;
        part->dropped = true;
      } else if (progressed) {
        part->stalls = 0;
      }
    }
  }
  if (!in.ok() || in.consumed > body) {
    std::fprintf(stderr, "loadgen: raw-fetch: malformed response\n");
    st.errors++;
    return false;
  }
  return in.skip(body - in.consumed);            // fields this parser does not know
}

// One connection: `parts` split into `inflight` groups, each with one Fetch
// outstanding, until every partition is done or `deadline_ns` passes (then drains).
template <typename NowNs>
void run_connection(const std::string& bootstrap, const std::string& topic, std::vector<Part>& parts,
                    int inflight, int32_t partition_max_bytes, int total_partitions, uint64_t deadline_ns,
                    NowNs now_ns, Stats& st) {
  int fd = raw::connect_to(bootstrap);
  if (fd < 0) {
    std::fprintf(stderr, "loadgen: raw-fetch: cannot connect to %s\n", bootstrap.c_str());
    st.errors++;
    return;
  }
  std::vector<Part*> by_index(size_t(total_partitions), nullptr);
  const int ngroups = std::max(1, std::min<int>(inflight, int(parts.size())));
  std::vector<std::vector<Part*>> groups(static_cast<size_t>(ngroups));
  for (size_t i = 0; i < parts.size(); ++i) {
    groups[i % size_t(ngroups)].push_back(&parts[i]);
    if (parts[i].partition >= 0 && parts[i].partition < total_partitions) by_index[size_t(parts[i].partition)] = &parts[i];
  }
  struct Outstanding { int32_t id; int group; uint64_t sent_ns; };
  std::deque<Outstanding> outstanding;
  int32_t next_id = 1;
  bool failed = false;
  auto send = [&](int g) {
    bool any = false;
    for (const Part* p : groups[size_t(g)]) any = any || !p->done();
    if (!any || failed || now_ns() >= deadline_ns) return;
    const int32_t id = next_id++;
    auto req = build_fetch(topic, groups[size_t(g)], partition_max_bytes, id, size_t(id));
    const uint64_t t = now_ns();
    if (!raw::write_all(fd, req.data(), req.size())) {
      std::fprintf(stderr, "loadgen: raw-fetch: write failed\n");
      st.errors++;
      failed = true;
      return;
    }
    outstanding.push_back({id, g, t});
  };
  for (int g = 0; g < ngroups; ++g) send(g);
  StreamReader in(fd);
  while (!outstanding.empty()) {
    const uint32_t size = in.be32();
    const int32_t id = int32_t(in.be32());
    if (!in.ok()) { std::fprintf(stderr, "loadgen: raw-fetch: connection closed by the broker\n"); st.errors++; break; }
    if (size < 4 || id != outstanding.front().id) {
      std::fprintf(stderr, "loadgen: raw-fetch: bad response (size %u, correlation id %d)\n", size, id);
      st.errors++;
      break;
    }
    const Outstanding o = outstanding.front();
    outstanding.pop_front();
    const int max_stalls = kMaxStalls + int(groups[size_t(o.group)].size());
    if (!read_fetch_response(in, size - 4, by_index, max_stalls, st)) { failed = true; break; }
    const uint64_t now = now_ns();
    st.hist.record((now - o.sent_ns) / 1000);
    st.requests++;
    st.last_ns = now;
    send(o.group);
  }
  for (const Part& p : parts)
    if (!p.dropped && p.next < p.end && now_ns() < deadline_ns) {
      // Only on a broken connection: the partitions not read to the end are errors.
      st.errors++;
    }
  close(fd);
}

}  // namespace loadgen::rawfetch
