#include "app/broker_main.h"

#include <asio.hpp>

#include <chrono>
#include <cstdio>
#include <set>

#include "base/fork_join.h"
#include "base/log.h"
#include "base/properties.h"
#include "kafka/broker.h"
#include "kafka/groups/group_driver.h"
#include "kafka/txn/txn_driver.h"
#include "metadata/broker_config.h"
#include "metadata/config_catalog.h"
#include "metadata/controller.h"
#include "metadata/meta_properties.h"
#include "metadata/single_voter_quorum.h"
#include "net/server.h"
#include "storage/log_manager.h"

namespace moldau::app {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A person reads this: say what is wrong and how to fix it.
int fail(const std::string& what) {
  std::fprintf(stderr, "moldau broker: %s\n", what.c_str());
  return 2;
}

Result<metadata::BrokerConfig> load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::vector<PropertyEntry> entries;
  if (!path.empty()) {
    auto file = read_properties_file(path);
    if (!file) return file.error();
    entries = std::move(*file);
  }
  std::vector<PropertyEntry> extra;
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error{ErrorCode::kInvalidConfig,
                   "override '" + o + "' is not of the form key=value (e.g. log.dirs=/tmp/moldau)"};
    }
    PropertyEntry e;
    e.key = o.substr(0, eq);
    e.value = o.substr(eq + 1);
    extra.push_back(std::move(e));
  }
  return metadata::parse_broker_config(entries, extra);
}

// Brings the partition logs in line with the image: a log for every
// partition, none for topics that no longer exist, configs up to date.
void reconcile_logs(kafka::Broker& broker, storage::LogManager& logs, const metadata::MetadataImage& image) {
  std::set<std::pair<std::string, int32_t>> wanted;
  for (const auto& [name, t] : image.topics()) {
    auto cfg = broker.log_config_for(name);
    for (const auto& p : t->partitions) {
      wanted.insert({name, p.partition});
      storage::TopicPartition tp{name, p.partition};
      storage::Log* log = logs.get(tp);
      if (log) {
        log->update_config(cfg);
      } else {
        auto created = logs.get_or_create(tp, t->id.to_string(), cfg);
        if (!created) {
          MOLDAU_LOG_ERROR("cannot create the log of {}-{}: {}", name, p.partition, created.error().message);
          continue;
        }
        log = *created;
      }
      // The only replica is its own ISR: everything in the log is committed,
      // also what was appended after the last high-watermark checkpoint
      // before a crash (as Kafka does when a sole replica becomes leader).
      if (p.replicas.size() == 1 && p.leader == broker.node_id() && !log->offline())
        log->set_high_watermark(log->log_end_offset());
    }
  }
  for (const auto& tp : logs.partitions()) {
    if (wanted.count({tp.topic, tp.partition})) continue;
    if (Status s = logs.remove(tp); !s) {
      MOLDAU_LOG_ERROR("cannot delete the log of {}-{}: {}", tp.topic, tp.partition, s.error().message);
    } else {
      MOLDAU_LOG_INFO("deleted the log of {}-{}", tp.topic, tp.partition);
    }
  }
}

storage::LogConfig default_log_config(const metadata::BrokerConfig& config) {
  storage::LogConfig c;
  c.segment_bytes = config.get_long("log.segment.bytes");
  c.retention_bytes = config.get_long("log.retention.bytes");
  return c;
}

}  // namespace

