// The group coordinator's driver (docs/groups.md, "The driver"): owns the
// pure coordinator::GroupCoordinator and connects it to the clock (an asio
// timer at next_deadline_ms()), to __consumer_offsets (records appended, one
// batch per partition per event, before any response of the event is
// delivered; partitions loaded from their log start when this broker leads
// them) and to the handlers (held JoinGroup/SyncGroup responses kept by
// handle until the coordinator answers them).
//
// Used only on the broker's event-loop thread.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "coordinator/group_coordinator.h"
#include "kafka/groups/offsets_log.h"
#include "metadata/image.h"
#include "protocol/record_batch.h"

namespace moldau::metadata {
class BrokerConfig;
}

namespace moldau::kafka {
class Broker;
}

namespace moldau::kafka::groups {

// CoordinatorConfig from the broker's group.* and offsets.* settings, with
// the member id generator seeded from std::random_device.
coordinator::CoordinatorConfig coordinator_config(const metadata::BrokerConfig& config);

// How Kafka maps a failed __consumer_offsets append to the error the group
// request is answered with.
ErrorCode map_append_error(ErrorCode append_error);

// Appends one batch per partition of an internal topic (`topic` names it in
// the log) and calls `done` once, after every append answered, with the first
// failure mapped by map_append_error (NONE when all succeeded). Partitions
// whose append failed are handed to `reload` first, unless `alive` is false
// by then. Used by the group and the transaction drivers.
void append_batches(OffsetsLog& log, const char* topic, std::map<int32_t, protocol::BatchBuilder>& batches,
                    std::shared_ptr<bool> alive, std::function<void(int32_t)> reload,
                    std::function<void(ErrorCode)> done);

// A driver's timer for its core's next deadline (wall-clock ms, `next`):
// disarms it when there is none, leaves it when it is already armed
// (`armed_at`) for that time or sooner, and otherwise arms it to reset
// `armed_at` and call `fire` on expiry, unless `alive` is false by then.
void arm_for_deadline(asio::steady_timer& timer, std::optional<int64_t>& armed_at, std::optional<int64_t> next,
                      const std::function<int64_t()>& clock, std::shared_ptr<bool> alive, std::function<void()> fire);

class GroupDriver {
 public:
  using Clock = std::function<int64_t()>;  // wall-clock milliseconds
  using Deliver = std::function<void(const coordinator::Response&)>;
  template <typename T>
  using Done = std::function<void(T)>;

  GroupDriver(asio::io_context& io, coordinator::CoordinatorConfig config, OffsetsLog& log, Clock clock);
  ~GroupDriver();
  GroupDriver(const GroupDriver&) = delete;
  GroupDriver& operator=(const GroupDriver&) = delete;

  coordinator::GroupCoordinator& core() { return core_; }
  const coordinator::GroupCoordinator& core() const { return core_; }
  int32_t partition_for(std::string_view group_id) const { return core_.partition_for(group_id); }

  // --- leadership of __consumer_offsets partitions
  // Reads the partition from its log start and replays it into the core.
  // Synchronous: the partition is active (or, when its log cannot be read,
  // left not led) when this returns.
  void load(int32_t partition);
  // Drops the partition's groups; their held requests are answered
  // NOT_COORDINATOR.
  void unload(int32_t partition);
  // Loads the partitions of __consumer_offsets that `node_id` leads in
  // `image` and unloads the others.
  void sync_leadership(const metadata::MetadataImage& image, int32_t node_id);

  // --- the classic protocol: `deliver` runs exactly once, possibly much later
  // (held requests), after the event's records are appended. The handle of
  // the request is chosen here.
  void join(coordinator::JoinGroupRequest req, Deliver deliver);
  void sync(coordinator::SyncGroupRequest req, Deliver deliver);
  void heartbeat(coordinator::HeartbeatRequest req, Deliver deliver);
  void leave(coordinator::LeaveGroupRequest req, Deliver deliver);

