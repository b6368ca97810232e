// loadgen: a native load generator for Kafka-protocol brokers, on librdkafka.
//
//   loadgen produce|consume|e2e --bootstrap H:P --topic T [options]
//
// produce  N producer threads send records as fast as allowed (--rate max) or at a
//          fixed total rate; latency = send -> delivery report (acknowledgement).
// consume  N consumer threads read the topic's partitions (split among them) from the
//          beginning until --count records, --duration seconds, or the end of the log.
// raw-produce  pre-built Produce v8 requests on plain sockets, pipelined (raw_produce.h):
//          near-zero client cost, so the broker is the limit; --batch-size bytes per
//          partition batch (default 65536), --inflight requests per connection (5),
//          --threads connections; latency = per request.
// raw-fetch  Fetch v11 on plain sockets (raw_fetch.h): --threads connections read
//          disjoint partitions from the log start to the high watermark seen at the
//          start (or --duration), one Fetch in flight each (--inflight groups),
//          --partition-max-bytes (1 MiB); batch bodies are discarded unread, records
//          counted from batch headers: the broker is the limit; latency = per request.
// probe    start-up: connect, Metadata (auto-create) and a 1-record Produce on plain
//          sockets, retried every 10 ms until acknowledged or --duration (60) passes.
// e2e      one consumer (assigned at the log end) and N producers at a fixed rate;
//          latency = the producer's send time (stamped into the value) -> consumer
//          receipt, same process, same monotonic clock.
//
// Latencies go into per-thread log-bucketed histograms (histogram.h), merged at the
// end. The result is one JSON line on stdout; progress and errors go to stderr.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "histogram.h"
#include "raw_fetch.h"
#include "raw_produce.h"

