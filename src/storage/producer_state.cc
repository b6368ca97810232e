#include "storage/producer_state.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "base/crc32c.h"
#include "base/endian.h"
#include "protocol/record_batch.h"

namespace moldau::storage {

namespace {

constexpr int16_t kSnapshotVersion = 1;
constexpr size_t kSnapshotHeader = 2 + 4 + 4;
constexpr size_t kEntryFixed = 8 + 2 + 4 + 8 + 8 + 1;
constexpr size_t kBatchSize = 4 + 4 + 8 + 8 + 8;

// Kafka's inSequence: the next sequence, or 0 after INT32_MAX.
bool in_sequence(int32_t last_seq, int32_t next_seq) {
  return int64_t(next_seq) == int64_t(last_seq) + 1 ||
         (next_seq == 0 && last_seq == std::numeric_limits<int32_t>::max());
}

Error err(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

void put16(Bytes& b, int16_t v) {
  size_t at = b.size();
  b.resize(at + 2);
  store_be16(b.data() + at, uint16_t(v));
}
void put32(Bytes& b, int32_t v) {
  size_t at = b.size();
  b.resize(at + 4);
  store_be32(b.data() + at, uint32_t(v));
}
void put64(Bytes& b, int64_t v) {
  size_t at = b.size();
  b.resize(at + 8);
  store_be64(b.data() + at, uint64_t(v));
}

}  // namespace

Result<ProducerBatchHeader> producer_header_of(std::span<const uint8_t> batch) {
  protocol::BatchHeaderView v(batch.data());
  ProducerBatchHeader h;
  h.producer_id = v.producer_id();
  h.producer_epoch = v.producer_epoch();
  h.base_sequence = v.base_sequence();
  h.last_offset_delta = v.last_offset_delta();
  h.max_timestamp = v.max_timestamp();
  h.transactional = v.transactional();
  h.control = v.control();
  if (h.control && h.producer_id >= 0) {
    // Control batches are tiny and uncompressed; 1 MiB bounds a broken one.
    auto records = protocol::decode_records(batch, 1 << 20);
    if (!records) return records.error();
    bool found = false;
    for (const auto& r : *records) {
      auto type = protocol::control_record_type(r.key);
      if (!type) return type.error();
      if (*type != int16_t(protocol::ControlType::kAbort) && *type != int16_t(protocol::ControlType::kCommit)) {
        continue;  // another control type (none is defined for producers yet)
      }
      auto marker = protocol::parse_end_txn_marker(r);
      if (!marker) return marker.error();
      h.commit = marker->type == protocol::ControlType::kCommit;
      h.coordinator_epoch = marker->coordinator_epoch;
      found = true;
    }
    if (!found) {  // not a transaction marker: no state change
      h.control = false;
      h.producer_id = -1;
    }
  }
  return h;
}

int32_t increment_sequence(int32_t seq, int32_t increment) {
  if (seq > std::numeric_limits<int32_t>::max() - increment) {
    return increment - (std::numeric_limits<int32_t>::max() - seq) - 1;
  }
  return seq + increment;
}

// ------------------------------------------------------------------ ProducerAppend

ProducerEntry& ProducerAppend::entry(int64_t producer_id) {
  auto it = updated_.find(producer_id);
  if (it != updated_.end()) return it->second;
  ProducerEntry e;
  if (const ProducerEntry* cur = state_.find(producer_id)) {
    e = *cur;
  } else {
    e.producer_id = producer_id;
  }
  return updated_.emplace(producer_id, std::move(e)).first->second;
}

Result<std::optional<ProducerBatch>> ProducerAppend::add(const ProducerBatchHeader& h,
                                                         int64_t first_offset) {
  if (h.producer_id < 0) return std::optional<ProducerBatch>();
  const int64_t last_offset = first_offset + h.last_offset_delta;
  ProducerEntry& e = entry(h.producer_id);
  const bool checked = origin_ != AppendOrigin::kLog;

  if (!h.control) {
    const int32_t last_seq = increment_sequence(h.base_sequence, h.last_offset_delta);
    if (origin_ == AppendOrigin::kClient && h.producer_epoch == e.epoch) {
      // A retry of one of the last batches: Kafka answers it as a success
      // with the original offsets (the wire carries NONE, not
      // DUPLICATE_SEQUENCE_NUMBER) and appends nothing.
      for (const ProducerBatch& b : e.batches) {
        if (b.first_seq == h.base_sequence && b.last_seq == last_seq) return std::optional(b);
      }
    }
    if (checked) {
      if (h.producer_epoch < e.epoch) {
        // Kafka 2.7+ answers produce with INVALID_PRODUCER_EPOCH here (not
        // PRODUCER_FENCED), so the producer can abort and carry on.
        return err(ErrorCode::kInvalidProducerEpoch,
                   fmt::format("producer {}: epoch {} is older than the current epoch {}",
                               h.producer_id, h.producer_epoch, e.epoch));
      }
      if (h.producer_epoch != e.epoch) {
        // A new epoch starts at sequence 0. A producer this partition does
        // not know (never wrote, or expired) may start anywhere: since
        // KIP-360 Kafka no longer answers UNKNOWN_PRODUCER_ID here.
        if (h.base_sequence != 0 && e.epoch != -1) {
          return err(ErrorCode::kOutOfOrderSequenceNumber,
                     fmt::format("producer {}: new epoch {} must start at sequence 0, not {}",
                                 h.producer_id, h.producer_epoch, h.base_sequence));
        }
      } else if (e.epoch != -1 && !in_sequence(e.last_seq(), h.base_sequence)) {
        // (With no batch remembered for the epoch, last_seq() is -1: only 0 follows.)
        return err(ErrorCode::kOutOfOrderSequenceNumber,
                   fmt::format("producer {} epoch {}: sequence {} does not follow {}",
                               h.producer_id, h.producer_epoch, h.base_sequence, e.last_seq()));
      }
      if (!h.transactional && e.txn_first_offset >= 0) {
        return err(ErrorCode::kInvalidTxnState,
                   fmt::format("producer {}: a non-transactional batch while its transaction "
                               "(from offset {}) is open",
                               h.producer_id, e.txn_first_offset));
      }
    }
    if (h.producer_epoch != e.epoch) {
      e.batches.clear();
      e.epoch = h.producer_epoch;
    }
    e.batches.push_back({h.base_sequence, last_seq, first_offset, last_offset, h.max_timestamp});
    while (e.batches.size() > ProducerEntry::kMaxBatches) e.batches.pop_front();
    e.last_timestamp = h.max_timestamp;
    if (h.transactional && e.txn_first_offset < 0) e.txn_first_offset = first_offset;
    return std::optional<ProducerBatch>();
  }

  // A COMMIT/ABORT marker.
  if (checked) {
    if (h.producer_epoch < e.epoch) {
      return err(ErrorCode::kInvalidProducerEpoch,
                 fmt::format("producer {}: marker epoch {} is older than the current epoch {}",
                             h.producer_id, h.producer_epoch, e.epoch));
    }
    if (e.coordinator_epoch > h.coordinator_epoch) {
      return err(ErrorCode::kTransactionCoordinatorFenced,
                 fmt::format("producer {}: marker from coordinator epoch {} is older than {}",
                             h.producer_id, h.coordinator_epoch, e.coordinator_epoch));
    }
  }
  if (h.producer_epoch != e.epoch) {
    e.batches.clear();
    e.epoch = h.producer_epoch;
  }
  if (e.txn_first_offset >= 0) {
    completed_.push_back({h.producer_id, e.txn_first_offset, last_offset, !h.commit});
  }
  e.txn_first_offset = -1;
  e.coordinator_epoch = h.coordinator_epoch;
  e.last_timestamp = h.max_timestamp;
  return std::optional<ProducerBatch>();
}

void ProducerAppend::commit(ProducerStateManager& state) {
  for (auto& [pid, e] : updated_) {
    const ProducerEntry* old = state.find(pid);
    if (old && old->txn_first_offset >= 0 && old->txn_first_offset != e.txn_first_offset) {
      state.ongoing_.erase(old->txn_first_offset);
    }
    if (e.txn_first_offset >= 0) state.ongoing_[e.txn_first_offset] = pid;
    state.producers_[pid] = std::move(e);
  }
  updated_.clear();
  for (const Completed& c : completed_) {
    if (!c.aborted) continue;
    // The LSO once this transaction is decided: the first offset of the
    // oldest transaction still open, or just past the marker.
    int64_t lso = c.last_offset + 1;
    if (!state.ongoing_.empty()) lso = std::min(lso, state.ongoing_.begin()->first);
    state.new_aborted_.push_back({c.producer_id, c.first_offset, c.last_offset, lso});
  }
  completed_.clear();
}

// ------------------------------------------------------------------ ProducerStateManager

const ProducerEntry* ProducerStateManager::find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

int64_t ProducerStateManager::last_stable_offset(int64_t high_watermark) const {
  if (ongoing_.empty()) return high_watermark;
  return std::min(high_watermark, ongoing_.begin()->first);
}

std::vector<AbortedTxn> ProducerStateManager::aborted_transactions(int64_t from_offset,
                                                                   int64_t upper_offset) const {
  std::vector<AbortedTxn> out;
  for (const auto& [base, txns] : aborted_) {
    for (const AbortedTxn& t : txns) {
      if (t.last_offset >= from_offset && t.first_offset < upper_offset) out.push_back(t);
    }
  }
  return out;
}

void ProducerStateManager::set_aborted(int64_t segment_base, std::vector<AbortedTxn> txns) {
  if (txns.empty()) {
    aborted_.erase(segment_base);
  } else {
    aborted_[segment_base] = std::move(txns);
  }
}

void ProducerStateManager::drop_aborted_from(int64_t offset) {
  for (auto it = aborted_.begin(); it != aborted_.end();) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [&](const AbortedTxn& t) { return t.last_offset >= offset; }),
            v.end());
    it = v.empty() ? aborted_.erase(it) : std::next(it);
  }
}

