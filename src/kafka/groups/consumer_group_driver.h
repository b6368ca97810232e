// The driver of the consumer groups (KIP-848; docs/groups.md, "KIP-848"):
// owns the pure coordinator::ConsumerGroupCoordinator, gives it the topics'
// partition counts from the metadata image, maps topic ids to names and
// back, fires session deadlines from an asio timer, and decides whether this
// broker coordinates a group (the classic driver's __consumer_offsets
// partitions) and whether the id is taken by a classic group.
//
// Heartbeats are answered at once (nothing is held) and nothing is written
// to __consumer_offsets: membership lives in memory; committed offsets go
// through the classic driver and persist as before.
//
// Used only on the broker's event-loop thread.
#pragma once

#include <asio.hpp>

#include <cstdint>
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

  // The topics (names, ids, partition counts) from a new image; drops the
  // groups of partitions the classic driver no longer leads.
  void on_metadata(const metadata::MetadataImage& image);

  // NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS from the classic driver's
  // partition state, GROUP_ID_NOT_FOUND when a classic group with members
  // uses the id, else the coordinator's answer.
  coordinator::ConsumerHeartbeatResponse heartbeat(coordinator::ConsumerHeartbeatRequest req);
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
