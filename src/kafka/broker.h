// The Kafka API layer of one broker: decodes each request frame's header,
// picks the handler for its API key, and owns the state handlers share
// (long-poll waiters, fetch sessions). One instance per process, used only on
// the event-loop thread.
#pragma once

#include <asio.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/fork_join.h"
#include "kafka/fetch_session.h"
#include "kafka/producer_ids.h"
#include "kafka/request_context.h"
#include "kafka/waiters.h"
#include "metadata/broker_config.h"
#include "metadata/controller.h"
#include "net/connection.h"
#include "protocol/record_batch.h"
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

// What the produce path needs of a topic's effective configuration, resolved
// once per metadata image (Broker::topic_settings) instead of once per
// partition per request.
struct TopicSettings {
  int64_t max_message_bytes = 0;                       // max.message.bytes
  bool log_append_time = false;                        // message.timestamp.type=LogAppendTime
  std::optional<protocol::Compression> target_compression;  // compression.type; nullopt: "producer"
  bool require_key = false;                            // cleanup.policy contains "compact"
  int64_t timestamp_before_max_ms = -1;                // message.timestamp.before.max.ms
  int64_t timestamp_after_max_ms = -1;                 // message.timestamp.after.max.ms
  storage::LogConfig log_config;                       // as log_config_for
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
  // Runs the partitions of a large produce request in parallel
  // (num.io.threads threads, the loop included, at most one per CPU core).
  ForkJoinPool& append_pool() { return append_pool_; }
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
  // The produce settings of a topic, cached per metadata image: the cache is
  // dropped whenever the controller's image pointer changes (any config,
  // topic or broker-config change makes a new image). The reference is valid
  // until the next call after an image change.
  const TopicSettings& topic_settings(const std::string& topic) const;

  // Stops long polls (answering them) before shutdown.
  void shutdown();

 private:
  void register_apis();
  void on_metadata_change(const metadata::ImagePtr& old_image, const metadata::ImagePtr& new_image);
  TopicSettings compute_topic_settings(const metadata::MetadataImage& image, const std::string& topic) const;

  asio::io_context& io_;
  const metadata::BrokerConfig& config_;
  metadata::Controller& controller_;
  storage::LogManager& logs_;
  PartitionWaiters waiters_;
  FetchSessionCache fetch_sessions_;
  ProducerIdAllocator producer_ids_;
  ForkJoinPool append_pool_;
  std::array<ApiEntry, 128> apis_{};
  // topic_settings' cache: valid for settings_image_ only (held, so its
  // address cannot be reused by a later image). Holds only topics of that image.
  mutable metadata::ImagePtr settings_image_;
  mutable std::unordered_map<std::string, TopicSettings> settings_;
  mutable TopicSettings uncached_;  // a topic not in the image (not cached, bounded)
};

}  // namespace moldau::kafka