int run_broker(const std::string& config_path, const std::vector<std::string>& overrides,
               const std::string& log_level) {
  init_logging(log_level);
  auto config_r = load_config(config_path, overrides);
  if (!config_r) return fail(config_r.error().message);
  const metadata::BrokerConfig config = std::move(*config_r);
  for (const auto& w : config.warnings) MOLDAU_LOG_WARN("config: {}", w);
  const auto start = std::chrono::steady_clock::now();

  auto cluster_id = metadata::ensure_meta_properties(config.log_dirs, config.node_id, config.cluster_id);
  if (!cluster_id) return fail(cluster_id.error().message);

  auto quorum = metadata::SingleVoterQuorum::open(config.metadata_log_dir, config.node_id);
  if (!quorum) return fail("cannot open the metadata log in " + config.metadata_log_dir + ": " +
                           quorum.error().message);
  metadata::Controller controller(**quorum, config, *cluster_id);
  if (Status s = controller.load(); !s) return fail("cannot load the metadata log: " + s.error().message);

  asio::io_context io(1);
  storage::LogManagerOptions log_options;
  log_options.retention_check_interval_ms = config.get_long("log.retention.check.interval.ms");
  log_options.recovery_threads_per_dir =
      ForkJoinPool::threads_for(config.get_long("num.recovery.threads.per.data.dir"));
  storage::LogManager logs(config.log_dirs, default_log_config(config),
                           [&io](std::function<void()> fn) { asio::post(io, std::move(fn)); }, log_options);
  if (Status s = logs.open(); !s) return fail("cannot open the log dirs: " + s.error().message);

  kafka::Broker broker(io, config, controller, logs);
  reconcile_logs(broker, logs, *controller.image());
  controller.on_change([&](const metadata::ImagePtr&, const metadata::ImagePtr& now, const metadata::CommittedBatch&) {
    reconcile_logs(broker, logs, *now);
  });
  // Consumer groups: loads the __consumer_offsets partitions this broker
  // leads and follows their leadership (after the logs are reconciled).
  kafka::groups::BrokerGroups groups(broker);
  // Transactions: loads the __transaction_state partitions this broker leads
  // (completing transactions a crash left between decision and markers).
  kafka::txn::BrokerTxn txns(broker);
  bool registered = false;
  controller.register_broker([&](Status s) {
    registered = s.ok();
    if (!s) MOLDAU_LOG_ERROR("cannot register this broker: {}", s.error().message);
  });

  net::ConnectionLimits limits;
  limits.max_request_bytes = int32_t(config.get_long("socket.request.max.bytes"));
  limits.use_sendfile = config.get_bool("moldau.fetch.sendfile");
  limits.send_buffer_bytes = int(config.get_long("socket.send.buffer.bytes"));
  limits.receive_buffer_bytes = int(config.get_long("socket.receive.buffer.bytes"));
  net::Server server(
      io, limits,
      [&broker](const std::shared_ptr<net::Connection>& c, net::Frame f) { broker.handle_frame(c, std::move(f)); },
      [&broker](uint64_t id) { broker.connection_closed(id); });
  std::vector<net::Listener> listeners;
  for (const auto& l : config.listeners) {
    bool controller_listener = false;
    for (const auto& n : config.controller_listener_names) controller_listener |= (n == l.name);
    if (!controller_listener) listeners.push_back({l.name, l.host, l.port});
  }
  if (Status s = server.listen(listeners); !s) return fail(s.error().message);

  // Retention, rolls, flush.ms, checkpoints: a coarse tick is enough and
  // keeps an idle broker idle.
  asio::steady_timer ticker(io);
  std::function<void()> tick = [&] {
    logs.tick(wall_ms());
    ticker.expires_after(std::chrono::milliseconds(500));
    ticker.async_wait([&](const asio::error_code& ec) {
      if (!ec) tick();
    });
  };
  tick();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int sig) {
    if (ec) return;
    MOLDAU_LOG_INFO("signal {}: shutting down", sig);
    server.stop();
    broker.shutdown();
    groups.shutdown();
    txns.shutdown();
    ticker.cancel();
    io.stop();
  });

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  MOLDAU_LOG_INFO("moldau broker {} started in {} ms (cluster {}, {} topics, registered={})", config.node_id, ms,
                  *cluster_id, controller.image()->topics().size(), registered);
  io.run();
  logs.shutdown();
  MOLDAU_LOG_INFO("moldau broker {} stopped cleanly", config.node_id);
  return 0;
}

}  // namespace moldau::app