void ProducerStateManager::drop_aborted_segments_before(int64_t segment_base) {
  aborted_.erase(aborted_.begin(), aborted_.lower_bound(segment_base));
}

size_t ProducerStateManager::remove_expired(int64_t now_ms, int64_t expiration_ms) {
  size_t removed = 0;
  for (auto it = producers_.begin(); it != producers_.end();) {
    const ProducerEntry& e = it->second;
    if (e.txn_first_offset < 0 && now_ms - e.last_timestamp >= expiration_ms) {
      it = producers_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

void ProducerStateManager::clear() {
  producers_.clear();
  ongoing_.clear();
  new_aborted_.clear();
}

Bytes ProducerStateManager::encode_snapshot() const {
  Bytes b;
  b.reserve(kSnapshotHeader + producers_.size() * (kEntryFixed + kBatchSize));
  put16(b, kSnapshotVersion);
  put32(b, 0);  // crc, below
  put32(b, int32_t(producers_.size()));
  for (const auto& [pid, e] : producers_) {
    put64(b, pid);
    put16(b, e.epoch);
    put32(b, e.coordinator_epoch);
    put64(b, e.txn_first_offset);
    put64(b, e.last_timestamp);
    b.push_back(uint8_t(e.batches.size()));
    for (const ProducerBatch& pb : e.batches) {
      put32(b, pb.first_seq);
      put32(b, pb.last_seq);
      put64(b, pb.first_offset);
      put64(b, pb.last_offset);
      put64(b, pb.max_timestamp);
    }
  }
  store_be32(b.data() + 2, crc32c(std::span<const uint8_t>(b).subspan(6)));
  return b;
}

Status ProducerStateManager::decode_snapshot(ByteSpan bytes) {
  auto corrupt = [](std::string why) { return err(ErrorCode::kCorruptMessage, "producer snapshot: " + why); };
  if (bytes.size() < kSnapshotHeader) return corrupt("too short");
  if (int16_t(load_be16(bytes.data())) != kSnapshotVersion) {
    return corrupt(fmt::format("unknown version {}", int16_t(load_be16(bytes.data()))));
  }
  if (load_be32(bytes.data() + 2) != crc32c(bytes.subspan(6))) return corrupt("CRC mismatch");
  const int32_t count = int32_t(load_be32(bytes.data() + 6));
  if (count < 0 || count > kMaxSnapshotProducers) return corrupt(fmt::format("bad producer count {}", count));
  std::map<int64_t, ProducerEntry> producers;
  std::map<int64_t, int64_t> ongoing;
  size_t at = kSnapshotHeader;
  for (int32_t i = 0; i < count; ++i) {
    if (bytes.size() - at < kEntryFixed) return corrupt("truncated entry");
    const uint8_t* p = bytes.data() + at;
    ProducerEntry e;
    e.producer_id = int64_t(load_be64(p));
    e.epoch = int16_t(load_be16(p + 8));
    e.coordinator_epoch = int32_t(load_be32(p + 10));
    e.txn_first_offset = int64_t(load_be64(p + 14));
    e.last_timestamp = int64_t(load_be64(p + 22));
    const size_t n = p[30];
    at += kEntryFixed;
    if (e.producer_id < 0 || n > ProducerEntry::kMaxBatches) return corrupt("bad entry");
    if (bytes.size() - at < n * kBatchSize) return corrupt("truncated batches");
    for (size_t j = 0; j < n; ++j) {
      const uint8_t* q = bytes.data() + at;
      e.batches.push_back({int32_t(load_be32(q)), int32_t(load_be32(q + 4)), int64_t(load_be64(q + 8)),
                           int64_t(load_be64(q + 16)), int64_t(load_be64(q + 24))});
      at += kBatchSize;
    }
    if (e.txn_first_offset >= 0) ongoing[e.txn_first_offset] = e.producer_id;
    producers[e.producer_id] = std::move(e);
  }
  if (at != bytes.size()) return corrupt("trailing bytes");
  producers_ = std::move(producers);
  ongoing_ = std::move(ongoing);
  new_aborted_.clear();
  return {};
}

Bytes encode_aborted_txn(const AbortedTxn& t) {
  Bytes b;
  b.reserve(AbortedTxn::kSize);
  put16(b, 0);
  put64(b, t.producer_id);
  put64(b, t.first_offset);
  put64(b, t.last_offset);
  put64(b, t.last_stable_offset);
  return b;
}

std::vector<AbortedTxn> decode_aborted_txns(ByteSpan bytes) {
  std::vector<AbortedTxn> out;
  for (size_t at = 0; bytes.size() - at >= AbortedTxn::kSize; at += AbortedTxn::kSize) {
    const uint8_t* p = bytes.data() + at;
    if (load_be16(p) != 0) break;  // not an entry this version knows: stop
    out.push_back({int64_t(load_be64(p + 2)), int64_t(load_be64(p + 10)), int64_t(load_be64(p + 18)),
                   int64_t(load_be64(p + 26))});
  }
  return out;
}

}  // namespace moldau::storage
