#include "kafka/broker.h"

#include "base/endian.h"
#include "base/log.h"
#include "kafka/handlers/handlers.h"
#include "kafka/handlers/txn_handlers.h"
#include "metadata/config_catalog.h"
#include "metadata/describe_configs.h"
#include "protocol/msg/api_keys.h"
#include "storage/log_manager.h"

namespace moldau::kafka {

namespace k = protocol::api_key;


Broker::Broker(asio::io_context& io, const metadata::BrokerConfig& config,
               metadata::Controller& controller, storage::LogManager& logs)
    : io_(io), config_(config), controller_(controller), logs_(logs), waiters_(io), producer_ids_(controller), append_pool_(ForkJoinPool::threads_for(config.get_long("num.io.threads"))) {
  register_apis();
}

void Broker::register_apis() {
  // Advertised ranges: what CLIENTS.md says real clients need, clipped to what
  // the codec has schemas for. Advertise only what is served and tested.
  auto add = [&](int16_t key, int16_t min, int16_t max, Handler h) {
    const protocol::ApiInfo* info = protocol::api_info(key);
    if (!info) return;
    apis_[size_t(key)] = ApiEntry{std::max(min, info->min_version), std::min(max, info->max_version), h};
  };
  add(k::kApiVersions, 0, 4, handle_api_versions);
  add(k::kMetadata, 0, 12, handle_metadata);
  // Produce advertises 0 because librdkafka 2.0 turns compression off unless
  // it sees Produce v0 (KAFKA-18659); v0-2 are answered UNSUPPORTED_VERSION.
  add(k::kProduce, 0, 11, handle_produce);
  add(k::kFetch, 4, 15, handle_fetch);
  add(k::kListOffsets, 1, 8, handle_list_offsets);
  add(k::kInitProducerId, 0, 5, handle_init_producer_id);
  add(k::kDescribeProducers, 0, 0, handle_describe_producers);
  register_admin_apis(*this, [&](int16_t key, int16_t min, int16_t max, Handler h) { add(key, min, max, h); });
  register_group_apis(*this, [&](int16_t key, int16_t min, int16_t max, Handler h) { add(key, min, max, h); });
  register_txn_apis(*this, [&](int16_t key, int16_t min, int16_t max, Handler h) { add(key, min, max, h); });
}

void Broker::handle_frame(const std::shared_ptr<net::Connection>& conn, net::Frame frame) {
  const Bytes& bytes = *frame.bytes;
  if (bytes.size() < 8) {
    MOLDAU_LOG_WARN("closing connection from {}: request of {} bytes is too short for a header",
                    conn->peer(), bytes.size());
    conn->reply(frame.slot, net::Reply::close());
    return;
  }
  const int16_t key = int16_t(load_be16(bytes.data()));
  const int16_t version = int16_t(load_be16(bytes.data() + 2));
  ByteReader r(bytes);
  protocol::RequestHeader header;
  const int16_t header_version = protocol::request_header_version(key, version);
  if (!header.decode(r, header_version) || !r.ok()) {
    MOLDAU_LOG_WARN("closing connection from {}: malformed request header (api key {}, version {})",
                    conn->peer(), key, version);
    conn->reply(frame.slot, net::Reply::close());
    return;
  }
  const ApiEntry* entry = api(key);
  if (!entry) {
    MOLDAU_LOG_WARN("closing connection from {}: unknown API key {} (client '{}')", conn->peer(), key,
                    header.client_id.value_or(""));
    conn->reply(frame.slot, net::Reply::close());
    return;
  }
  RequestContext ctx(conn, std::move(frame), std::move(header), r);
  if (version < entry->min_version || version > entry->max_version) {
    // ApiVersions answers any version (KIP-511); other APIs only within the
    // codec's range, where a response can still be encoded.
    const protocol::ApiInfo* info = protocol::api_info(key);
    bool encodable = info && version >= info->min_version && version <= info->max_version;
    if (key != k::kApiVersions && !(key == k::kProduce && encodable)) {
      MOLDAU_LOG_WARN("closing connection from {}: {} version {} is not supported (supported {}-{})",
                      ctx.connection()->peer(), info ? info->name : "?", version, entry->min_version,
                      entry->max_version);
      ctx.close_connection();
      return;
    }
  }
  entry->handler(*this, ctx);
}

void Broker::connection_closed(uint64_t connection_id) { fetch_sessions_.forget_owner(connection_id); }

storage::LogConfig Broker::log_config_for(const std::string& topic) const {
  return topic_settings(topic).log_config;
}

const TopicSettings& Broker::topic_settings(const std::string& topic) const {
  const metadata::ImagePtr& image = controller_.image();
  if (image != settings_image_) {
    settings_.clear();
    settings_image_ = image;
  }
  if (auto it = settings_.find(topic); it != settings_.end()) return it->second;
  if (!image->topic(topic)) {
    uncached_ = compute_topic_settings(*image, topic);
    return uncached_;
  }
  return settings_.emplace(topic, compute_topic_settings(*image, topic)).first->second;
}

namespace {
std::optional<protocol::Compression> target_compression(const std::string& type) {
  if (type == "uncompressed") return protocol::Compression::kNone;
  if (type == "gzip") return protocol::Compression::kGzip;
  if (type == "snappy") return protocol::Compression::kSnappy;
  if (type == "lz4") return protocol::Compression::kLz4;
  if (type == "zstd") return protocol::Compression::kZstd;
  return std::nullopt;  // "producer": keep what the client sent
}
}  // namespace

TopicSettings Broker::compute_topic_settings(const metadata::MetadataImage& image, const std::string& topic) const {
  const metadata::TopicImage* t = image.topic(topic);
  static const metadata::ConfigMap kNone;
  auto eff = metadata::effective_topic_configs(t ? t->configs : kNone, image, config_);
  auto get = [&](const char* key) -> std::string {
    auto it = eff.find(key);
    return it == eff.end() ? std::string() : it->second;
  };
  auto get_long = [&](const char* key, int64_t fallback) {
    auto it = eff.find(key);
    return it == eff.end() ? fallback : metadata::config_as_long(it->second);
  };
  TopicSettings s;
  s.max_message_bytes = get_long("max.message.bytes", 0);
  s.log_append_time = get("message.timestamp.type") == "LogAppendTime";
  s.target_compression = target_compression(get("compression.type"));
  s.require_key = get("cleanup.policy").find("compact") != std::string::npos;
  s.timestamp_before_max_ms = get_long("message.timestamp.before.max.ms", -1);
  s.timestamp_after_max_ms = get_long("message.timestamp.after.max.ms", -1);
  storage::LogConfig& c = s.log_config;
  c.segment_bytes = get_long("segment.bytes", c.segment_bytes);
  c.segment_ms = get_long("segment.ms", c.segment_ms);
  c.segment_index_bytes = int32_t(get_long("segment.index.bytes", c.segment_index_bytes));
  c.index_interval_bytes = int32_t(get_long("index.interval.bytes", c.index_interval_bytes));
  c.retention_ms = get_long("retention.ms", c.retention_ms);
  c.retention_bytes = get_long("retention.bytes", c.retention_bytes);
  c.flush_messages = get_long("flush.messages", c.flush_messages);
  c.flush_ms = get_long("flush.ms", c.flush_ms);
  c.file_delete_delay_ms = get_long("file.delete.delay.ms", c.file_delete_delay_ms);
  auto fsync = eff.find("moldau.flush.on.ack");
  c.fsync_on_ack = fsync != eff.end() && metadata::config_as_bool(fsync->second);
  c.producer_id_expiration_ms = config_.get_long("producer.id.expiration.ms");
  return s;
}

std::string Broker::topic_config(const std::string& topic, const std::string& key) const {
  const auto& image = *controller_.image();
  const metadata::TopicImage* t = image.topic(topic);
  static const metadata::ConfigMap kNone;
  return metadata::effective_topic_value(key, t ? t->configs : kNone, image, config_).value_or("");
}

void Broker::shutdown() { waiters_.complete_all(); }

}  // namespace moldau::kafka