namespace {

using loadgen::Histogram;
using Clock = std::chrono::steady_clock;

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

struct Options {
  std::string mode;
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = "loadgen";
  size_t record_size = 100;
  uint64_t count = 0;        // total records (0: use duration)
  double duration = 0;       // seconds
  double rate = 0;           // total records/s; 0 = max
  uint64_t keys = 0;         // 0: null keys
  std::string acks = "1";
  std::string compression = "none";
  int linger_ms = 5;
  int batch_size = 1000000;
  bool batch_size_given = false;
  int inflight = 5;          // raw-produce: requests outstanding per connection
  bool inflight_given = false;
  int32_t partition_max_bytes = 1 << 20;  // raw-fetch
  int threads = 1;
  int partitions = 0;        // >0: create the topic with this many partitions first
  double warmup = 1.0;       // e2e: seconds of latencies to discard
  std::vector<std::pair<std::string, std::string>> topic_configs;
  std::vector<std::pair<std::string, std::string>> client_props;  // -X k=v
};

[[noreturn]] void usage(const char* why) {
  if (why) std::fprintf(stderr, "loadgen: %s\n", why);
  std::fprintf(stderr,
      "usage: loadgen produce|consume|e2e|raw-produce|raw-fetch|probe --bootstrap H:P --topic T\n"
      "         [--record-size N] [--count N | --duration S] [--rate R|max] [--keys N]\n"
      "         [--acks 0|1|all] [--compression none|gzip|snappy|lz4|zstd]\n"
      "         [--linger-ms N] [--batch-size N] [--threads N]\n"
      "         [--partitions N] [--topic-config k=v]... [-X librdkafka.prop=v]...\n"
      "         [--warmup S] [--inflight N (raw-produce, raw-fetch)]\n"
      "         [--partition-max-bytes N (raw-fetch)]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) usage(nullptr);
  o.mode = argv[1];
  if (o.mode != "produce" && o.mode != "consume" && o.mode != "e2e" && o.mode != "raw-produce" &&
      o.mode != "raw-fetch" && o.mode != "probe")
    usage("unknown mode");
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    auto kv = [&](const std::string& s) {
      auto eq = s.find('=');
      if (eq == std::string::npos) usage(("want key=value, got " + s).c_str());
      return std::make_pair(s.substr(0, eq), s.substr(eq + 1));
    };
    if (a == "--bootstrap") o.bootstrap = val();
    else if (a == "--topic") o.topic = val();
    else if (a == "--record-size") o.record_size = std::stoull(val());
    else if (a == "--count") o.count = std::stoull(val());
    else if (a == "--duration") o.duration = std::stod(val());
    else if (a == "--rate") { auto v = val(); o.rate = v == "max" ? 0 : std::stod(v); }
    else if (a == "--keys") o.keys = std::stoull(val());
    else if (a == "--acks") o.acks = val();
    else if (a == "--compression") o.compression = val();
    else if (a == "--linger-ms") o.linger_ms = std::stoi(val());
    else if (a == "--batch-size") { o.batch_size = std::stoi(val()); o.batch_size_given = true; }
    else if (a == "--inflight") { o.inflight = std::max(1, std::stoi(val())); o.inflight_given = true; }
    else if (a == "--partition-max-bytes") o.partition_max_bytes = std::max(1, std::stoi(val()));
    else if (a == "--threads") o.threads = std::max(1, std::stoi(val()));
    else if (a == "--partitions") o.partitions = std::stoi(val());
    else if (a == "--warmup") o.warmup = std::stod(val());
    else if (a == "--topic-config") o.topic_configs.push_back(kv(val()));
    else if (a == "-X") o.client_props.push_back(kv(val()));
    else if (a == "-h" || a == "--help") usage(nullptr);
    else usage(("unknown option " + a).c_str());
  }
  if (o.mode == "probe") return o;
  if (o.mode == "raw-fetch") {
    if (o.count) usage("raw-fetch reads to the high watermark (or --duration); no --count");
    if (!o.inflight_given) o.inflight = 1;
    return o;
  }
  if (o.mode != "consume" && o.count == 0 && o.duration <= 0) o.count = 1000000;
  if (o.mode == "e2e" && o.rate <= 0) usage("e2e needs a fixed --rate");
  if (o.mode == "e2e" && o.record_size < 8) o.record_size = 8;
  if (o.mode == "raw-produce") {
    if (!o.batch_size_given) o.batch_size = 65536;
    if (o.acks == "0") usage("raw-produce needs acks 1 or all (it counts responses)");
    if (o.rate > 0) usage("raw-produce sends as fast as the broker answers (--rate max)");
    if (o.compression != "none") usage("raw-produce sends uncompressed batches");
    if (o.keys) usage("raw-produce sends null keys");
  }
  return o;
}

void set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "loadgen: %s=%s: %s\n", k.c_str(), v.c_str(), err);
    std::exit(2);
  }
}

rd_kafka_conf_t* base_conf(const Options& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.bootstrap);
  set(conf, "client.id", "moldau-loadgen");
  return conf;
}

void apply_client_props(rd_kafka_conf_t* conf, const Options& o) {
  for (auto& [k, v] : o.client_props) set(conf, k, v);
}

rd_kafka_t* make_producer(const Options& o, void* opaque,
                          void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*)) {
  rd_kafka_conf_t* conf = base_conf(o);
  set(conf, "acks", o.acks);
  set(conf, "compression.type", o.compression);
  set(conf, "linger.ms", std::to_string(o.linger_ms));
  set(conf, "batch.size", std::to_string(o.batch_size));
  set(conf, "enable.idempotence", "false");
  set(conf, "queue.buffering.max.messages", "1000000");
  set(conf, "queue.buffering.max.kbytes", "1048576");
  set(conf, "message.timeout.ms", "30000");
  apply_client_props(conf, o);
  if (dr) rd_kafka_conf_set_dr_msg_cb(conf, dr);
  rd_kafka_conf_set_opaque(conf, opaque);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "loadgen: producer: %s\n", err);
    std::exit(1);
  }
  return rk;
}

