#include "metadata/records.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cassert>

namespace moldau::metadata {
namespace {

// Field encodings (docs/metadata.md "Record encoding"):
//   string           uvarint byte length, bytes
//   nullable string  uvarint (byte length + 1), bytes; 0 = null
//   int32 array      uvarint count, count × int32 big-endian
//   topic id         16 bytes

void put_string(ByteWriter& w, std::string_view s) {
  w.uvarint(uint32_t(s.size()));
  w.raw(s.data(), s.size());
}

void put_nullable(ByteWriter& w, const std::optional<std::string>& s) {
  if (!s) {
    w.uvarint(0);
    return;
  }
  w.uvarint(uint32_t(s->size() + 1));
  w.raw(s->data(), s->size());
}

void put_ints(ByteWriter& w, const std::vector<int32_t>& v) {
  assert(v.size() <= kMaxReplicas);
  w.uvarint(uint32_t(v.size()));
  for (int32_t x : v) w.i32(x);
}

void put_id(ByteWriter& w, const TopicId& id) { w.raw(id.bytes().data(), TopicId::kSize); }

// Reads fields and remembers the first problem, so that a decoder reads a
// whole record and checks once.
class FieldReader {
 public:
  explicit FieldReader(ByteSpan data) : r_(data) {}
  ByteReader& raw() { return r_; }
  bool ok() const { return r_.ok() && problem_.empty(); }
  const std::string& problem() const { return problem_; }
  void fail(std::string why) {
    if (problem_.empty()) problem_ = std::move(why);
    r_.fail();
  }

