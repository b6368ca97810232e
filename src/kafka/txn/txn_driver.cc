#include "kafka/txn/txn_driver.h"

#include <map>

#include "base/log.h"
#include "kafka/broker.h"
#include "kafka/groups/broker_registry.h"
#include "kafka/groups/group_driver.h"
#include "kafka/handlers/util.h"
#include "metadata/broker_config.h"
#include "metadata/controller.h"
#include "storage/log.h"
#include "storage/log_manager.h"

namespace moldau::kafka::txn {

t::TxnConfig txn_config(const metadata::BrokerConfig& config) {
  t::TxnConfig out;
  out.num_partitions = int32_t(config.get_long("transaction.state.log.num.partitions"));
  out.offsets_topic_num_partitions = int32_t(config.get_long("offsets.topic.num.partitions"));
  out.max_timeout_ms = int32_t(config.get_long("transaction.max.timeout.ms"));
  out.id_expiration_ms = config.get_long("transactional.id.expiration.ms");
  out.expiration_check_interval_ms = config.get_long("transaction.remove.expired.transaction.cleanup.interval.ms");
  return out;
}

TxnDriver::TxnDriver(asio::io_context& io, t::TxnConfig config, groups::OffsetsLog& log, MarkerWriter markers,
                     ProducerIdSource producer_ids, Clock clock)
    : io_(io),
      core_(config),
      log_(log),
      markers_(std::move(markers)),
      producer_ids_(std::move(producer_ids)),
      clock_(std::move(clock)),
      timer_(io),
      coordinator_epochs_(size_t(config.num_partitions), 0) {}

TxnDriver::~TxnDriver() {
  *alive_ = false;
  timer_.cancel();
}

void TxnDriver::persist(std::vector<t::TxnRecord> records, std::function<void(ErrorCode)> done) {
  if (records.empty()) {
    done(ErrorCode::kNone);
    return;
  }
  std::map<int32_t, protocol::BatchBuilder> batches;
  const int64_t now = clock_();
  for (const auto& r : records) {
    std::optional<ByteSpan> value;
    if (r.value) value = ByteSpan(*r.value);
    batches[r.partition].add(ByteSpan(r.key), value, now);
  }
  groups::append_batches(log_, "__transaction_state", batches, alive_, [this](int32_t p) { reload(p); },
                         std::move(done));
}

void TxnDriver::apply(t::Effects fx, std::function<void(ErrorCode)> done) {
  auto alive = alive_;
  auto markers = std::make_shared<std::vector<t::MarkerRequest>>(std::move(fx.markers));
  persist(std::move(fx.records), [this, alive, markers, done = std::move(done)](ErrorCode e) {
    if (done) done(e);
    if (!*alive || e != ErrorCode::kNone) return;
    for (auto& m : *markers) {
      Pending p;
      p.left = m.partitions;
      p.request = std::move(m);
      pending_.push_back(std::move(p));
    }
    if (!markers->empty()) write_markers();
    schedule();
  });
  schedule();
}

void TxnDriver::write_markers() {
  // markers_written() appends a record whose callback may come back here.
  if (writing_markers_ || shut_down_) return;
  writing_markers_ = true;
  const int64_t now = clock_();
  std::vector<t::MarkerRequest> done;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->retry_at_ms > now) {
      ++it;
      continue;
    }
    std::vector<t::TopicPartition> still;
    for (const auto& tp : it->left) {
      Status s = markers_(tp, it->request);
      if (s) continue;
      const ErrorCode e = s.error().code;
      if (e == ErrorCode::kUnknownTopicOrPartition || e == ErrorCode::kInvalidProducerEpoch ||
          e == ErrorCode::kTransactionCoordinatorFenced) {
        // Gone, or superseded by a newer producer or coordinator epoch: the
        // marker is not needed (as Kafka's marker channel drops these).
        MOLDAU_LOG_WARN("transaction {}: no marker for {}-{}: {}", it->request.transactional_id, tp.topic,
                        tp.partition, s.error().message);
        continue;
      }
      MOLDAU_LOG_WARN("transaction {}: marker for {}-{} failed, retrying: {}", it->request.transactional_id,
                      tp.topic, tp.partition, s.error().message);
      still.push_back(tp);
    }
    if (still.empty()) {
      done.push_back(std::move(it->request));
      it = pending_.erase(it);
    } else {
      it->left = std::move(still);
      it->retry_at_ms = now + kMarkerRetryMs;
      ++it;
    }
  }
  writing_markers_ = false;
  for (const auto& m : done) {
    t::Effects fx = core_.markers_written(m, clock_());
    if (!fx.empty()) apply(std::move(fx), nullptr);
  }
  schedule();
}

