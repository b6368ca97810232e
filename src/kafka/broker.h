// The Kafka API layer of one broker: decodes each request frame's header,
// picks the handler for its API key, and owns the state handlers share
// (long-poll waiters, fetch sessions). One instance per process, used only on
// the event-loop thread.
#pragma once

#include <asio.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "kafka/fetch_session.h"
#include "kafka/producer_ids.h"
#include "kafka/request_context.h"
#include "kafka/waiters.h"
#include "metadata/broker_config.h"
#include "metadata/controller.h"
#include "net/connection.h"
#include "storage/log_config.h"

namespace moldau::storage {
class LogManager;
class Log;
}  // namespace moldau::storage

namespace moldau::kafka {

class Broker;
using Handler = void (*)(Broker&, RequestContext&);

// One row of the API table: the versions this broker advertises and serves.
struct ApiEntry {
  int16_t min_version = -1;  // -1: API not served
  int16_t max_version = -1;
  Handler handler = nullptr;
};

class Broker {
 public:
  Broker(asio::io_context& io, const metadata::BrokerConfig& config, metadata::Controller& controller,
         storage::LogManager& logs);

  // The net::FrameHandler: one complete request frame.
  void handle_frame(const std::shared_ptr<net::Connection>& conn, net::Frame frame);
  // A connection closed: forget its fetch sessions.
  void connection_closed(uint64_t connection_id);

  asio::io_context& io() { return io_; }
  const metadata::BrokerConfig& config() const { return config_; }
  metadata::Controller& controller() { return controller_; }
  storage::LogManager& logs() { return logs_; }
  PartitionWaiters& waiters() { return waiters_; }
  FetchSessionCache& fetch_sessions() { return fetch_sessions_; }
  // Producer ids for InitProducerId (idempotent and transactional producers).
  ProducerIdAllocator& producer_ids() { return producer_ids_; }
  int32_t node_id() const { return config_.node_id; }

  // The advertised API table (for ApiVersions).
  const std::array<ApiEntry, 128>& apis() const { return apis_; }
  const ApiEntry* api(int16_t key) const {
    return key >= 0 && size_t(key) < apis_.size() && apis_[size_t(key)].handler ? &apis_[size_t(key)]
                                                                                 : nullptr;
  }

  // The effective storage settings of a topic (topic overrides, dynamic and
  // static broker configs, defaults).
  storage::LogConfig log_config_for(const std::string& topic) const;
  // A topic config's effective value as text.
  std::string topic_config(const std::string& topic, const std::string& key) const;

  // Stops long polls (answering them) before shutdown.
  void shutdown();

 private:
  void register_apis();
  void on_metadata_change(const metadata::ImagePtr& old_image, const metadata::ImagePtr& new_image);

  asio::io_context& io_;
  const metadata::BrokerConfig& config_;
  metadata::Controller& controller_;
  storage::LogManager& logs_;
  PartitionWaiters waiters_;
  FetchSessionCache fetch_sessions_;
  ProducerIdAllocator producer_ids_;
  std::array<ApiEntry, 128> apis_{};
};

}  // namespace moldau::kafka