rd_kafka_t* make_consumer(const Options& o) {
  rd_kafka_conf_t* conf = base_conf(o);
  // assign() needs no group, but librdkafka's consumer_poll() wants a group.id; the
  // group is never joined (no subscribe, no commits).
  set(conf, "group.id", "moldau-loadgen-" + std::to_string(getpid()));
  set(conf, "enable.partition.eof", "true");
  set(conf, "enable.auto.commit", "false");
  set(conf, "auto.offset.reset", "earliest");
  apply_client_props(conf, o);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "loadgen: consumer: %s\n", err);
    std::exit(1);
  }
  return rk;
}

// Creates the topic (if --partitions) and waits until its metadata shows every
// partition with a leader. Returns the partition count.
int prepare_topic(const Options& o) {
  rd_kafka_t* rk = make_producer(o, nullptr, nullptr);
  if (o.partitions > 0) {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, 1, err, sizeof err);
    if (!nt) {
      std::fprintf(stderr, "loadgen: NewTopic: %s\n", err);
      std::exit(1);
    }
    for (auto& [k, v] : o.topic_configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t* ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(ao, 30000, err, sizeof err);
    rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 60000);
    if (!ev) {
      std::fprintf(stderr, "loadgen: CreateTopics timed out\n");
      std::exit(1);
    }
    if (rd_kafka_event_error(ev)) {
      std::fprintf(stderr, "loadgen: CreateTopics: %s\n", rd_kafka_event_error_string(ev));
      std::exit(1);
    }
    size_t n = 0;
    const rd_kafka_topic_result_t** res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
      if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        std::fprintf(stderr, "loadgen: CreateTopics %s: %s\n", o.topic.c_str(),
                     rd_kafka_topic_result_error_string(res[i]));
        std::exit(1);
      }
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
  }
  int parts = 0;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  const uint64_t give_up = now_ns() + 60000000000ull;  // 60 s
  while (now_ns() < give_up) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bool ok = md->topic_cnt == 1 && md->topics[0].err == 0 && md->topics[0].partition_cnt > 0;
      if (ok) {
        for (int p = 0; p < md->topics[0].partition_cnt; ++p)
          if (md->topics[0].partitions[p].leader < 0 || md->topics[0].partitions[p].err) ok = false;
      }
      if (ok) parts = md->topics[0].partition_cnt;
      rd_kafka_metadata_destroy(md);
      if (parts > 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  if (parts == 0) {
    std::fprintf(stderr, "loadgen: topic %s has no usable metadata\n", o.topic.c_str());
    std::exit(1);
  }
  return parts;
}

void fill_payload(std::string& buf, size_t n, uint64_t seed) {
  // Letters from a 16-symbol alphabet: compressible about 2:1, not trivially.
  buf.resize(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    buf[i] = static_cast<char>('a' + (x & 15));
  }
}

// ---------------------------------------------------------------- producing
struct ProducerState {
  Histogram hist;          // ack latency, µs
  uint64_t acked = 0;
  uint64_t acked_bytes = 0;
  uint64_t errors = 0;
  uint64_t sent = 0;
  uint64_t first_error_logged = 0;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<ProducerState*>(opaque);
  if (m->err) {
    if (st->errors++ < 3) std::fprintf(stderr, "loadgen: delivery failed: %s\n", rd_kafka_err2str(m->err));
    return;
  }
  st->acked++;
  st->acked_bytes += m->len + m->key_len;
  uint64_t sent = reinterpret_cast<uint64_t>(m->_private);
  uint64_t now = now_ns();
  st->hist.record(now > sent ? (now - sent) / 1000 : 0);
}

struct Shared {
  std::atomic<bool> stop{false};
  uint64_t start_ns = 0;
  uint64_t warm_until_ns = 0;
};

