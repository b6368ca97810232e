#include "kafka/groups/consumer_group_driver.h"

#include "base/log.h"
#include "kafka/broker.h"
#include "kafka/groups/broker_registry.h"
#include "metadata/broker_config.h"

namespace moldau::kafka::groups {

namespace c = coordinator;

c::ConsumerGroupConfig consumer_group_config(const metadata::BrokerConfig& config) {
  c::ConsumerGroupConfig out;
  out.session_timeout_ms = int32_t(config.get_long("group.consumer.session.timeout.ms"));
  out.heartbeat_interval_ms = int32_t(config.get_long("group.consumer.heartbeat.interval.ms"));
  out.max_size = int32_t(config.get_long("group.consumer.max.size"));
  out.assignors.clear();
  for (const auto& a : config.get_list("group.consumer.assignors")) {
    if (auto name = c::assignor_name(a)) {
      out.assignors.push_back(*name);
    } else {
      MOLDAU_LOG_WARN("group.consumer.assignors: unknown assignor {} ignored", a);
    }
  }
  if (out.assignors.empty()) out.assignors = {"uniform", "range"};
  return out;
}

ConsumerGroupDriver::ConsumerGroupDriver(asio::io_context& io, c::ConsumerGroupConfig config, GroupDriver& classic,
                                         GroupDriver::Clock clock, uint64_t member_id_seed)
    : io_(io),
      core_(std::move(config), classic.core().config().offsets_topic_num_partitions, member_id_seed),
      classic_(classic),
      clock_(std::move(clock)),
      timer_(io) {
  GroupDriver::LoadObserver o;
  o.begin = [this](int32_t p) { core_.begin_loading(p); };
  o.record = [this](int32_t p, ByteSpan key, std::optional<ByteSpan> value) {
    auto k = c::decode_consumer_key(key);
    if (!k.ok()) {
      MOLDAU_LOG_WARN("__consumer_offsets-{}: skipping a consumer group record: {}", p, k.error().message);
      return;
    }
    if (k->type == c::ConsumerRecordType::kPartitionMetadata) return;
    std::optional<c::ConsumerRecordValue> v;
    if (value) {
      auto d = c::decode_consumer_value(k->type, *value, [this](const c::RecordTopicId& id) {
        return topic_name(protocol::Uuid{id.hi, id.lo});
      });
      if (!d.ok()) {
        MOLDAU_LOG_WARN("__consumer_offsets-{}: skipping a consumer group record of {}: {}", p, k->group_id,
                        d.error().message);
        return;
      }
      v = std::move(*d);
    }
    core_.replay(p, *k, v);
  };
  o.complete = [this](int32_t p) {
    core_.complete_loading(p, clock_());
    schedule();
  };
  o.unload = [this](int32_t p) { core_.unload(p); };
  classic_.set_load_observer(std::move(o));
}

ConsumerGroupDriver::~ConsumerGroupDriver() {
  *alive_ = false;
  timer_.cancel();
  classic_.set_load_observer({});
}

void ConsumerGroupDriver::on_metadata(const metadata::MetadataImage& image) {
  set_topics(image);
  const int32_t n = classic_.core().config().offsets_topic_num_partitions;
  for (int32_t p = 0; p < n; ++p) {
    if (classic_.core().partition_state(p) == c::PartitionState::kNotLeader) core_.unload(p);
  }
  schedule();
}

void ConsumerGroupDriver::set_topics(const metadata::MetadataImage& image) {
  partitions_.clear();
  ++topics_version_;
  ids_.clear();
  names_.clear();
  for (const auto& [name, t] : image.topics()) {
    partitions_[name] = int32_t(t->partitions.size());
    protocol::Uuid id{t->id.most_significant(), t->id.least_significant()};
    ids_[name] = id;
    names_[id] = name;
  }
}

ErrorCode ConsumerGroupDriver::coordinator_status(std::string_view group_id) const {
  switch (classic_.core().partition_state(classic_.partition_for(group_id))) {
    case c::PartitionState::kNotLeader:
      return ErrorCode::kNotCoordinator;
    case c::PartitionState::kLoading:
      return ErrorCode::kCoordinatorLoadInProgress;
    case c::PartitionState::kActive:
      return ErrorCode::kNone;
  }
  return ErrorCode::kNotCoordinator;
}

void ConsumerGroupDriver::heartbeat(c::ConsumerHeartbeatRequest req,
                                    std::function<void(const c::ConsumerHeartbeatResponse&)> done) {
  c::ConsumerHeartbeatResponse resp;
  if (!req.group_id.empty()) {
    if (ErrorCode e = coordinator_status(req.group_id); e != ErrorCode::kNone) {
      resp.error = e;
      done(resp);
      return;
    }
    // One namespace for both kinds of groups: a classic group with members
    // (or a rebalance under way) keeps its id. An empty one holds only
    // offsets, which the consumer group shares.
    if (const c::Group* classic = classic_.core().group(req.group_id);
        classic && classic->state() != c::GroupState::kEmpty && classic->state() != c::GroupState::kDead) {
      resp.error = ErrorCode::kGroupIdNotFound;
      resp.error_message = "Group " + req.group_id + " is not a consumer group.";
      done(resp);
      return;
    }
  }
  resp = core_.heartbeat(std::move(req), partitions_, topics_version_, clock_());
  schedule();
  flush([resp = std::move(resp), done = std::move(done)](ErrorCode e) mutable {
    if (e != ErrorCode::kNone) {
      c::ConsumerHeartbeatResponse err;
      err.error = e;
      done(err);
      return;
    }
    done(resp);
  });
}

ErrorCode ConsumerGroupDriver::delete_group(std::string_view group_id) {
  ErrorCode e = core_.delete_group(group_id);
  flush([](ErrorCode) {});
  return e;
}

std::optional<c::RecordTopicId> ConsumerGroupDriver::record_id(std::string_view name) const {
  auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return c::RecordTopicId{it->second.hi, it->second.lo};
}

void ConsumerGroupDriver::flush(std::function<void(ErrorCode)> done) {
  auto records = core_.take_records();
  if (records.empty()) {
    done(ErrorCode::kNone);
    return;
  }
  std::vector<c::OffsetsRecord> out;
  out.reserve(records.size());
  auto id_of = [this](std::string_view name) { return record_id(name); };
  for (const auto& r : records) {
    c::OffsetsRecord o;
    o.partition = r.partition;
    o.key = c::encode_key(r.key);
    if (r.value) o.value = c::encode_value(*r.value, id_of);
    out.push_back(std::move(o));
  }
  // A failed append reloads the partition (the classic driver), which
  // brings this coordinator back to what the log holds.
  classic_.append(std::move(out), std::move(done));
}

std::optional<std::string> ConsumerGroupDriver::topic_name(const protocol::Uuid& id) const {
  auto it = names_.find(id);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

protocol::Uuid ConsumerGroupDriver::topic_id(std::string_view name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? protocol::Uuid::zero() : it->second;
}

void ConsumerGroupDriver::tick() {
  if (shut_down_) return;
  core_.tick(clock_());
  flush([](ErrorCode) {});
  schedule();
}

void ConsumerGroupDriver::schedule() {
  if (shut_down_) return;
  arm_for_deadline(timer_, armed_at_, core_.next_deadline_ms(), clock_, alive_, [this] { tick(); });
}

void ConsumerGroupDriver::shutdown() {
  shut_down_ = true;
  armed_at_.reset();
  timer_.cancel();
}

ConsumerGroupDriver* consumer_driver_of(const Broker& broker) {
  return BrokerRegistry<ConsumerGroupDriver>::find(broker);
}

void attach_consumer(const Broker& broker, ConsumerGroupDriver* driver) {
  BrokerRegistry<ConsumerGroupDriver>::set(broker, driver);
}

}  // namespace moldau::kafka::groups
