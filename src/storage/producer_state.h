// Per-partition producer state (idempotent and transactional producers,
// KIP-98 / KIP-360; docs/storage.md, "Producer state").
//
// For every producer id that wrote to the partition: its epoch, the metadata
// of its last kMaxBatches batches (sequence range, offset range, max
// timestamp) so that a retried batch is recognised, the timestamp of its last
// batch (for expiry), the coordinator epoch of its last transaction marker and
// the first offset of its ongoing transaction. Aborted transactions are
// listed per segment (the `.txnindex` files).
//
// A ProducerAppend stages the changes of one append: each batch is checked
// against the state as it stands after the batches before it, and nothing
// changes until commit() (so a failed write leaves the state alone).
//
// Not thread-safe: owned by a Log on the broker's event loop.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "storage/file_ops.h"

namespace moldau::storage {

// One batch a producer wrote (sequence and offset ranges).
struct ProducerBatch {
  int32_t first_seq = -1;
  int32_t last_seq = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = -1;
  friend bool operator==(const ProducerBatch&, const ProducerBatch&) = default;
};

struct ProducerEntry {
  static constexpr size_t kMaxBatches = 5;  // Kafka's NumBatchesToRetain

  int64_t producer_id = -1;
  int16_t epoch = -1;                 // -1: none known
  std::deque<ProducerBatch> batches;  // oldest first, at most kMaxBatches
  int64_t last_timestamp = -1;        // max timestamp of its last batch or marker
  int32_t coordinator_epoch = -1;
  int64_t txn_first_offset = -1;      // first offset of its ongoing transaction, -1: none

  int32_t last_seq() const { return batches.empty() ? -1 : batches.back().last_seq; }
  int64_t last_offset() const { return batches.empty() ? -1 : batches.back().last_offset; }
  friend bool operator==(const ProducerEntry&, const ProducerEntry&) = default;
};

// One entry of a `.txnindex` file (Kafka's AbortedTxn, 34 bytes: version
// int16 0, producer id int64, first offset, last offset, last stable offset).
struct AbortedTxn {
  static constexpr size_t kSize = 34;
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;         // offset of the ABORT marker
  int64_t last_stable_offset = -1;  // the LSO once this transaction was complete
  friend bool operator==(const AbortedTxn&, const AbortedTxn&) = default;
};

// What a batch header tells the producer state (kept small and copyable so
// tests need no real batches).
struct ProducerBatchHeader {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t last_offset_delta = 0;
  int64_t max_timestamp = -1;
  bool transactional = false;
  bool control = false;
  // For a control batch carrying a COMMIT/ABORT marker.
  bool commit = false;
  int32_t coordinator_epoch = -1;
};

// The producer fields of the batch at the start of `batch` (a whole batch;
// for a control batch its marker is decoded). CORRUPT_MESSAGE when a control
// batch's record cannot be read.
Result<ProducerBatchHeader> producer_header_of(std::span<const uint8_t> batch);

// Kafka's sequence arithmetic: sequences wrap from INT32_MAX to 0.
int32_t increment_sequence(int32_t seq, int32_t increment);

class ProducerStateManager;

// Where a batch comes from decides which checks apply.
enum class AppendOrigin : uint8_t {
  kClient,       // a producer's Produce request: every check, duplicates answered
  kCoordinator,  // a COMMIT/ABORT marker from the transaction coordinator
  kLog,          // replication, recovery, rebuild: no checks, state just follows
};

// The staged effect of one append.
class ProducerAppend {
 public:
  ProducerAppend(const ProducerStateManager& state, AppendOrigin origin)
      : state_(state), origin_(origin) {}

  // Checks one batch that will occupy [first_offset, first_offset +
  // last_offset_delta] and stages its effect. Returns the original batch when
  // it is a retry of one of the producer's last batches (nothing is staged),
  // or Kafka's error:
  //   INVALID_PRODUCER_EPOCH       epoch below the producer's current one
  //   OUT_OF_ORDER_SEQUENCE_NUMBER a new epoch not starting at 0, or a gap
  //   INVALID_TXN_STATE            a non-transactional batch while the
  //                                producer's transaction is open
  //   TRANSACTION_COORDINATOR_FENCED  a marker with an older coordinator epoch
  // Batches without a producer id are neither checked nor staged.
  Result<std::optional<ProducerBatch>> add(const ProducerBatchHeader& h, int64_t first_offset);