void produce_thread(const Options& o, int idx, uint64_t my_count, double my_rate, Shared& sh,
                    ProducerState& st, bool stamp) {
  rd_kafka_t* rk = make_producer(o, &st, on_delivery);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  std::string payload;
  fill_payload(payload, o.record_size, idx + 1);
  std::vector<std::string> keys;
  for (uint64_t k = 0; k < o.keys; ++k) keys.push_back("key-" + std::to_string(k));
  const uint64_t deadline = o.duration > 0 ? sh.start_ns + static_cast<uint64_t>(o.duration * 1e9) : UINT64_MAX;
  const double interval_ns = my_rate > 0 ? 1e9 / my_rate : 0;
  uint64_t i = 0;
  for (; my_count == 0 || i < my_count; ++i) {
    uint64_t now = now_ns();
    if ((i & 255) == 0 && now >= deadline) break;
    if (interval_ns > 0) {
      uint64_t due = sh.start_ns + static_cast<uint64_t>(i * interval_ns);
      while (now < due) {
        if (now >= deadline) break;
        uint64_t gap = due - now;
        if (gap > 200000) rd_kafka_poll(rk, static_cast<int>(std::min<uint64_t>(gap / 1000000, 5)));
        else if (gap > 20000) {
          // Serve delivery reports while pacing: they are timestamped when served.
          rd_kafka_poll(rk, 0);
          std::this_thread::sleep_for(std::chrono::nanoseconds(gap));
        }
        now = now_ns();
      }
      if (now >= deadline) break;
    }
    if (stamp) std::memcpy(payload.data(), &now, sizeof now);
    const std::string* key = keys.empty() ? nullptr : &keys[i % keys.size()];
    for (;;) {
      int rc = rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload.data(),
                                payload.size(), key ? key->data() : nullptr, key ? key->size() : 0,
                                reinterpret_cast<void*>(now));
      if (rc == 0) break;
      if (rd_kafka_last_error() == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 1);
        now = now_ns();
        if (stamp) std::memcpy(payload.data(), &now, sizeof now);
        continue;
      }
      std::fprintf(stderr, "loadgen: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      st.errors++;
      break;
    }
    // Delivery reports are timestamped when rd_kafka_poll serves them: poll often
    // enough that the ack latency is not the polling interval (every 1,024 records
    // made it ~200 ms at 5,000 records/s).
    if ((i & 63) == 0) rd_kafka_poll(rk, 0);
  }
  st.sent = i;
  while (rd_kafka_outq_len(rk) > 0) {
    if (rd_kafka_flush(rk, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (now_ns() > (deadline == UINT64_MAX ? now_ns() : deadline) + 120000000000ull) break;
  }
  rd_kafka_poll(rk, 0);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
}

// ---------------------------------------------------------------- consuming
struct ConsumerState {
  Histogram hist;          // e2e latency, µs
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  uint64_t last_ns = 0;
};

void consume_loop(const Options& o, rd_kafka_t* rk, int nparts_assigned, uint64_t want, Shared& sh,
                  ConsumerState& st, bool e2e, const std::atomic<uint64_t>* produced,
                  const std::atomic<bool>* producers_done) {
  int eofs = 0;
  const uint64_t deadline =
      (!e2e && o.duration > 0) ? sh.start_ns + static_cast<uint64_t>(o.duration * 1e9) : UINT64_MAX;
  uint64_t idle_since = 0;
  for (;;) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    uint64_t now = now_ns();
    if (m) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (!e2e && ++eofs >= nparts_assigned && want == 0) { rd_kafka_message_destroy(m); break; }
      } else if (m->err) {
        if (st.errors++ < 3) std::fprintf(stderr, "loadgen: consume: %s\n", rd_kafka_message_errstr(m));
      } else {
        st.records++;
        st.bytes += m->len + m->key_len;
        st.last_ns = now;
        if (e2e && m->len >= 8) {
          uint64_t sent;
          std::memcpy(&sent, m->payload, sizeof sent);
          if (sent >= sh.warm_until_ns && now > sent) st.hist.record((now - sent) / 1000);
        }
      }
      rd_kafka_message_destroy(m);
      idle_since = 0;
    } else if (idle_since == 0) {
      idle_since = now;
    }
    if (want && st.records >= want) break;
    if (now >= deadline) break;
    if (e2e && producers_done->load() && st.records >= produced->load()) break;
    if (e2e && producers_done->load() && idle_since && now - idle_since > 10000000000ull) break;
    if (!e2e && idle_since && now - idle_since > 30000000000ull) break;
  }
}

