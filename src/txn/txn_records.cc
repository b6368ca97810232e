#include "txn/txn_records.h"

#include <cassert>
#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace moldau::txn {

namespace {

constexpr std::string_view kStateNames[] = {"Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
                                            "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence"};

void write_string(ByteWriter& w, std::string_view s) {
  assert(s.size() <= kMaxRecordStringBytes);
  w.i16(int16_t(s.size()));
  w.raw(s.data(), s.size());
}

Error corrupt(std::string what) { return Error{ErrorCode::kCorruptMessage, "__transaction_state record: " + what}; }

// Reads the non-flexible (v0) or flexible (v1) encoding.
class Reader {
 public:
  Reader(ByteSpan bytes, bool flexible) : r_(bytes), flexible_(flexible) {}
  ByteReader& raw() { return r_; }
  bool ok() const { return r_.ok(); }

  std::optional<std::string> string() {
    int64_t len = flexible_ ? int64_t(r_.uvarint()) - 1 : r_.i16();
    if (!r_.ok() || len < 0) {
      r_.fail();
      return std::nullopt;
    }
    const uint8_t* p = r_.take(size_t(len));
    if (!p) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(p), size_t(len));
  }
  // -1: null.
  int64_t array_length() {
    int64_t n = flexible_ ? int64_t(r_.uvarint()) - 1 : r_.i32();
    if (!r_.ok() || n < -1) {
      r_.fail();
      return 0;
    }
    return n;
  }
  void skip_tags() {
    if (!flexible_) return;
    uint64_t n = r_.uvarint();
    for (uint64_t i = 0; i < n && r_.ok(); ++i) {
      r_.uvarint();  // tag
      uint64_t size = r_.uvarint();
      if (!r_.ok() || !r_.skip(size_t(size))) return;
    }
  }

 private:
  ByteReader r_;
  bool flexible_;
};

}  // namespace

std::string_view state_name(TxnState s) {
  auto i = size_t(s);
  return i < std::size(kStateNames) ? kStateNames[i] : std::string_view("Unknown");
}

std::optional<TxnState> state_from_id(int8_t id) {
  if (id < 0 || size_t(id) >= std::size(kStateNames)) return std::nullopt;
  return TxnState(id);
}

std::optional<TxnState> state_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kStateNames); ++i) {
    if (kStateNames[i] == name) return TxnState(i);
  }
  return std::nullopt;
}

Bytes encode_txn_key(std::string_view transactional_id) {
  ByteWriter w;
  w.i16(kTxnKeyVersion);
  write_string(w, transactional_id);
  return std::move(w.buffer());
}

Bytes encode_txn_value(const TxnLogValue& v) {
  ByteWriter w;
  w.i16(kTxnValueWriteVersion);
  w.i64(v.producer_id);
  w.i16(v.producer_epoch);
  w.i32(v.timeout_ms);
  w.i8(int8_t(v.state));
  // Grouped by topic, as Kafka writes them.
  std::map<std::string_view, std::vector<int32_t>> by_topic;
  for (const auto& tp : v.partitions) by_topic[tp.topic].push_back(tp.partition);
  w.i32(int32_t(by_topic.size()));
  for (const auto& [topic, ids] : by_topic) {
    write_string(w, topic);
    w.i32(int32_t(ids.size()));
    for (int32_t id : ids) w.i32(id);
  }
  w.i64(v.last_update_ms);
  w.i64(v.start_ms);
  return std::move(w.buffer());
}

Result<std::string> decode_txn_key(ByteSpan bytes) {
  ByteReader r(bytes);
  int16_t version = r.i16();
  if (!r.ok()) return corrupt("short key");
  if (version != kTxnKeyVersion) return corrupt(fmt::format("unknown key version {}", version));
  int16_t len = r.i16();
  if (!r.ok() || len < 0) return corrupt("bad transactional id length");
  const uint8_t* p = r.take(size_t(len));
  if (!p) return corrupt("short transactional id");
  return std::string(reinterpret_cast<const char*>(p), size_t(len));
}

Result<TxnLogValue> decode_txn_value(ByteSpan bytes) {
  ByteReader head(bytes);
  int16_t version = head.i16();
  if (!head.ok()) return corrupt("short value");
  if (version < 0 || version > kTxnValueMaxVersion) return corrupt(fmt::format("unknown value version {}", version));
  Reader r(bytes.subspan(2), version >= 1);
  TxnLogValue v;
  v.producer_id = r.raw().i64();
  v.producer_epoch = r.raw().i16();
  v.timeout_ms = r.raw().i32();
  int8_t state = r.raw().i8();
  if (!r.ok()) return corrupt("short value");
  auto s = state_from_id(state);
  if (!s) return corrupt(fmt::format("unknown transaction state {}", state));
  v.state = *s;
  int64_t topics = r.array_length();
  // Every element takes at least 2 bytes: no allocation beyond the input.
  if (!r.ok() || topics > int64_t(r.raw().remaining())) return corrupt("bad partition list");
  for (int64_t i = 0; i < topics && r.ok(); ++i) {
    auto topic = r.string();
    int64_t n = r.array_length();
    if (!r.ok() || !topic || n < 0 || n > int64_t(r.raw().remaining() / 4)) return corrupt("bad partition list");
    for (int64_t j = 0; j < n; ++j) v.partitions.push_back({*topic, r.raw().i32()});
    r.skip_tags();
  }
  v.last_update_ms = r.raw().i64();
  v.start_ms = r.raw().i64();
  r.skip_tags();
  if (!r.ok()) return corrupt("short value");
  std::sort(v.partitions.begin(), v.partitions.end());
  return v;
}

}  // namespace moldau::txn
