// librdkafka's C++ API (rdkafkacpp.h) against a broker: produces keyed records with
// one codec and acks=all to a topic that already exists, then reads every partition
// back with RdKafka::KafkaConsumer (assign, no group membership), and checks content,
// headers, offsets against the delivery reports, per-partition order and per-key order.
//
//   moldau_cpp_client_check BOOTSTRAP TOPIC CODEC COUNT PARTITIONS
//
// Exit status 0 when everything matched; 1 (with every mismatch on stderr, at most
// kMaxReported of them) otherwise; 2 for bad arguments. Every wait is bounded.
// tests/test_produce_fetch_cpp.py runs it.
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr int kKeys = 16;
constexpr int kMaxCount = 1000000;
constexpr int kMaxPartitions = 1000;
constexpr int kMaxReported = 20;
constexpr auto kProduceTimeout = std::chrono::seconds(60);
constexpr auto kConsumeTimeout = std::chrono::seconds(90);

struct Sent {
  std::string key;
  std::string value;
  int seq = 0;
};

struct Delivered {
  int32_t partition = -1;
  int64_t offset = -1;
  int seq = -1;
};

int g_errors = 0;

template <typename... Args>
void fail(const char* fmt, Args... args) {
  if (++g_errors <= kMaxReported) {
    std::fprintf(stderr, "mismatch: ");
    std::fprintf(stderr, fmt, args...);
    std::fprintf(stderr, "\n");
  }
}

std::string key_of(int seq) { return "key-" + std::to_string(seq % kKeys); }

std::string value_of(const std::string& codec, int seq) {
  // Repetitive enough that every codec has something to compress.
  std::string v = "cpp-" + codec + "-" + std::to_string(seq) + "-";
  for (int i = 0; i < 8; ++i) v += "payload-" + std::to_string(seq % 97) + ";";
  return v;
}

class DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  std::vector<Delivered> delivered;
  int failed = 0;

  void dr_cb(RdKafka::Message& m) override {
    int seq = static_cast<int>(reinterpret_cast<intptr_t>(m.msg_opaque()));
    if (m.err() != RdKafka::ERR_NO_ERROR) {
      if (++failed <= kMaxReported) {
        std::fprintf(stderr, "delivery of record %d failed: %s\n", seq, m.errstr().c_str());
      }
      return;
    }
    delivered.push_back({m.partition(), m.offset(), seq});
  }
};

bool set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string err;
  if (conf.set(name, value, err) != RdKafka::Conf::CONF_OK) {
    std::fprintf(stderr, "config %s=%s: %s\n", name.c_str(), value.c_str(), err.c_str());
    return false;
  }
  return true;
}

// Produces `count` records; returns the delivery reports indexed by seq (partition -1
// where a record was not delivered).
std::vector<Delivered> produce(const std::string& bootstrap, const std::string& topic,
                               const std::string& codec, const std::vector<Sent>& sent) {
  std::vector<Delivered> by_seq(sent.size());
  DeliveryReports dr;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (!set(*conf, "bootstrap.servers", bootstrap) || !set(*conf, "compression.codec", codec) ||
      !set(*conf, "acks", "all") || !set(*conf, "linger.ms", "5") ||
      !set(*conf, "message.timeout.ms", "30000") || !set(*conf, "socket.timeout.ms", "10000")) {
    std::exit(2);
  }
  std::string err;
  if (conf->set("dr_cb", &dr, err) != RdKafka::Conf::CONF_OK) {
    std::fprintf(stderr, "dr_cb: %s\n", err.c_str());
    std::exit(2);
  }
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  if (!producer) {
    std::fprintf(stderr, "cannot create the producer: %s\n", err.c_str());
    std::exit(1);
  }
  const auto deadline = std::chrono::steady_clock::now() + kProduceTimeout;
  for (const auto& s : sent) {
    auto hdrs = RdKafka::Headers::create();
    hdrs->add("seq", std::to_string(s.seq));
    for (;;) {
      RdKafka::ErrorCode e = producer->produce(
          topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(s.value.data()), s.value.size(), s.key.data(), s.key.size(), 0, hdrs,
          reinterpret_cast<void*>(static_cast<intptr_t>(s.seq)));
      if (e == RdKafka::ERR_NO_ERROR) break;  // the producer owns hdrs now
      if (e != RdKafka::ERR__QUEUE_FULL || std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "produce of record %d: %s\n", s.seq, RdKafka::err2str(e).c_str());
        delete hdrs;
        std::exit(1);
      }
      producer->poll(100);
    }
    producer->poll(0);
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (producer->flush(std::max<int>(1000, static_cast<int>(left.count()))) != RdKafka::ERR_NO_ERROR) {
    std::fprintf(stderr, "flush timed out with %d records outstanding\n", producer->outq_len());
    std::exit(1);
  }
  if (dr.failed) fail("%d of %zu records were not delivered", dr.failed, sent.size());
  for (const auto& d : dr.delivered) {
    if (d.seq < 0 || size_t(d.seq) >= sent.size() || by_seq[d.seq].partition != -1) {
      fail("delivery report for an unknown or repeated record %d", d.seq);
      continue;
    }
    by_seq[d.seq] = d;
  }
  return by_seq;
}

struct Received {
  int32_t partition;
  int64_t offset;
  std::string key;
  std::string value;
  std::string seq_header;
};