void TxnDriver::init_producer_id(t::InitProducerIdRequest req, Done<t::InitProducerIdResult> done) {
  auto result = std::make_shared<t::InitProducerIdResult>(core_.init_producer_id(req, clock_()));
  if (result->needs_producer_id) {
    auto alive = alive_;
    producer_ids_([this, alive, req = std::move(req), done = std::move(done)](Result<int64_t> id) mutable {
      if (!*alive) return;
      if (!id) {
        t::InitProducerIdResult r;
        r.error = id.error().code == ErrorCode::kNone ? ErrorCode::kUnknownServerError : id.error().code;
        MOLDAU_LOG_WARN("no producer id for transactional id {}: {}", req.transactional_id, id.error().message);
        if (r.error != ErrorCode::kNotCoordinator) r.error = ErrorCode::kCoordinatorNotAvailable;
        done(std::move(r));
        return;
      }
      req.fresh_producer_id = *id;
      init_producer_id(std::move(req), std::move(done));
    });
    return;
  }
  t::Effects fx = std::move(result->effects);
  result->effects = {};
  apply(std::move(fx), [result, done = std::move(done)](ErrorCode e) {
    if (e != ErrorCode::kNone) {
      result->error = e;
      result->producer_id = t::kNoProducerId;
      result->producer_epoch = t::kNoProducerEpoch;
    }
    done(std::move(*result));
  });
}

namespace {
std::function<void(ErrorCode)> answer(ErrorCode first, std::function<void(ErrorCode)> done) {
  return [first, done = std::move(done)](ErrorCode append) { done(append != ErrorCode::kNone ? append : first); };
}
}  // namespace

void TxnDriver::add_partitions(const std::string& id, int64_t producer_id, int16_t epoch,
                               const std::vector<t::TopicPartition>& partitions, Done<ErrorCode> done) {
  auto r = core_.add_partitions(id, producer_id, epoch, partitions, clock_());
  apply(std::move(r.effects), answer(r.error, std::move(done)));
}

void TxnDriver::add_offsets(const std::string& id, int64_t producer_id, int16_t epoch, const std::string& group_id,
                            Done<ErrorCode> done) {
  auto r = core_.add_offsets(id, producer_id, epoch, group_id, clock_());
  apply(std::move(r.effects), answer(r.error, std::move(done)));
}

void TxnDriver::end_txn(const std::string& id, int64_t producer_id, int16_t epoch, bool commit,
                        Done<ErrorCode> done) {
  auto r = core_.end_txn(id, producer_id, epoch, commit, clock_());
  apply(std::move(r.effects), answer(r.error, std::move(done)));
}

void TxnDriver::load(int32_t partition, int32_t coordinator_epoch) {
  core_.begin_loading(partition, coordinator_epoch);
  std::erase_if(pending_, [&](const Pending& p) { return core_.partition_for(p.request.transactional_id) == partition; });
  size_t records = 0, skipped = 0;
  Status s = log_.read(partition, [&](const protocol::Record& r) {
    if (!r.key) {
      ++skipped;
      return;
    }
    ++records;
    if (Status rs = core_.replay(partition, *r.key, r.value); !rs) {
      ++skipped;
      MOLDAU_LOG_WARN("__transaction_state-{}: skipping the record at offset {}: {}", partition, r.offset,
                      rs.error().message);
    }
  });
  if (!s) {
    MOLDAU_LOG_ERROR("cannot load __transaction_state-{}: {}", partition, s.error().message);
    core_.unload(partition);
    return;
  }
  t::Effects fx = core_.complete_loading(partition, clock_());
  if (records > 0) {
    MOLDAU_LOG_INFO("loaded __transaction_state-{}: {} records{}, {} transactions to complete", partition, records,
                    skipped ? fmt::format(" ({} skipped)", skipped) : std::string(), fx.markers.size());
  }
  apply(std::move(fx), nullptr);
}

void TxnDriver::unload(int32_t partition) {
  if (core_.partition_state(partition) == t::PartitionState::kNotLeader) return;
  core_.unload(partition);
  std::erase_if(pending_, [&](const Pending& p) { return core_.partition_for(p.request.transactional_id) == partition; });
}

void TxnDriver::reload(int32_t partition) {
  MOLDAU_LOG_WARN("reloading __transaction_state-{} after a failed append", partition);
  unload(partition);
  load(partition, coordinator_epochs_[size_t(partition)]);
}