  // Writes the staged changes into the state (after the bytes were written).
  void commit(ProducerStateManager& state);
  bool empty() const { return updated_.empty(); }

 private:
  ProducerEntry& entry(int64_t producer_id);

  const ProducerStateManager& state_;
  AppendOrigin origin_;
  std::map<int64_t, ProducerEntry> updated_;
  struct Completed {
    int64_t producer_id;
    int64_t first_offset;
    int64_t last_offset;
    bool aborted;
  };
  std::vector<Completed> completed_;
};

class ProducerStateManager {
 public:
  static constexpr std::string_view kSnapshotSuffix = ".snapshot";
  static constexpr std::string_view kTxnIndexSuffix = ".txnindex";
  // Bounds what a snapshot file may claim (a corrupt count must not allocate).
  static constexpr int32_t kMaxSnapshotProducers = 10'000'000;

  ProducerStateManager() = default;

  const ProducerEntry* find(int64_t producer_id) const;
  const std::map<int64_t, ProducerEntry>& producers() const { return producers_; }
  size_t size() const { return producers_.size(); }

  // The offset everything before which is decided: the first offset of the
  // oldest ongoing transaction, or `high_watermark` when that is lower or no
  // transaction is open.
  int64_t last_stable_offset(int64_t high_watermark) const;
  // First offsets of ongoing transactions -> producer id.
  const std::map<int64_t, int64_t>& ongoing() const { return ongoing_; }

  // Aborted transactions overlapping [from_offset, upper_offset): last offset
  // >= from_offset and first offset < upper_offset, in order of their markers.
  std::vector<AbortedTxn> aborted_transactions(int64_t from_offset, int64_t upper_offset) const;
  // The aborted transactions recorded in the segment with `segment_base`.
  const std::map<int64_t, std::vector<AbortedTxn>>& aborted_by_segment() const { return aborted_; }
  // Records an aborted transaction in the segment with `segment_base` (in
  // memory; the Log appends it to the `.txnindex` file).
  void add_aborted(int64_t segment_base, const AbortedTxn& txn) { aborted_[segment_base].push_back(txn); }
  void set_aborted(int64_t segment_base, std::vector<AbortedTxn> txns);
  // Forgets aborted transactions whose marker is at or after `offset` (truncation, rebuild).
  void drop_aborted_from(int64_t offset);
  // Forgets the txn index entries of segments below `segment_base` (deleted segments).
  void drop_aborted_segments_before(int64_t segment_base);

  // Producers idle for at least `expiration_ms` (and with no open
  // transaction) are forgotten; returns how many.
  size_t remove_expired(int64_t now_ms, int64_t expiration_ms);
  void clear();

  // Transactions a ProducerAppend completed, consumed by the Log to write
  // `.txnindex` entries: (aborted txn, its last stable offset filled in).
  std::vector<AbortedTxn> take_new_aborted() { return std::exchange(new_aborted_, {}); }

  // --- Snapshots: `<20-digit offset>.snapshot`, the state as of that offset.
  // Layout (docs/storage.md, "Producer state snapshots"), big-endian:
  //   version int16 (1), crc32c uint32 of everything after it,
  //   producer count int32, then per producer:
  //     producer id int64, epoch int16, coordinator epoch int32,
  //     ongoing txn first offset int64, last timestamp int64,
  //     batch count int8 (0-5), per batch: first seq int32, last seq int32,
  //     first offset int64, last offset int64, max timestamp int64
  Bytes encode_snapshot() const;
  // Replaces the state with a snapshot's; CORRUPT_MESSAGE (state unchanged)
  // when the bytes do not hold together.
  Status decode_snapshot(ByteSpan bytes);

 private:
  friend class ProducerAppend;
  std::map<int64_t, ProducerEntry> producers_;
  std::map<int64_t, int64_t> ongoing_;  // txn first offset -> producer id
  std::map<int64_t, std::vector<AbortedTxn>> aborted_;  // by segment base
  std::vector<AbortedTxn> new_aborted_;
};

// Encodes/decodes a `.txnindex` file's entries.
Bytes encode_aborted_txn(const AbortedTxn& txn);
// Whole entries only; a torn tail (crash mid-write) is ignored.
std::vector<AbortedTxn> decode_aborted_txns(ByteSpan bytes);

}  // namespace moldau::storage