std::vector<int> partitions_of(int nparts, int idx, int nthreads) {
  std::vector<int> v;
  for (int p = idx; p < nparts; p += nthreads) v.push_back(p);
  return v;
}

void print_hist(const char* name, const Histogram& h) {
  std::printf(",\"%s\":{\"count\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p99\":%" PRIu64
              ",\"p999\":%" PRIu64 ",\"max\":%" PRIu64 ",\"mean\":%.1f}",
              name, h.count(), h.percentile(0.50), h.percentile(0.99), h.percentile(0.999), h.max(),
              h.mean());
}

void print_common(const Options& o, const char* mode, uint64_t records, uint64_t bytes, double secs,
                  uint64_t errors) {
  std::printf("{\"mode\":\"%s\",\"topic\":\"%s\",\"record_size\":%zu,\"threads\":%d,\"acks\":\"%s\","
              "\"compression\":\"%s\",\"records\":%" PRIu64 ",\"bytes\":%" PRIu64
              ",\"seconds\":%.3f,\"records_per_s\":%.1f,\"mb_per_s\":%.2f,\"errors\":%" PRIu64,
              mode, o.topic.c_str(), o.record_size, o.threads, o.acks.c_str(), o.compression.c_str(),
              records, bytes, secs, secs > 0 ? records / secs : 0.0, secs > 0 ? bytes / secs / 1e6 : 0.0,
              errors);
}

int run_produce(const Options& o) {
  prepare_topic(o);
  Shared sh;
  std::vector<std::unique_ptr<ProducerState>> states;
  std::vector<std::thread> threads;
  sh.start_ns = now_ns();
  for (int t = 0; t < o.threads; ++t) {
    states.push_back(std::make_unique<ProducerState>());
    uint64_t c = o.count ? o.count / o.threads + (t < static_cast<int>(o.count % o.threads) ? 1 : 0) : 0;
    double r = o.rate > 0 ? o.rate / o.threads : 0;
    threads.emplace_back(produce_thread, std::cref(o), t, c, r, std::ref(sh), std::ref(*states[t]), false);
  }
  for (auto& th : threads) th.join();
  double secs = (now_ns() - sh.start_ns) / 1e9;
  Histogram h;
  uint64_t acked = 0, bytes = 0, errors = 0;
  for (auto& s : states) { h.merge(s->hist); acked += s->acked; bytes += s->acked_bytes; errors += s->errors; }
  print_common(o, "produce", acked, bytes, secs, errors);
  print_hist("lat_us", h);
  std::printf("}\n");
  return errors ? 1 : 0;
}