  std::string string(size_t max, const char* field) {
    uint32_t n = r_.uvarint();
    if (!r_.ok()) return {};
    if (n > max || n > r_.remaining()) {
      fail(fmt::format("{} length {} exceeds the limit or the remaining {} bytes", field, n,
                       r_.remaining()));
      return {};
    }
    const uint8_t* p = r_.take(n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::optional<std::string> nullable(size_t max, const char* field) {
    uint32_t n = r_.uvarint();
    if (!r_.ok() || n == 0) return std::nullopt;
    n -= 1;
    if (n > max || n > r_.remaining()) {
      fail(fmt::format("{} length {} exceeds the limit or the remaining {} bytes", field, n,
                       r_.remaining()));
      return std::nullopt;
    }
    const uint8_t* p = r_.take(n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::vector<int32_t> ints(const char* field) {
    uint32_t n = r_.uvarint();
    if (!r_.ok()) return {};
    if (n > kMaxReplicas || size_t(n) * 4 > r_.remaining()) {
      fail(fmt::format("{} count {} exceeds the limit or the remaining {} bytes", field, n,
                       r_.remaining()));
      return {};
    }
    std::vector<int32_t> v(n);
    for (auto& x : v) x = r_.i32();
    return v;
  }
  TopicId id() {
    const uint8_t* p = r_.take(TopicId::kSize);
    if (!p) return {};
    std::array<uint8_t, TopicId::kSize> b;
    std::copy(p, p + TopicId::kSize, b.begin());
    return TopicId(b);
  }

 private:
  ByteReader r_;
  std::string problem_;
};

void encode_fields(const RegisterBrokerRecord& r, ByteWriter& w) {
  assert(r.endpoints.size() <= kMaxEndpoints);
  w.i32(r.node_id);
  w.uvarint(uint32_t(r.endpoints.size()));
  for (const auto& e : r.endpoints) {
    put_string(w, e.listener);
    put_string(w, e.host);
    w.u16(e.port);
    w.i16(int16_t(e.security_protocol));
  }
  put_nullable(w, r.rack);
}

void encode_fields(const TopicRecord& r, ByteWriter& w) {
  assert(r.name.size() <= kMaxNameBytes);
  put_string(w, r.name);
  put_id(w, r.topic_id);
}

void encode_fields(const PartitionRecord& r, ByteWriter& w) {
  put_id(w, r.topic_id);
  w.i32(r.partition);
  put_ints(w, r.replicas);
  put_ints(w, r.isr);
  w.i32(r.leader);
  w.i32(r.leader_epoch);
  w.i32(r.partition_epoch);
}

void encode_fields(const RemoveTopicRecord& r, ByteWriter& w) { put_id(w, r.topic_id); }

void encode_fields(const ConfigRecord& r, ByteWriter& w) {
  assert(r.name.size() <= kMaxNameBytes && r.resource_name.size() <= kMaxNameBytes);
  assert(!r.value || r.value->size() <= kMaxConfigValueBytes);
  w.i8(int8_t(r.resource_type));
  put_string(w, r.resource_name);
  put_string(w, r.name);
  put_nullable(w, r.value);
}

void encode_fields(const ProducerIdsRecord& r, ByteWriter& w) {
  w.i32(r.broker_id);
  w.i64(r.broker_epoch);
  w.i64(r.next_producer_id);
}

RegisterBrokerRecord decode_register_broker(FieldReader& f) {
  RegisterBrokerRecord r;
  r.node_id = f.raw().i32();
  uint32_t n = f.raw().uvarint();
  // Each endpoint takes at least 6 bytes (two empty strings, port, protocol).
  if (n > kMaxEndpoints || size_t(n) * 6 > f.raw().remaining()) {
    f.fail(fmt::format("endpoint count {} exceeds the limit or the remaining bytes", n));
    return r;
  }
  for (uint32_t i = 0; i < n && f.ok(); ++i) {
    BrokerEndpoint e;
    e.listener = f.string(kMaxNameBytes, "listener name");
    e.host = f.string(kMaxNameBytes, "host");
    e.port = f.raw().u16();
    e.security_protocol = SecurityProtocol(f.raw().i16());
    r.endpoints.push_back(std::move(e));
  }
  r.rack = f.nullable(kMaxNameBytes, "rack");
  return r;
}

TopicRecord decode_topic(FieldReader& f) {
  TopicRecord r;
  r.name = f.string(kMaxNameBytes, "topic name");
  r.topic_id = f.id();
  return r;
}

PartitionRecord decode_partition(FieldReader& f) {
  PartitionRecord r;
  r.topic_id = f.id();
  r.partition = f.raw().i32();
  r.replicas = f.ints("replicas");
  r.isr = f.ints("isr");
  r.leader = f.raw().i32();
  r.leader_epoch = f.raw().i32();
  r.partition_epoch = f.raw().i32();
  return r;
}

RemoveTopicRecord decode_remove_topic(FieldReader& f) { return RemoveTopicRecord{f.id()}; }

ConfigRecord decode_config(FieldReader& f) {
  ConfigRecord r;
  r.resource_type = ConfigResourceType(f.raw().i8());
  r.resource_name = f.string(kMaxNameBytes, "resource name");
  r.name = f.string(kMaxNameBytes, "config name");
  r.value = f.nullable(kMaxConfigValueBytes, "config value");
  return r;
}

ProducerIdsRecord decode_producer_ids(FieldReader& f) {
  ProducerIdsRecord r;
  r.broker_id = f.raw().i32();
  r.broker_epoch = f.raw().i64();
  r.next_producer_id = f.raw().i64();
  return r;
}

Error corrupt(std::string message) { return Error{ErrorCode::kCorruptMessage, std::move(message)}; }

}  // namespace

RecordType record_type(const Record& record) {
  struct V {
    RecordType operator()(const RegisterBrokerRecord&) { return RecordType::kRegisterBroker; }
    RecordType operator()(const TopicRecord&) { return RecordType::kTopic; }
    RecordType operator()(const PartitionRecord&) { return RecordType::kPartition; }
    RecordType operator()(const RemoveTopicRecord&) { return RecordType::kRemoveTopic; }
    RecordType operator()(const ConfigRecord&) { return RecordType::kConfig; }
    RecordType operator()(const ProducerIdsRecord&) { return RecordType::kProducerIds; }
  };
  return std::visit(V{}, record);
}

std::string_view record_type_name(RecordType type) {
  switch (type) {
    case RecordType::kRegisterBroker: return "RegisterBrokerRecord";
    case RecordType::kTopic: return "TopicRecord";
    case RecordType::kPartition: return "PartitionRecord";
    case RecordType::kConfig: return "ConfigRecord";
    case RecordType::kRemoveTopic: return "RemoveTopicRecord";
    case RecordType::kProducerIds: return "ProducerIdsRecord";
  }
  return "UnknownRecord";
}

void encode_record(const Record& record, ByteWriter& out) {
  out.u16(uint16_t(record_type(record)));
  out.u16(kRecordVersion);
  std::visit([&](const auto& r) { encode_fields(r, out); }, record);
}

Bytes encode_record(const Record& record) {
  ByteWriter w;
  encode_record(record, w);
  return std::move(w.buffer());
}

Result<Record> decode_record(ByteSpan data) {
  FieldReader f(data);
  uint16_t type = f.raw().u16();
  uint16_t version = f.raw().u16();
  if (!f.ok()) return corrupt(fmt::format("metadata record of {} bytes has no header", data.size()));
  if (version > kRecordVersion) {
    return Error{ErrorCode::kUnsupportedVersion,
                 fmt::format("metadata record type {} version {} is newer than this build "
                             "understands (version {}); upgrade Moldau",
                             type, version, kRecordVersion)};
  }
  Record record;
  switch (RecordType(type)) {
    case RecordType::kRegisterBroker: record = decode_register_broker(f); break;
    case RecordType::kTopic: record = decode_topic(f); break;
    case RecordType::kPartition: record = decode_partition(f); break;
    case RecordType::kConfig: record = decode_config(f); break;
    case RecordType::kRemoveTopic: record = decode_remove_topic(f); break;
    case RecordType::kProducerIds: record = decode_producer_ids(f); break;
    default:
      return Error{ErrorCode::kUnsupportedVersion,
                   fmt::format("unknown metadata record type {} (written by a newer Moldau?)", type)};
  }
  std::string_view name = record_type_name(RecordType(type));
  if (!f.ok()) {
    return corrupt(fmt::format("malformed {}: {}", name,
                               f.problem().empty() ? "record is truncated" : f.problem()));
  }
  if (f.raw().remaining() != 0) {
    return corrupt(fmt::format("malformed {}: {} unexpected bytes after the last field", name,
                               f.raw().remaining()));
  }
  return record;
}

namespace {

std::string to_string_of(const RegisterBrokerRecord& r) {
  std::string eps;
  for (const auto& e : r.endpoints) {
    if (!eps.empty()) eps += ",";
    eps += fmt::format("{}://{}:{}", e.listener, e.host, e.port);
  }
  return fmt::format("RegisterBrokerRecord(node_id={}, endpoints=[{}], rack={})", r.node_id, eps,
                     r.rack.value_or("null"));
}
std::string to_string_of(const TopicRecord& r) {
  return fmt::format("TopicRecord(name={}, topic_id={})", r.name, r.topic_id.to_string());
}
std::string to_string_of(const PartitionRecord& r) {
  return fmt::format(
      "PartitionRecord(topic_id={}, partition={}, replicas=[{}], isr=[{}], leader={}, "
      "leader_epoch={}, partition_epoch={})",
      r.topic_id.to_string(), r.partition, fmt::join(r.replicas, ","), fmt::join(r.isr, ","),
      r.leader, r.leader_epoch, r.partition_epoch);
}
std::string to_string_of(const RemoveTopicRecord& r) {
  return fmt::format("RemoveTopicRecord(topic_id={})", r.topic_id.to_string());
}
std::string to_string_of(const ConfigRecord& r) {
  return fmt::format("ConfigRecord(resource_type={}, resource_name={}, name={}, value={})",
                     int(r.resource_type), r.resource_name, r.name,
                     r.value ? *r.value : std::string("null (delete)"));
}
std::string to_string_of(const ProducerIdsRecord& r) {
  return fmt::format("ProducerIdsRecord(broker_id={}, broker_epoch={}, next_producer_id={})",
                     r.broker_id, r.broker_epoch, r.next_producer_id);
}

}  // namespace

std::string to_string(const Record& record) {
  return std::visit([](const auto& r) { return to_string_of(r); }, record);
}

}  // namespace moldau::metadata