std::vector<Received> consume(const std::string& bootstrap, const std::string& topic, int partitions,
                              size_t count) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  // KafkaConsumer insists on a group.id; with assign() and no commits it is never joined.
  if (!set(*conf, "bootstrap.servers", bootstrap) ||
      !set(*conf, "group.id", "moldau-cpp-check-" + topic) || !set(*conf, "enable.auto.commit", "false") ||
      !set(*conf, "auto.offset.reset", "earliest") || !set(*conf, "socket.timeout.ms", "10000")) {
    std::exit(2);
  }
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) {
    std::fprintf(stderr, "cannot create the consumer: %s\n", err.c_str());
    std::exit(1);
  }
  std::vector<RdKafka::TopicPartition*> tps;
  for (int p = 0; p < partitions; ++p) {
    tps.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  RdKafka::ErrorCode e = consumer->assign(tps);
  RdKafka::TopicPartition::destroy(tps);
  if (e != RdKafka::ERR_NO_ERROR) {
    std::fprintf(stderr, "assign: %s\n", RdKafka::err2str(e).c_str());
    std::exit(1);
  }
  std::vector<Received> out;
  const auto deadline = std::chrono::steady_clock::now() + kConsumeTimeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) continue;
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      fail("consume error: %s", m->errstr().c_str());
      continue;
    }
    Received r{m->partition(), m->offset(), m->key() ? *m->key() : std::string("<null>"),
               std::string(static_cast<const char*>(m->payload()), m->len()), ""};
    if (RdKafka::Headers* h = m->headers()) {
      for (const auto& hdr : h->get("seq")) {
        r.seq_header.assign(static_cast<const char*>(hdr.value()), hdr.value_size());
      }
    }
    out.push_back(std::move(r));
  }
  if (out.size() < count) fail("read %zu of %zu records within the time limit", out.size(), count);
  consumer->close();
  return out;
}

void verify(const std::vector<Sent>& sent, const std::vector<Delivered>& by_seq,
            const std::vector<Received>& got, int partitions) {
  std::map<std::pair<int32_t, int64_t>, int> seq_at;  // (partition, offset) -> seq
  for (const auto& d : by_seq) {
    if (d.partition < 0) continue;
    if (!seq_at.emplace(std::make_pair(d.partition, d.offset), d.seq).second) {
      fail("two records delivered at partition %d offset %lld", d.partition, (long long)d.offset);
    }
  }
  std::map<int32_t, int64_t> next_offset;   // per partition: offsets start at 0, no gaps
  std::map<std::string, int> last_seq;      // per key: seqs only increase
  std::map<std::string, int32_t> key_partition;
  std::set<int> seen;
  for (const auto& r : got) {
    if (r.partition < 0 || r.partition >= partitions) {
      fail("record from partition %d", r.partition);
      continue;
    }
    int64_t& expect = next_offset[r.partition];
    if (r.offset != expect) {
      fail("partition %d: offset %lld after %lld", r.partition, (long long)r.offset, (long long)expect - 1);
    }
    expect = r.offset + 1;
    auto it = seq_at.find({r.partition, r.offset});
    if (it == seq_at.end()) {
      fail("partition %d offset %lld: no record was delivered there", r.partition, (long long)r.offset);
      continue;
    }
    const Sent& s = sent[it->second];
    if (r.key != s.key || r.value != s.value || r.seq_header != std::to_string(s.seq)) {
      fail("partition %d offset %lld: got key %s value %s seq %s, sent key %s value %s seq %d", r.partition,
           (long long)r.offset, r.key.c_str(), r.value.c_str(), r.seq_header.c_str(), s.key.c_str(),
           s.value.c_str(), s.seq);
    }
    if (!seen.insert(s.seq).second) fail("record %d read twice", s.seq);
    auto [kp, first] = key_partition.emplace(s.key, r.partition);
    if (!first && kp->second != r.partition) {
      fail("key %s on partitions %d and %d", s.key.c_str(), kp->second, r.partition);
    }
    auto ls = last_seq.find(s.key);
    if (ls != last_seq.end() && ls->second >= s.seq) {
      fail("key %s: record %d read after record %d", s.key.c_str(), s.seq, ls->second);
    }
    last_seq[s.key] = s.seq;
  }
  if (seen.size() != sent.size()) fail("read %zu distinct records of %zu sent", seen.size(), sent.size());
  if (int(next_offset.size()) != partitions && int(sent.size()) >= 4 * kKeys) {
    fail("records landed on %zu of %d partitions (%d keys)", next_offset.size(), partitions, kKeys);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP TOPIC CODEC COUNT PARTITIONS\n", argv[0]);
    return 2;
  }
  const std::string bootstrap = argv[1], topic = argv[2], codec = argv[3];
  const int count = std::atoi(argv[4]);
  const int partitions = std::atoi(argv[5]);
  if (count <= 0 || count > kMaxCount || partitions <= 0 || partitions > kMaxPartitions) {
    std::fprintf(stderr, "COUNT must be 1..%d and PARTITIONS 1..%d\n", kMaxCount, kMaxPartitions);
    return 2;
  }
  std::vector<Sent> sent;
  sent.reserve(count);
  for (int i = 0; i < count; ++i) sent.push_back({key_of(i), value_of(codec, i), i});

  auto by_seq = produce(bootstrap, topic, codec, sent);
  auto got = consume(bootstrap, topic, partitions, sent.size());
  verify(sent, by_seq, got, partitions);
  if (g_errors) {
    std::fprintf(stderr, "%d mismatches (librdkafka %s, codec %s)\n", g_errors, RdKafka::version_str().c_str(),
                 codec.c_str());
    return 1;
  }
  std::set<int32_t> used;
  for (const auto& d : by_seq) used.insert(d.partition);
  std::printf("ok: librdkafka %s (C++), codec %s, %d records over %zu partitions, acks=all\n",
              RdKafka::version_str().c_str(), codec.c_str(), count, used.size());
  return 0;
}