int run_consume(const Options& o) {
  int nparts = prepare_topic(o);
  Shared sh;
  int nthreads = std::min(o.threads, nparts);
  std::vector<std::unique_ptr<ConsumerState>> states;
  std::vector<std::thread> threads;
  sh.start_ns = now_ns();
  for (int t = 0; t < nthreads; ++t) {
    states.push_back(std::make_unique<ConsumerState>());
    uint64_t want = o.count ? o.count / nthreads + (t < static_cast<int>(o.count % nthreads) ? 1 : 0) : 0;
    threads.emplace_back([&, t, want] {
      rd_kafka_t* rk = make_consumer(o);
      auto parts = partitions_of(nparts, t, nthreads);
      rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
      for (int p : parts)
        rd_kafka_topic_partition_list_add(l, o.topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
      rd_kafka_assign(rk, l);
      rd_kafka_topic_partition_list_destroy(l);
      consume_loop(o, rk, static_cast<int>(parts.size()), want, sh, *states[t], false, nullptr, nullptr);
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    });
  }
  for (auto& th : threads) th.join();
  uint64_t recs = 0, bytes = 0, errors = 0, last = sh.start_ns;
  for (auto& s : states) { recs += s->records; bytes += s->bytes; errors += s->errors; last = std::max(last, s->last_ns); }
  double secs = (last - sh.start_ns) / 1e9;
  print_common(o, "consume", recs, bytes, secs, errors);
  std::printf("}\n");
  return errors ? 1 : 0;
}

int run_raw_produce(const Options& o) {
  int nparts = prepare_topic(o);
  std::string value;
  fill_payload(value, o.record_size, 1);
  // Record overhead in a batch: ~7-10 bytes of varints and attributes.
  const int per_batch = std::max(1, static_cast<int>(o.batch_size / (o.record_size + 10)));
  const int64_t ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  auto batch = loadgen::raw::build_batch(value, per_batch, ts);
  auto request = loadgen::raw::build_request(o.topic, nparts, o.acks == "all" || o.acks == "-1" ? -1 : 1, batch);
  std::fprintf(stderr, "loadgen: raw-produce: %d partitions x %d records (%zu-byte batches), %zu-byte requests, "
               "%d connection(s) x %d in flight\n", nparts, per_batch, batch.size(), request.size(), o.threads,
               o.inflight);
  const int per_request = per_batch * nparts;
  // Kafka lists a new partition's leader a moment before it accepts produces
  // (NOT_LEADER_OR_FOLLOWER): probe with 1-record batches until every partition
  // answers without error (bounded), so the measured run starts on a ready topic.
  {
    auto probe = loadgen::raw::build_request(o.topic, nparts, 1, loadgen::raw::build_batch(value, 1, ts));
    const uint64_t give_up = now_ns() + 60000000000ull;
    for (int attempt = 0;; ++attempt) {
      loadgen::raw::ConnStats ps;
      loadgen::raw::run_connection(o.bootstrap, probe, 1, 1, UINT64_MAX, nparts, o.record_size, now_ns, ps);
      if (ps.errors == 0 && ps.requests == 1) break;
      if (now_ns() > give_up) {
        std::fprintf(stderr, "loadgen: raw-produce: partitions still answer errors after 60 s\n");
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  std::vector<std::unique_ptr<loadgen::raw::ConnStats>> states;
  std::vector<std::thread> threads;
  const uint64_t start = now_ns();
  const uint64_t deadline = o.duration > 0 ? start + static_cast<uint64_t>(o.duration * 1e9) : UINT64_MAX;
  for (int t = 0; t < o.threads; ++t) {
    states.push_back(std::make_unique<loadgen::raw::ConnStats>());
    // --count is in records: whole requests, split among the connections.
    uint64_t reqs = 0;
    if (o.count) {
      uint64_t total = (o.count + per_request - 1) / per_request;
      reqs = std::max<uint64_t>(1, total / o.threads + (t < static_cast<int>(total % o.threads) ? 1 : 0));
    }
    threads.emplace_back([&, t, reqs] {
      loadgen::raw::run_connection(o.bootstrap, request, o.inflight, reqs, deadline, per_request, o.record_size,
                                   now_ns, *states[t]);
    });
  }
  for (auto& th : threads) th.join();
  Histogram h;
  uint64_t recs = 0, bytes = 0, errors = 0, last = start, reqs = 0;
  for (auto& s : states) {
    h.merge(s->hist); recs += s->records; bytes += s->bytes; errors += s->errors; reqs += s->requests;
    last = std::max(last, s->last_ns);
  }
  double secs = (last - start) / 1e9;
  print_common(o, "raw-produce", recs, bytes, secs, errors);
  std::printf(",\"requests\":%" PRIu64 ",\"request_bytes\":%zu,\"inflight\":%d", reqs, request.size(), o.inflight);
  print_hist("lat_us", h);
  std::printf("}\n");
  return errors ? 1 : 0;
}

double process_cpu_secs() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int run_raw_fetch(const Options& o) {
  const int nparts = prepare_topic(o);
  // Where each partition starts and ends (untimed): librdkafka's watermark query
  // (ListOffsets earliest and latest). The run reads up to the end seen here.
  std::vector<loadgen::rawfetch::Part> all(static_cast<size_t>(nparts));
  {
    rd_kafka_t* rk = make_producer(o, nullptr, nullptr);
    for (int p = 0; p < nparts; ++p) {
      int64_t lo = 0, hi = 0;
      rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, o.topic.c_str(), p, &lo, &hi, 10000);
      if (err) {
        std::fprintf(stderr, "loadgen: raw-fetch: watermarks of partition %d: %s\n", p, rd_kafka_err2str(err));
        std::exit(1);
      }
      all[static_cast<size_t>(p)] = {p, lo, hi};
    }
    rd_kafka_destroy(rk);
  }
  uint64_t expect = 0;
  for (auto& p : all) expect += static_cast<uint64_t>(p.end - p.next);
  const int nthreads = std::min(o.threads, nparts);
  std::fprintf(stderr, "loadgen: raw-fetch: %d partitions, %" PRIu64 " records to read, %d connection(s) x %d "
               "in flight, %d bytes per partition\n", nparts, expect, nthreads, o.inflight, o.partition_max_bytes);
  std::vector<std::vector<loadgen::rawfetch::Part>> mine(static_cast<size_t>(nthreads));
  for (int t = 0; t < nthreads; ++t)
    for (int p : partitions_of(nparts, t, nthreads)) mine[static_cast<size_t>(t)].push_back(all[static_cast<size_t>(p)]);
  std::vector<std::unique_ptr<loadgen::rawfetch::Stats>> states;
  std::vector<std::thread> threads;
  const double cpu0 = process_cpu_secs();
  const uint64_t start = now_ns();
  const uint64_t deadline = o.duration > 0 ? start + static_cast<uint64_t>(o.duration * 1e9) : UINT64_MAX;
  for (int t = 0; t < nthreads; ++t) {
    states.push_back(std::make_unique<loadgen::rawfetch::Stats>());
    threads.emplace_back([&, t] {
      loadgen::rawfetch::run_connection(o.bootstrap, o.topic, mine[static_cast<size_t>(t)], o.inflight,
                                        o.partition_max_bytes, nparts, deadline, now_ns, *states[static_cast<size_t>(t)]);
    });
  }
  for (auto& th : threads) th.join();
  const double client_cpu = process_cpu_secs() - cpu0;
  Histogram h;
  uint64_t recs = 0, bytes = 0, errors = 0, last = start, reqs = 0, batches = 0;
  for (auto& s : states) {
    h.merge(s->hist); recs += s->records; bytes += s->bytes; errors += s->errors; reqs += s->requests;
    batches += s->batches; last = std::max(last, s->last_ns);
  }
  const double secs = (last - start) / 1e9;
  print_common(o, "raw-fetch", recs, bytes, secs, errors);
  std::printf(",\"expected_records\":%" PRIu64 ",\"requests\":%" PRIu64 ",\"batches\":%" PRIu64
              ",\"inflight\":%d,\"partition_max_bytes\":%d,\"client_cpu_s\":%.2f",
              expect, reqs, batches, o.inflight, o.partition_max_bytes, client_cpu);
  print_hist("lat_us", h);
  std::printf("}\n");
  // Short of the end without --duration: something went wrong (errors say what).
  return (errors || (o.duration <= 0 && recs < expect)) ? 1 : 0;
}

int run_e2e(const Options& o) {
  int nparts = prepare_topic(o);
  Shared sh;
  ConsumerState cs;
  std::atomic<uint64_t> produced{0};
  std::atomic<bool> done{false};
  std::atomic<bool> ready{false};
  std::thread consumer([&] {
    rd_kafka_t* rk = make_consumer(o);
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(nparts);
    for (int p = 0; p < nparts; ++p)
      rd_kafka_topic_partition_list_add(l, o.topic.c_str(), p)->offset = RD_KAFKA_OFFSET_END;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    // Poll until every partition has resolved its position (the first EOF each).
    int eofs = 0;
    uint64_t until = now_ns() + 15000000000ull;
    while (eofs < nparts && now_ns() < until) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) ++eofs;
      rd_kafka_message_destroy(m);
    }
    ready = true;
    consume_loop(o, rk, nparts, 0, sh, cs, true, &produced, &done);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  });
  while (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // The machine's scheduling noise during the run: how late a 1 ms sleep wakes up.
  // On a loaded, shared machine this floor, not the broker, can set the e2e p99.
  Histogram oversleep;
  std::thread sleeper([&] {
    while (!done) {
      uint64_t t0 = now_ns();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      uint64_t late = now_ns() - t0;
      if (t0 >= sh.warm_until_ns) oversleep.record(late > 1000000 ? (late - 1000000) / 1000 : 0);
    }
  });
  std::vector<std::unique_ptr<ProducerState>> states;
  std::vector<std::thread> threads;
  sh.start_ns = now_ns();
  sh.warm_until_ns = sh.start_ns + static_cast<uint64_t>(o.warmup * 1e9);
  for (int t = 0; t < o.threads; ++t) {
    states.push_back(std::make_unique<ProducerState>());
    uint64_t c = o.count ? o.count / o.threads + (t < static_cast<int>(o.count % o.threads) ? 1 : 0) : 0;
    threads.emplace_back(produce_thread, std::cref(o), t, c, o.rate / o.threads, std::ref(sh),
                         std::ref(*states[t]), true);
  }
  for (auto& th : threads) th.join();
  Histogram ack;
  uint64_t acked = 0, errors = 0;
  for (auto& s : states) { ack.merge(s->hist); acked += s->acked; errors += s->errors; }
  produced = acked;
  done = true;
  consumer.join();
  sleeper.join();
  double secs = (cs.last_ns > sh.start_ns ? cs.last_ns - sh.start_ns : 0) / 1e9;
  print_common(o, "e2e", cs.records, cs.bytes, secs, errors + cs.errors);
  std::printf(",\"produced\":%" PRIu64 ",\"target_rate\":%.1f", acked, o.rate);
  print_hist("lat_us", cs.hist);
  print_hist("ack_lat_us", ack);
  print_hist("oversleep_us", oversleep);
  std::printf("}\n");
  return (errors || cs.records < acked) ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  int rc = 0;
  if (o.mode == "produce") rc = run_produce(o);
  else if (o.mode == "consume") rc = run_consume(o);
  else if (o.mode == "raw-produce") rc = run_raw_produce(o);
  else if (o.mode == "raw-fetch") rc = run_raw_fetch(o);
  else if (o.mode == "probe") {
    const uint64_t t0 = now_ns();
    const bool ok = loadgen::raw::probe_first_ack(o.bootstrap, o.topic,
                                                  t0 + static_cast<uint64_t>((o.duration > 0 ? o.duration : 60) * 1e9),
                                                  now_ns);
    std::printf("{\"mode\":\"probe\",\"acknowledged\":%s,\"ms\":%.1f}\n", ok ? "true" : "false",
                (now_ns() - t0) / 1e6);
    rc = ok ? 0 : 1;
  }
  else rc = run_e2e(o);
  std::fflush(stdout);
  return rc;
}
