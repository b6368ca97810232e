#include "kafka/groups/group_driver.h"

#include <map>
#include <random>

#include "base/log.h"
#include "kafka/broker.h"
#include "kafka/groups/broker_registry.h"
#include "kafka/groups/consumer_group_driver.h"
#include "coordinator/consumer_group_records.h"
#include "kafka/handlers/util.h"
#include "metadata/broker_config.h"
#include "metadata/controller.h"

namespace moldau::kafka::groups {

namespace c = coordinator;

coordinator::CoordinatorConfig coordinator_config(const metadata::BrokerConfig& config) {
  c::CoordinatorConfig out;
  out.group.min_session_timeout_ms = int32_t(config.get_long("group.min.session.timeout.ms"));
  out.group.max_session_timeout_ms = int32_t(config.get_long("group.max.session.timeout.ms"));
  out.group.initial_rebalance_delay_ms = int32_t(config.get_long("group.initial.rebalance.delay.ms"));
  out.group.max_size = int32_t(config.get_long("group.max.size"));
  out.offsets_topic_num_partitions = int32_t(config.get_long("offsets.topic.num.partitions"));
  out.offsets_retention_ms = config.get_long("offsets.retention.minutes") * 60 * 1000;
  out.offsets_retention_check_interval_ms = config.get_long("offsets.retention.check.interval.ms");
  std::random_device rd;
  out.member_id_seed = (uint64_t(rd()) << 32) ^ uint64_t(rd());
  return out;
}

ErrorCode map_append_error(ErrorCode e) {
  switch (e) {
    case ErrorCode::kNone:
      return ErrorCode::kNone;
    case ErrorCode::kUnknownTopicOrPartition:
    case ErrorCode::kNotEnoughReplicas:
    case ErrorCode::kNotEnoughReplicasAfterAppend:
    case ErrorCode::kRequestTimedOut:
      return ErrorCode::kCoordinatorNotAvailable;
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kKafkaStorageError:
      return ErrorCode::kNotCoordinator;
    default:
      // MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_FETCH_SIZE and
      // anything unexpected.
      return ErrorCode::kUnknownServerError;
  }
}

void append_batches(OffsetsLog& log, const char* topic, std::map<int32_t, protocol::BatchBuilder>& batches,
                    std::shared_ptr<bool> alive, std::function<void(int32_t)> reload,
                    std::function<void(ErrorCode)> done) {
  struct State {
    int outstanding = 0;
    ErrorCode error = ErrorCode::kNone;
    std::vector<int32_t> failed;
    std::function<void(ErrorCode)> done;
  };
  auto st = std::make_shared<State>();
  st->done = std::move(done);
  st->outstanding = int(batches.size()) + 1;
  auto finish = [st, alive = std::move(alive), reload = std::move(reload)] {
    if (--st->outstanding != 0) return;
    if (*alive) {
      for (int32_t p : st->failed) reload(p);
    }
    st->done(st->error);
  };
  for (auto& [partition, builder] : batches) {
    auto built = builder.build();
    const int32_t p = partition;
    auto on_done = [st, p, finish, topic](Status s) {
      if (!s) {
        MOLDAU_LOG_ERROR("cannot append to {}-{}: {}", topic, p, s.error().message);
        if (st->error == ErrorCode::kNone) st->error = map_append_error(s.error().code);
        st->failed.push_back(p);
      }
      finish();
    };
    if (!built) {
      on_done(built.error());
      continue;
    }
    log.append(p, std::move(*built), on_done);
  }
  finish();
}

void arm_for_deadline(asio::steady_timer& timer, std::optional<int64_t>& armed_at, std::optional<int64_t> next,
                      const std::function<int64_t()>& clock, std::shared_ptr<bool> alive, std::function<void()> fire) {
  if (!next) {
    if (armed_at) {
      armed_at.reset();
      timer.cancel();
    }
    return;
  }
  if (armed_at && *armed_at <= *next) return;
  armed_at = *next;
  const int64_t delay = std::max<int64_t>(0, *next - clock());
  timer.expires_after(std::chrono::milliseconds(delay));
  timer.async_wait([&armed_at, alive = std::move(alive), fire = std::move(fire)](const asio::error_code& ec) {
    if (ec || !*alive) return;
    armed_at.reset();
    fire();
  });
}

namespace {

// The same response with its error replaced (an append failed).
c::Response with_error(const c::Response& r, ErrorCode e) {
  return std::visit(
      [e](const auto& x) -> c::Response {
        using T = std::decay_t<decltype(x)>;
        T out;
        out.handle = x.handle;
        out.error = e;
        if constexpr (std::is_same_v<T, c::JoinGroupResponse>) out.member_id = x.member_id;
        return out;
      },
      r);
}

}  // namespace

GroupDriver::GroupDriver(asio::io_context& io, c::CoordinatorConfig config, OffsetsLog& log, Clock clock)
    : io_(io), core_(std::move(config)), log_(log), clock_(std::move(clock)), timer_(io) {}

GroupDriver::~GroupDriver() {
  *alive_ = false;
  timer_.cancel();
}

c::RequestHandle GroupDriver::hold(Deliver deliver) {
  c::RequestHandle h = next_handle_++;
  held_.emplace(h, std::move(deliver));
  return h;
}

void GroupDriver::deliver(const c::Response& r) {
  auto it = held_.find(c::handle_of(r));
  if (it == held_.end()) {
    MOLDAU_LOG_WARN("group coordinator answered unknown request handle {}", c::handle_of(r));
    return;
  }
  Deliver d = std::move(it->second);
  held_.erase(it);
  d(r);
}

void GroupDriver::persist(std::vector<c::OffsetsRecord> records, std::function<void(ErrorCode)> done,
                          int64_t producer_id, int16_t producer_epoch) {
  if (records.empty()) {
    done(ErrorCode::kNone);
    return;
  }
  // One batch per partition, records in their order within it.
  std::map<int32_t, protocol::BatchBuilder> batches;
  const int64_t now = clock_();
  protocol::BatchOptions options;
  if (producer_id >= 0) {
    options.producer_id = producer_id;
    options.producer_epoch = producer_epoch;
    options.base_sequence = 0;  // the log's producer state decides (offsets_log.cc)
    options.transactional = true;
  }
  for (const auto& r : records) {
    auto& b = batches.try_emplace(r.partition, options).first->second;
    std::optional<ByteSpan> value;
    if (r.value) value = ByteSpan(*r.value);
    b.add(ByteSpan(r.key), value, now);
  }
  append_batches(log_, "__consumer_offsets", batches, alive_, [this](int32_t p) { reload(p); }, std::move(done));
}

void GroupDriver::apply(c::Effects fx) {
  if (fx.empty()) {
    schedule();
    return;
  }
  auto alive = alive_;
  auto responses = std::make_shared<std::vector<c::Response>>(std::move(fx.responses));
  persist(std::move(fx.records), [this, alive, responses](ErrorCode e) {
    if (!*alive) return;
    for (const auto& r : *responses) deliver(e == ErrorCode::kNone ? r : with_error(r, e));
  });
  schedule();
}

void GroupDriver::join(c::JoinGroupRequest req, Deliver d) {
  req.handle = hold(std::move(d));
  apply(core_.join(req, clock_()));
}

void GroupDriver::sync(c::SyncGroupRequest req, Deliver d) {
  req.handle = hold(std::move(d));
  apply(core_.sync(req, clock_()));
}

void GroupDriver::heartbeat(c::HeartbeatRequest req, Deliver d) {
  req.handle = hold(std::move(d));
  apply(core_.heartbeat(req, clock_()));
}

void GroupDriver::leave(c::LeaveGroupRequest req, Deliver d) {
  req.handle = hold(std::move(d));
  apply(core_.leave(req, clock_()));
}

void GroupDriver::commit_offsets(const c::OffsetCommitRequest& req, Done<std::vector<c::PartitionError>> done) {
  auto result = core_.commit_offsets(req, clock_());
  auto parts = std::make_shared<std::vector<c::PartitionError>>(std::move(result.partitions));
  persist(std::move(result.records), [parts, done = std::move(done)](ErrorCode e) {
    if (e != ErrorCode::kNone) {
      for (auto& p : *parts) {
        if (p.error == ErrorCode::kNone) p.error = e;
      }
    }
    done(std::move(*parts));
  });
  schedule();
}

void GroupDriver::commit_txn_offsets(const c::OffsetCommitRequest& req, int16_t producer_epoch,
                                     Done<std::vector<c::PartitionError>> done) {
  auto result = core_.commit_offsets(req, clock_());
  auto parts = std::make_shared<std::vector<c::PartitionError>>(std::move(result.partitions));
  persist(
      std::move(result.records),
      [parts, done = std::move(done)](ErrorCode e) {
        if (e != ErrorCode::kNone) {
          for (auto& p : *parts) {
            if (p.error == ErrorCode::kNone) p.error = e;
          }
        }
        done(std::move(*parts));
      },
      req.producer_id, producer_epoch);
  schedule();
}

void GroupDriver::delete_offsets(const std::string& group_id, const std::vector<c::TopicPartition>& partitions,
                                 Done<c::OffsetDeleteResult> done) {
  auto result = std::make_shared<c::OffsetDeleteResult>(core_.delete_offsets(group_id, partitions));
  auto records = std::move(result->records);
  result->records.clear();
  persist(std::move(records), [result, done = std::move(done)](ErrorCode e) {
    if (e != ErrorCode::kNone) {
      result->error = e;
      result->partitions.clear();
    }
    done(std::move(*result));
  });
  schedule();
}

void GroupDriver::delete_groups(const std::vector<std::string>& group_ids,
                                Done<std::vector<std::pair<std::string, ErrorCode>>> done) {
  auto result = core_.delete_groups(group_ids, clock_());
  auto groups = std::make_shared<std::vector<std::pair<std::string, ErrorCode>>>(std::move(result.groups));
  persist(std::move(result.records), [groups, done = std::move(done)](ErrorCode e) {
    if (e != ErrorCode::kNone) {
      for (auto& g : *groups) {
        if (g.second == ErrorCode::kNone) g.second = e;
      }
    }
    done(std::move(*groups));
  });
  schedule();
}

void GroupDriver::load(int32_t partition) {
  if (core_.partition_state(partition) != c::PartitionState::kNotLeader) {
    apply(core_.unload(partition, clock_()));
  }
  core_.begin_loading(partition);
  if (observer_.begin) observer_.begin(partition);
  size_t records = 0, skipped = 0;
  Status s = log_.read_batches(partition, [&](const OffsetsLog::BatchInfo& b, const protocol::Record& r) {
    if (b.control) {
      if (b.producer_id >= 0) core_.replay_txn_marker(partition, b.producer_id, b.commit);
      return;
    }
    if (!r.key) {
      ++skipped;
      return;
    }
    ++records;
    // Consumer-group records (KIP-848) go to their driver too.
    if (observer_.record && !b.transactional && r.key->size() >= 2 &&
        c::is_consumer_record_type(int16_t(uint16_t((*r.key)[0]) << 8 | (*r.key)[1]))) {
      observer_.record(partition, *r.key, r.value);
    }
    Status rs = b.transactional && b.producer_id >= 0 ? core_.replay_txn(partition, b.producer_id, *r.key, r.value)
                                                      : core_.replay(partition, *r.key, r.value);
    if (!rs) {
      ++skipped;
      MOLDAU_LOG_WARN("__consumer_offsets-{}: skipping the record at offset {}: {}", partition, r.offset,
                      rs.error().message);
    }
  });
  if (!s) {
    MOLDAU_LOG_ERROR("cannot load __consumer_offsets-{}: {}", partition, s.error().message);
    apply(core_.unload(partition, clock_()));
    if (observer_.unload) observer_.unload(partition);
    return;
  }
  core_.complete_loading(partition, clock_());
  if (observer_.complete) observer_.complete(partition);
  if (records > 0) {
    MOLDAU_LOG_INFO("loaded __consumer_offsets-{}: {} records{}", partition, records,
                    skipped ? fmt::format(" ({} skipped)", skipped) : std::string());
  }
  schedule();
}

void GroupDriver::unload(int32_t partition) {
  if (core_.partition_state(partition) == c::PartitionState::kNotLeader) return;
  apply(core_.unload(partition, clock_()));
  if (observer_.unload) observer_.unload(partition);
}

void GroupDriver::reload(int32_t partition) {
  MOLDAU_LOG_WARN("reloading __consumer_offsets-{} after a failed append", partition);
  unload(partition);
  load(partition);
}

void GroupDriver::sync_leadership(const metadata::MetadataImage& image, int32_t node_id) {
  const metadata::TopicImage* t = image.topic(metadata::kConsumerOffsetsTopic);
  const int32_t n = core_.config().offsets_topic_num_partitions;
  for (int32_t p = 0; p < n; ++p) {
    bool leads = t && size_t(p) < t->partitions.size() && t->partitions[size_t(p)].leader == node_id;
    bool loaded = core_.partition_state(p) != c::PartitionState::kNotLeader;
    if (leads && !loaded) load(p);
    if (!leads && loaded) unload(p);
  }
}

void GroupDriver::tick() {
  if (shut_down_) return;
  apply(core_.tick(clock_()));
}

void GroupDriver::schedule() {
  if (shut_down_) return;
  arm_for_deadline(timer_, armed_at_, core_.next_deadline_ms(), clock_, alive_, [this] { tick(); });
}

void GroupDriver::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  timer_.cancel();
  armed_at_.reset();
  auto held = std::move(held_);
  held_.clear();
  for (auto& [h, d] : held) {
    c::HeartbeatResponse r;
    r.handle = h;
    r.error = ErrorCode::kNotCoordinator;
    // Each held request is a JoinGroup or SyncGroup; their handlers map any
    // response kind by its error.
    d(c::Response(r));
  }
}