void TxnDriver::sync_leadership(const metadata::MetadataImage& image, int32_t node_id) {
  const metadata::TopicImage* topic = image.topic(metadata::kTransactionStateTopic);
  const int32_t n = core_.config().num_partitions;
  for (int32_t p = 0; p < n; ++p) {
    const bool leads = topic && size_t(p) < topic->partitions.size() && topic->partitions[size_t(p)].leader == node_id;
    const bool loaded = core_.partition_state(p) != t::PartitionState::kNotLeader;
    const int32_t epoch = leads ? topic->partitions[size_t(p)].leader_epoch : 0;
    if (leads && (!loaded || epoch != coordinator_epochs_[size_t(p)])) {
      coordinator_epochs_[size_t(p)] = epoch;
      load(p, epoch);
    }
    if (!leads && loaded) unload(p);
  }
}

void TxnDriver::tick() {
  if (shut_down_) return;
  apply(core_.tick(clock_()), nullptr);
  write_markers();
}

std::optional<int64_t> TxnDriver::next_deadline() const {
  auto next = core_.next_deadline_ms();
  for (const auto& p : pending_) {
    if (!next || p.retry_at_ms < *next) next = p.retry_at_ms;
  }
  return next;
}

void TxnDriver::schedule() {
  if (shut_down_) return;
  groups::arm_for_deadline(timer_, armed_at_, next_deadline(), clock_, alive_, [this] { tick(); });
}

void TxnDriver::shutdown() {
  shut_down_ = true;
  timer_.cancel();
  armed_at_.reset();
}

// --- per-broker registry -------------------------------------------------------------

TxnDriver* driver_of(const Broker& broker) { return groups::BrokerRegistry<TxnDriver>::find(broker); }

void attach(const Broker& broker, TxnDriver* driver) { groups::BrokerRegistry<TxnDriver>::set(broker, driver); }

// --- the broker's instance -----------------------------------------------------------

BrokerTxn::BrokerTxn(Broker& broker) : broker_(broker), log_(broker, metadata::kTransactionStateTopic) {
  driver_ = std::make_unique<TxnDriver>(
      broker.io(), txn_config(broker.config()), log_,
      [this](const t::TopicPartition& tp, const t::MarkerRequest& m) { return write_marker(tp, m); },
      [&broker](std::function<void(Result<int64_t>)> done) { broker.producer_ids().allocate(std::move(done)); },
      [] { return now_ms(); });
  attach(broker_, driver_.get());
  on_metadata_change(*broker.controller().image());
  broker.controller().on_change(
      [this](const metadata::ImagePtr&, const metadata::ImagePtr& now, const metadata::CommittedBatch&) {
        on_metadata_change(*now);
      });
}

BrokerTxn::~BrokerTxn() { attach(broker_, nullptr); }

void BrokerTxn::on_metadata_change(const metadata::MetadataImage& image) {
  driver_->sync_leadership(image, broker_.node_id());
}

Status BrokerTxn::write_marker(const t::TopicPartition& tp, const t::MarkerRequest& m) {
  auto image = broker_.controller().image();
  const metadata::TopicImage* topic = image->topic(tp.topic);
  if (!topic || tp.partition < 0 || size_t(tp.partition) >= topic->partitions.size()) {
    return Error{ErrorCode::kUnknownTopicOrPartition, fmt::format("{}-{} does not exist", tp.topic, tp.partition)};
  }
  const auto& info = topic->partitions[size_t(tp.partition)];
  if (info.leader != broker_.node_id()) {
    // Only markers for partitions this broker leads are written (no
    // WriteTxnMarkers to other brokers yet).
    return Error{ErrorCode::kNotLeaderOrFollower,
                 fmt::format("this broker does not lead {}-{}", tp.topic, tp.partition)};
  }
  storage::TopicPartition stp{tp.topic, tp.partition};
  storage::Log* log = broker_.logs().get(stp);
  if (!log) {
    auto created = broker_.logs().get_or_create(stp, topic->id.to_string(), broker_.log_config_for(tp.topic));
    if (!created) return created.error();
    log = *created;
  }
  auto appended =
      log->append_control(m.producer_id, m.producer_epoch, m.coordinator_epoch, m.commit, info.leader_epoch, now_ms());
  if (!appended) return appended.error();
  const int64_t end = appended->last_offset + 1;
  Broker& broker = broker_;
  if (log->config().fsync_on_ack) {
    broker_.logs().flush_async(log, end, [&broker, log, stp, end](Status s) {
      if (!s) return;
      log->set_high_watermark(std::max(log->high_watermark(), end));
      broker.waiters().notify({stp.topic, stp.partition});
    });
  } else {
    log->set_high_watermark(log->log_end_offset());
    broker_.waiters().notify({stp.topic, stp.partition});
  }
  if (tp.topic == metadata::kConsumerOffsetsTopic) {
    if (auto* groups = groups::driver_of(broker_)) {
      groups->complete_txn_offsets(tp.partition, m.producer_id, m.commit);
    }
  }
  return Status();
}

}  // namespace moldau::kafka::txn
