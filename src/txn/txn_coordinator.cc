#include "txn/txn_coordinator.h"

#include <algorithm>
#include <cassert>

#include "coordinator/group_coordinator.h"
#include "txn/txn_records.h"

namespace moldau::txn {

namespace {

bool is_complete(TxnState s) { return s == TxnState::kCompleteCommit || s == TxnState::kCompleteAbort; }
bool is_prepare(TxnState s) { return s == TxnState::kPrepareCommit || s == TxnState::kPrepareAbort; }

}  // namespace

TxnCoordinator::TxnCoordinator(TxnConfig config)
    : config_(config),
      partitions_(size_t(std::max(config.num_partitions, 1)), PartitionState::kNotLeader),
      coordinator_epochs_(partitions_.size(), 0) {
  assert(config_.num_partitions > 0);
}

int32_t TxnCoordinator::partition_for(std::string_view id) const {
  return coordinator::partition_for(id, config_.num_partitions);
}

// --- loading ---------------------------------------------------------------------

void TxnCoordinator::begin_loading(int32_t p, int32_t coordinator_epoch) {
  assert(p >= 0 && size_t(p) < partitions_.size());
  unload(p);
  partitions_[size_t(p)] = PartitionState::kLoading;
  coordinator_epochs_[size_t(p)] = coordinator_epoch;
}

Status TxnCoordinator::replay(int32_t p, ByteSpan key, std::optional<ByteSpan> value) {
  auto id = decode_txn_key(key);
  if (!id) return id.error();
  if (!value) {
    txns_.erase(*id);
    return Status();
  }
  auto v = decode_txn_value(*value);
  if (!v) return v.error();
  TxnMetadata m;
  if (auto it = txns_.find(*id); it != txns_.end()) m = it->second;
  m.transactional_id = *id;
  m.coordinator_partition = p;
  if (m.producer_id != v->producer_id) {
    m.last_producer_id = m.producer_id;
    m.last_producer_epoch = m.producer_epoch;
  }
  m.producer_id = v->producer_id;
  m.producer_epoch = v->producer_epoch;
  m.timeout_ms = v->timeout_ms;
  m.state = v->state;
  m.partitions = {v->partitions.begin(), v->partitions.end()};
  m.start_ms = v->start_ms;
  m.last_update_ms = v->last_update_ms;
  if (m.state == TxnState::kDead) {
    txns_.erase(*id);
  } else {
    txns_[*id] = std::move(m);
  }
  return Status();
}

Effects TxnCoordinator::complete_loading(int32_t p, int64_t now_ms) {
  assert(partitions_[size_t(p)] == PartitionState::kLoading);
  partitions_[size_t(p)] = PartitionState::kActive;
  // Loaded ids must expire even if no transaction ever runs again.
  if (!next_expiration_check_ms_) next_expiration_check_ms_ = now_ms + config_.expiration_check_interval_ms;
  Effects fx;
  for (auto& [id, m] : txns_) {
    if (m.coordinator_partition != p) continue;
    if (m.state == TxnState::kPrepareEpochFence) {
      // A fence that did not finish: abort with the fenced epoch.
      fx.append(prepare_end(m, false, now_ms));
    } else if (is_prepare(m.state)) {
      fx.markers.push_back(markers_of(m));
    }
  }
  return fx;
}

void TxnCoordinator::unload(int32_t p) {
  assert(p >= 0 && size_t(p) < partitions_.size());
  partitions_[size_t(p)] = PartitionState::kNotLeader;
  std::erase_if(txns_, [p](const auto& kv) { return kv.second.coordinator_partition == p; });
}

PartitionState TxnCoordinator::partition_state(int32_t p) const {
  if (p < 0 || size_t(p) >= partitions_.size()) return PartitionState::kNotLeader;
  return partitions_[size_t(p)];
}

// --- helpers -----------------------------------------------------------------------

ErrorCode TxnCoordinator::status(std::string_view id) const {
  if (id.empty() || id.size() > kMaxRecordStringBytes) return ErrorCode::kInvalidRequest;
  switch (partition_state(partition_for(id))) {
    case PartitionState::kNotLeader:
      return ErrorCode::kNotCoordinator;
    case PartitionState::kLoading:
      return ErrorCode::kCoordinatorLoadInProgress;
    case PartitionState::kActive:
      return ErrorCode::kNone;
  }
  return ErrorCode::kNotCoordinator;
}

TxnMetadata* TxnCoordinator::lookup(std::string_view id) {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : &it->second;
}

const TxnMetadata* TxnCoordinator::find(std::string_view id) const {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : &it->second;
}

ErrorCode TxnCoordinator::check_producer(const TxnMetadata* m, int64_t producer_id, int16_t producer_epoch) const {
  if (!m || m->producer_id != producer_id) return ErrorCode::kInvalidProducerIdMapping;
  if (m->producer_epoch != producer_epoch) return ErrorCode::kProducerFenced;
  return ErrorCode::kNone;
}

TxnRecord TxnCoordinator::record_of(const TxnMetadata& m) const {
  TxnLogValue v;
  v.producer_id = m.producer_id;
  v.producer_epoch = m.producer_epoch;
  v.timeout_ms = m.timeout_ms;
  v.state = m.state;
  v.partitions = {m.partitions.begin(), m.partitions.end()};
  v.last_update_ms = m.last_update_ms;
  v.start_ms = m.start_ms;
  TxnRecord r;
  r.partition = m.coordinator_partition;
  r.key = encode_txn_key(m.transactional_id);
  r.value = encode_txn_value(v);
  return r;
}

MarkerRequest TxnCoordinator::markers_of(const TxnMetadata& m) const {
  MarkerRequest r;
  r.transactional_id = m.transactional_id;
  r.producer_id = m.producer_id;
  r.producer_epoch = m.producer_epoch;
  r.coordinator_epoch = coordinator_epochs_[size_t(m.coordinator_partition)];
  r.commit = m.state == TxnState::kPrepareCommit;
  r.partitions = {m.partitions.begin(), m.partitions.end()};
  return r;
}

void TxnCoordinator::fence_epoch(TxnMetadata& m) {
  if (m.producer_epoch < kMaxProducerEpoch) ++m.producer_epoch;
}

Effects TxnCoordinator::prepare_end(TxnMetadata& m, bool commit, int64_t now_ms) {
  m.state = commit ? TxnState::kPrepareCommit : TxnState::kPrepareAbort;
  m.last_update_ms = now_ms;
  Effects fx;
  fx.records.push_back(record_of(m));
  fx.markers.push_back(markers_of(m));
  return fx;
}

// --- InitProducerId --------------------------------------------------------------------

InitProducerIdResult TxnCoordinator::init_producer_id(const InitProducerIdRequest& req, int64_t now_ms) {
  InitProducerIdResult out;
  auto fail = [&out](ErrorCode e) {
    out.error = e;
    return out;
  };
  if (ErrorCode e = status(req.transactional_id); e != ErrorCode::kNone) return fail(e);
  if (req.timeout_ms <= 0 || req.timeout_ms > config_.max_timeout_ms) {
    return fail(ErrorCode::kInvalidTransactionTimeout);
  }
  TxnMetadata* m = lookup(req.transactional_id);
  const bool has_expected = req.expected_producer_id != kNoProducerId;
  if (!m) {
    if (has_expected) return fail(ErrorCode::kInvalidProducerIdMapping);
    if (!req.fresh_producer_id) {
      out.needs_producer_id = true;
      return out;
    }
    TxnMetadata fresh;
    fresh.transactional_id = req.transactional_id;
    fresh.coordinator_partition = partition_for(req.transactional_id);
    fresh.producer_id = *req.fresh_producer_id;
    fresh.producer_epoch = 0;
    fresh.timeout_ms = req.timeout_ms;
    fresh.state = TxnState::kEmpty;
    fresh.last_update_ms = now_ms;
    m = &txns_.emplace(req.transactional_id, std::move(fresh)).first->second;
    out.producer_id = m->producer_id;
    out.producer_epoch = m->producer_epoch;
    out.effects.records.push_back(record_of(*m));
    return out;
  }
  if (has_expected) {
    // KIP-360: the producer names what it had. A retry of a bump we already
    // made gets the same answer; anything else older is fenced.
    const bool current = req.expected_producer_id == m->producer_id &&
                         req.expected_producer_epoch == m->producer_epoch;
    const bool retried = req.expected_producer_id == m->last_producer_id &&
                         req.expected_producer_epoch == m->last_producer_epoch &&
                         (m->state == TxnState::kEmpty || is_complete(m->state));
    if (retried) {
      out.producer_id = m->producer_id;
      out.producer_epoch = m->producer_epoch;
      return out;
    }
    if (!current) return fail(ErrorCode::kProducerFenced);
  }
  switch (m->state) {
    case TxnState::kPrepareCommit:
    case TxnState::kPrepareAbort:
    case TxnState::kPrepareEpochFence:
    case TxnState::kDead:
      return fail(ErrorCode::kConcurrentTransactions);
    case TxnState::kOngoing: {
      // Abort the running transaction under a bumped epoch, which fences the
      // old producer; the client retries and gets the next epoch.
      fence_epoch(*m);
      out.effects = prepare_end(*m, false, now_ms);
      return fail(ErrorCode::kConcurrentTransactions);
    }
    case TxnState::kEmpty:
    case TxnState::kCompleteCommit:
    case TxnState::kCompleteAbort:
      break;
  }
  if (m->producer_epoch >= kMaxProducerEpoch || m->producer_id == kNoProducerId) {
    if (!req.fresh_producer_id) {
      out.needs_producer_id = true;
      return out;
    }
    m->last_producer_id = m->producer_id;
    m->last_producer_epoch = m->producer_epoch;
    m->producer_id = *req.fresh_producer_id;
    m->producer_epoch = 0;
  } else {
    m->last_producer_id = m->producer_id;
    m->last_producer_epoch = m->producer_epoch;
    ++m->producer_epoch;
  }
  m->timeout_ms = req.timeout_ms;
  m->state = TxnState::kEmpty;
  m->partitions.clear();
  m->start_ms = -1;
  m->last_update_ms = now_ms;
  out.producer_id = m->producer_id;
  out.producer_epoch = m->producer_epoch;
  out.effects.records.push_back(record_of(*m));
  return out;
}

// --- AddPartitionsToTxn, AddOffsetsToTxn ---------------------------------------------------

TxnResult TxnCoordinator::add_partitions(std::string_view id, int64_t producer_id, int16_t producer_epoch,
                                         const std::vector<TopicPartition>& partitions, int64_t now_ms) {
  TxnResult out;
  if (ErrorCode e = status(id); e != ErrorCode::kNone) return {e, {}};
  TxnMetadata* m = lookup(id);
  if (ErrorCode e = check_producer(m, producer_id, producer_epoch); e != ErrorCode::kNone) return {e, {}};
  if (is_prepare(m->state) || m->state == TxnState::kPrepareEpochFence) {
    return {ErrorCode::kConcurrentTransactions, {}};
  }
  if (m->state == TxnState::kDead) return {ErrorCode::kInvalidTxnState, {}};
  const bool all_known = std::all_of(partitions.begin(), partitions.end(),
                                     [m](const TopicPartition& tp) { return m->partitions.count(tp) > 0; });
  if (m->state == TxnState::kOngoing && all_known) return out;
  if (m->state != TxnState::kOngoing) {
    m->partitions.clear();
    m->start_ms = now_ms;
  }
  m->partitions.insert(partitions.begin(), partitions.end());
  m->state = TxnState::kOngoing;
  m->last_update_ms = now_ms;
  out.effects.records.push_back(record_of(*m));
  return out;
}

ErrorCode TxnCoordinator::verify_partitions(std::string_view id, int64_t producer_id, int16_t producer_epoch,
                                            const std::vector<TopicPartition>& partitions) const {
  if (ErrorCode e = status(id); e != ErrorCode::kNone) return e;
  const TxnMetadata* m = find(id);
  if (ErrorCode e = check_producer(m, producer_id, producer_epoch); e != ErrorCode::kNone) return e;
  if (m->state != TxnState::kOngoing) return ErrorCode::kInvalidTxnState;
  for (const auto& tp : partitions) {
    if (!m->partitions.count(tp)) return ErrorCode::kInvalidTxnState;
  }
  return ErrorCode::kNone;
}

TxnResult TxnCoordinator::add_offsets(std::string_view id, int64_t producer_id, int16_t producer_epoch,
                                      std::string_view group_id, int64_t now_ms) {
  if (group_id.empty()) return {ErrorCode::kInvalidGroupId, {}};
  TopicPartition tp{"__consumer_offsets",
                    coordinator::partition_for(group_id, config_.offsets_topic_num_partitions)};
  return add_partitions(id, producer_id, producer_epoch, {tp}, now_ms);
}

// --- EndTxn ----------------------------------------------------------------------------------

TxnResult TxnCoordinator::end_txn(std::string_view id, int64_t producer_id, int16_t producer_epoch, bool commit,
                                  int64_t now_ms) {
  if (ErrorCode e = status(id); e != ErrorCode::kNone) return {e, {}};
  TxnMetadata* m = lookup(id);
  if (ErrorCode e = check_producer(m, producer_id, producer_epoch); e != ErrorCode::kNone) return {e, {}};
  switch (m->state) {
    case TxnState::kOngoing:
      return {ErrorCode::kNone, prepare_end(*m, commit, now_ms)};
    case TxnState::kPrepareCommit:
      return {commit ? ErrorCode::kConcurrentTransactions : ErrorCode::kInvalidTxnState, {}};
    case TxnState::kPrepareAbort:
      return {commit ? ErrorCode::kInvalidTxnState : ErrorCode::kConcurrentTransactions, {}};
    case TxnState::kCompleteCommit:
      // A retry of the commit that completed.
      return {commit ? ErrorCode::kNone : ErrorCode::kInvalidTxnState, {}};
    case TxnState::kCompleteAbort:
      return {commit ? ErrorCode::kInvalidTxnState : ErrorCode::kNone, {}};
    case TxnState::kPrepareEpochFence:
      return {ErrorCode::kConcurrentTransactions, {}};
    case TxnState::kEmpty:
    case TxnState::kDead:
      break;
  }
  return {ErrorCode::kInvalidTxnState, {}};
}

Effects TxnCoordinator::markers_written(const MarkerRequest& mr, int64_t now_ms) {
  TxnMetadata* m = lookup(mr.transactional_id);
  if (!m || m->producer_id != mr.producer_id || m->producer_epoch != mr.producer_epoch) return {};
  const TxnState expected = mr.commit ? TxnState::kPrepareCommit : TxnState::kPrepareAbort;
  if (m->state != expected) return {};
  if (partition_state(m->coordinator_partition) != PartitionState::kActive) return {};
  m->state = mr.commit ? TxnState::kCompleteCommit : TxnState::kCompleteAbort;
  m->partitions.clear();
  m->last_update_ms = now_ms;
  Effects fx;
  fx.records.push_back(record_of(*m));
  // start_ms stays in the record (Kafka keeps it); it is cleared in memory
  // after the record so that describe shows no running time.
  m->start_ms = -1;
  return fx;
}

// --- time ---------------------------------------------------------------------------------------

Effects TxnCoordinator::tick(int64_t now_ms) {
  Effects fx;
  for (auto& [id, m] : txns_) {
    if (partition_state(m.coordinator_partition) != PartitionState::kActive) continue;
    if (m.state == TxnState::kOngoing && m.start_ms >= 0 && now_ms >= m.start_ms + m.timeout_ms) {
      fence_epoch(m);
      fx.append(prepare_end(m, false, now_ms));
    }
  }
  if (!next_expiration_check_ms_) next_expiration_check_ms_ = now_ms + config_.expiration_check_interval_ms;
  if (now_ms >= *next_expiration_check_ms_) {
    next_expiration_check_ms_ = now_ms + config_.expiration_check_interval_ms;
    for (auto it = txns_.begin(); it != txns_.end();) {
      const TxnMetadata& m = it->second;
      const bool idle = m.state == TxnState::kEmpty || is_complete(m.state);
      if (idle && partition_state(m.coordinator_partition) == PartitionState::kActive &&
          now_ms >= m.last_update_ms + config_.id_expiration_ms) {
        TxnRecord r;
        r.partition = m.coordinator_partition;
        r.key = encode_txn_key(m.transactional_id);
        fx.records.push_back(std::move(r));
        it = txns_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return fx;
}

std::optional<int64_t> TxnCoordinator::next_deadline_ms() const {
  std::optional<int64_t> next = next_expiration_check_ms_;
  bool any = false;
  for (const auto& [id, m] : txns_) {
    if (partition_state(m.coordinator_partition) != PartitionState::kActive) continue;
    any = true;
    if (m.state == TxnState::kOngoing && m.start_ms >= 0) {
      const int64_t at = m.start_ms + m.timeout_ms;
      if (!next || at < *next) next = at;
    }
  }
  if (!any && !next_expiration_check_ms_) return std::nullopt;
  return next;
}

// --- admin -----------------------------------------------------------------------------------------

std::vector<DescribedTxn> TxnCoordinator::describe(const std::vector<std::string>& ids) const {
  std::vector<DescribedTxn> out;
  for (const auto& id : ids) {
    DescribedTxn d;
    d.transactional_id = id;
    d.error = status(id);
    if (d.error == ErrorCode::kInvalidRequest) d.error = ErrorCode::kTransactionalIdNotFound;
    if (d.error == ErrorCode::kNone) {
      const TxnMetadata* m = find(id);
      if (!m) {
        d.error = ErrorCode::kTransactionalIdNotFound;
      } else {
        d.state = std::string(state_name(m->state));
        d.timeout_ms = m->timeout_ms;
        d.start_ms = m->start_ms;
        d.producer_id = m->producer_id;
        d.producer_epoch = m->producer_epoch;
        d.partitions = {m->partitions.begin(), m->partitions.end()};
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

ListTxnsResult TxnCoordinator::list(const std::vector<std::string>& states, const std::vector<int64_t>& pids,
                                    int64_t min_duration_ms, int64_t now_ms) const {
  ListTxnsResult out;
  std::vector<TxnState> wanted;
  for (const auto& s : states) {
    if (auto st = state_from_name(s)) {
      wanted.push_back(*st);
    } else {
      out.unknown_state_filters.push_back(s);
    }
  }
  for (const auto& [id, m] : txns_) {
    if (partition_state(m.coordinator_partition) != PartitionState::kActive) continue;
    if (!states.empty() && std::find(wanted.begin(), wanted.end(), m.state) == wanted.end()) continue;
    if (!pids.empty() && std::find(pids.begin(), pids.end(), m.producer_id) == pids.end()) continue;
    if (min_duration_ms >= 0 && (m.start_ms < 0 || now_ms - m.start_ms < min_duration_ms)) continue;
    out.transactions.push_back({id, m.producer_id, std::string(state_name(m.state))});
  }
  return out;
}

}  // namespace moldau::txn