// --- per-broker registry -------------------------------------------------------

GroupDriver* driver_of(const Broker& broker) { return BrokerRegistry<GroupDriver>::find(broker); }

void attach(const Broker& broker, GroupDriver* driver) { BrokerRegistry<GroupDriver>::set(broker, driver); }

BrokerGroups::BrokerGroups(Broker& broker) : broker_(broker), log_(broker) {
  driver_ = std::make_unique<GroupDriver>(broker.io(), coordinator_config(broker.config()), log_,
                                          [] { return now_ms(); });
  attach(broker_, driver_.get());
  std::random_device rd;
  consumer_ = std::make_unique<ConsumerGroupDriver>(broker.io(), consumer_group_config(broker.config()), *driver_,
                                                    [] { return now_ms(); }, (uint64_t(rd()) << 32) ^ uint64_t(rd()));
  attach_consumer(broker_, consumer_.get());
  on_metadata_change(*broker.controller().image());
  broker.controller().on_change(
      [this](const metadata::ImagePtr&, const metadata::ImagePtr& now, const metadata::CommittedBatch&) {
        on_metadata_change(*now);
      });
}

BrokerGroups::~BrokerGroups() {
  attach_consumer(broker_, nullptr);
  attach(broker_, nullptr);
}

void BrokerGroups::on_metadata_change(const metadata::MetadataImage& image) {
  consumer_->set_topics(image);  // loading names the topic ids of consumer-group records
  driver_->sync_leadership(image, broker_.node_id());
  consumer_->on_metadata(image);
}

void BrokerGroups::shutdown() {
  consumer_->shutdown();
  driver_->shutdown();
}

}  // namespace moldau::kafka::groups