  // --- offsets and admin: `done` runs once the records are appended; on an
  // append failure every partition (group) carries the mapped error.
  void commit_offsets(const coordinator::OffsetCommitRequest& req,
                      Done<std::vector<coordinator::PartitionError>> done);
  // TxnOffsetCommit: the offsets are appended in a transactional batch of
  // the producer and stay pending until complete_txn_offsets.
  void commit_txn_offsets(const coordinator::OffsetCommitRequest& req, int16_t producer_epoch,
                          Done<std::vector<coordinator::PartitionError>> done);
  // The transaction coordinator wrote a marker to `partition`.
  void complete_txn_offsets(int32_t partition, int64_t producer_id, bool commit) {
    core_.complete_txn_offsets(partition, producer_id, commit, clock_());
  }
  std::vector<coordinator::OffsetFetchGroupResult> fetch_offsets(
      const std::vector<coordinator::OffsetFetchGroup>& groups) const {
    return core_.fetch_offsets(groups);
  }
  void delete_offsets(const std::string& group_id, const std::vector<coordinator::TopicPartition>& partitions,
                      Done<coordinator::OffsetDeleteResult> done);
  void delete_groups(const std::vector<std::string>& group_ids,
                     Done<std::vector<std::pair<std::string, ErrorCode>>> done);
  coordinator::ListGroupsResult list_groups(const std::vector<std::string>& states) const {
    return core_.list_groups(states);
  }
  std::vector<coordinator::DescribedGroup> describe_groups(const std::vector<std::string>& ids) const {
    return core_.describe_groups(ids);
  }

  // --- the consumer groups (KIP-848) share __consumer_offsets: their
  // driver appends its records through here and sees the records of their
  // types (keys 3-8) when a partition loads.
  void append(std::vector<coordinator::OffsetsRecord> records, std::function<void(ErrorCode)> done) {
    persist(std::move(records), std::move(done));
  }
  struct LoadObserver {
    std::function<void(int32_t partition)> begin;
    std::function<void(int32_t partition, ByteSpan key, std::optional<ByteSpan> value)> record;
    std::function<void(int32_t partition)> complete;
    std::function<void(int32_t partition)> unload;
  };
  void set_load_observer(LoadObserver o) { observer_ = std::move(o); }

  // Fires due deadlines now (the timer calls this; tests may too).
  void tick();
  // When the timer is armed for, if it is (tests).
  std::optional<int64_t> timer_deadline_ms() const { return armed_at_; }
  size_t held_requests() const { return held_.size(); }
  // Answers every held request NOT_COORDINATOR and stops the timer
  // (shutdown).
  void shutdown();

 private:
  coordinator::RequestHandle hold(Deliver deliver);
  // Appends `records` (one batch per partition, in order) and then calls
  // `done` with kNone or the mapped error of the first failed append; the
  // partitions whose append failed are reloaded first.
  // A producer id >= 0 makes the batches transactional batches of that producer.
  void persist(std::vector<coordinator::OffsetsRecord> records, std::function<void(ErrorCode)> done,
               int64_t producer_id = -1, int16_t producer_epoch = -1);
  // persist + deliver the responses (errors replaced on failure).
  void apply(coordinator::Effects fx);
  void deliver(const coordinator::Response& r);
  void reload(int32_t partition);
  void schedule();

  asio::io_context& io_;
  coordinator::GroupCoordinator core_;
  OffsetsLog& log_;
  Clock clock_;
  asio::steady_timer timer_;
  std::optional<int64_t> armed_at_;
  coordinator::RequestHandle next_handle_ = 1;
  std::unordered_map<coordinator::RequestHandle, Deliver> held_;
  bool shut_down_ = false;
  LoadObserver observer_;
  // Guards the driver in callbacks that may outlive it (timer, appends).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class ConsumerGroupDriver;

// The driver of a broker, for its handlers: registered by attach() (the
// broker's wiring constructs it), null when there is none.
GroupDriver* driver_of(const Broker& broker);
void attach(const Broker& broker, GroupDriver* driver);  // nullptr detaches

// The broker's group driver with its __consumer_offsets store: constructed
// by the app after the Broker; attaches itself, follows the leadership of
// __consumer_offsets partitions through the controller's change listener and
// loads the partitions it leads now.
class BrokerGroups {
 public:
  explicit BrokerGroups(Broker& broker);
  ~BrokerGroups();
  GroupDriver& driver() { return *driver_; }
  ConsumerGroupDriver& consumer_driver() { return *consumer_; }
  // Call from the controller's on_change (after the logs are reconciled).
  void on_metadata_change(const metadata::MetadataImage& image);
  void shutdown();

 private:
  Broker& broker_;
  BrokerOffsetsLog log_;
  std::unique_ptr<GroupDriver> driver_;
  // The consumer groups (KIP-848), beside the classic ones.
  std::unique_ptr<ConsumerGroupDriver> consumer_;
};

}  // namespace moldau::kafka::groups
