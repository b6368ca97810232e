// The driver of the consumer groups (KIP-848; docs/groups.md, "KIP-848"):
// owns the pure coordinator::ConsumerGroupCoordinator, gives it the topics'
// partition counts from the metadata image, maps topic ids to names and
// back, fires session deadlines from an asio timer, and decides whether this
// broker coordinates a group (the classic driver's __consumer_offsets
// partitions) and whether the id is taken by a classic group.
//
// The records each event leaves (coordinator::ConsumerGroupCoordinator::
// take_records) are encoded (topic names to ids) and appended to
// __consumer_offsets through the classic driver before the heartbeat is
// answered; on a failed append the heartbeat gets the mapped error and the
// partition is reloaded. Loading a partition (the classic driver's load)
// hands this driver the records of types 3-8, which it decodes and replays.
// Committed offsets go through the classic driver as before.
//
// Used only on the broker's event-loop thread.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "coordinator/consumer_group_coordinator.h"
#include "kafka/groups/group_driver.h"
#include "protocol/uuid.h"

namespace moldau::kafka::groups {

// ConsumerGroupConfig from the broker's group.consumer.* settings.
coordinator::ConsumerGroupConfig consumer_group_config(const metadata::BrokerConfig& config);

class ConsumerGroupDriver {
 public:
  ConsumerGroupDriver(asio::io_context& io, coordinator::ConsumerGroupConfig config, GroupDriver& classic,
                      GroupDriver::Clock clock, uint64_t member_id_seed);
  ~ConsumerGroupDriver();
  ConsumerGroupDriver(const ConsumerGroupDriver&) = delete;
  ConsumerGroupDriver& operator=(const ConsumerGroupDriver&) = delete;

  coordinator::ConsumerGroupCoordinator& core() { return core_; }
  const coordinator::ConsumerGroupCoordinator& core() const { return core_; }

  // The topics (names, ids, partition counts) from a new image. Call before
  // the classic driver loads partitions of the image.
  void set_topics(const metadata::MetadataImage& image);
  // set_topics, then drops the groups of partitions the classic driver no
  // longer leads.
  void on_metadata(const metadata::MetadataImage& image);

  // NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS from the classic driver's
  // partition state, GROUP_ID_NOT_FOUND when a classic group with members
  // uses the id, else the coordinator's answer.
  // `done` runs once the heartbeat's records are appended (at once when it
  // has none).
  void heartbeat(coordinator::ConsumerHeartbeatRequest req,
                 std::function<void(const coordinator::ConsumerHeartbeatResponse&)> done);
  // DeleteGroups, or a classic group taking the id (the coordinator's
  // delete_group); the tombstones are appended in the background.
  ErrorCode delete_group(std::string_view group_id);
  // The group's partition state as an error (kNone: active here).
  ErrorCode coordinator_status(std::string_view group_id) const;

  // The consumer group of this id, if there is one and this broker has it.
  const coordinator::ConsumerGroup* group(std::string_view group_id) const { return core_.group(group_id); }

  std::optional<std::string> topic_name(const protocol::Uuid& id) const;
  protocol::Uuid topic_id(std::string_view name) const;  // zero when unknown

  void tick();
  void shutdown();

 private:
  void schedule();
  // Encodes and appends what the coordinator left; `done` gets the mapped
  // append error (kNone on success or when there was nothing).
  void flush(std::function<void(ErrorCode)> done);
  std::optional<coordinator::RecordTopicId> record_id(std::string_view name) const;

  asio::io_context& io_;
  coordinator::ConsumerGroupCoordinator core_;
  GroupDriver& classic_;
  GroupDriver::Clock clock_;
  asio::steady_timer timer_;
  std::optional<int64_t> armed_at_;
  bool shut_down_ = false;
  coordinator::TopicPartitionCounts partitions_;
  uint64_t topics_version_ = 0;  // goes up with every image
  std::map<std::string, protocol::Uuid, std::less<>> ids_;
  std::map<protocol::Uuid, std::string> names_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The consumer-group driver of a broker (registered by BrokerGroups), null
// when there is none.
ConsumerGroupDriver* consumer_driver_of(const Broker& broker);
void attach_consumer(const Broker& broker, ConsumerGroupDriver* driver);  // nullptr detaches

}  // namespace moldau::kafka::groups
