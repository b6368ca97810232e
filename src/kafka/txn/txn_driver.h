// The transaction coordinator's driver (docs/transactions.md, "The driver"):
// owns the pure txn::TxnCoordinator and connects it to the clock (an asio
// timer at next_deadline_ms()), to __transaction_state (records appended, one
// batch per partition per event, before the request is answered; partitions
// loaded from their log start when this broker leads them), to the partitions
// of each transaction (COMMIT/ABORT markers through a MarkerWriter) and to the
// broker's producer id allocator.
//
// Used only on the broker's event-loop thread.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kafka/groups/offsets_log.h"
#include "metadata/image.h"
#include "txn/txn_coordinator.h"

namespace moldau::metadata {
class BrokerConfig;
}

namespace moldau::kafka {
class Broker;
}

namespace moldau::kafka::txn {

namespace t = moldau::txn;

// TxnConfig from the broker's transaction.* and offsets.* settings.
t::TxnConfig txn_config(const metadata::BrokerConfig& config);

// Writes one COMMIT/ABORT marker to one partition (the broker's writes a
// control batch with Log::append_control and advances the high watermark).
// UNKNOWN_TOPIC_OR_PARTITION means the partition is gone: the marker is not
// needed any more. Any other error is retried.
using MarkerWriter = std::function<Status(const t::TopicPartition&, const t::MarkerRequest&)>;
// Hands out a new producer id (possibly later).
using ProducerIdSource = std::function<void(std::function<void(Result<int64_t>)>)>;

class TxnDriver {
 public:
  using Clock = std::function<int64_t()>;  // wall-clock milliseconds
  template <typename T>
  using Done = std::function<void(T)>;

  // Delay before a failed marker write is tried again.
  static constexpr int64_t kMarkerRetryMs = 500;

  TxnDriver(asio::io_context& io, t::TxnConfig config, groups::OffsetsLog& log, MarkerWriter markers,
            ProducerIdSource producer_ids, Clock clock);
  ~TxnDriver();
  TxnDriver(const TxnDriver&) = delete;
  TxnDriver& operator=(const TxnDriver&) = delete;

  t::TxnCoordinator& core() { return core_; }
  const t::TxnCoordinator& core() const { return core_; }
  int32_t partition_for(std::string_view id) const { return core_.partition_for(id); }

  // --- leadership of __transaction_state partitions
  void load(int32_t partition, int32_t coordinator_epoch);
  void unload(int32_t partition);
  void sync_leadership(const metadata::MetadataImage& image, int32_t node_id);

  // --- requests: `done` runs once the event's records are appended (with
  // the mapped append error instead when that failed).
  void init_producer_id(t::InitProducerIdRequest req, Done<t::InitProducerIdResult> done);
  void add_partitions(const std::string& id, int64_t producer_id, int16_t epoch,
                      const std::vector<t::TopicPartition>& partitions, Done<ErrorCode> done);
  void add_offsets(const std::string& id, int64_t producer_id, int16_t epoch, const std::string& group_id,
                   Done<ErrorCode> done);
  void end_txn(const std::string& id, int64_t producer_id, int16_t epoch, bool commit, Done<ErrorCode> done);

  void tick();
  std::optional<int64_t> timer_deadline_ms() const { return armed_at_; }
  // Marker requests not yet fully written (tests, admin).
  size_t pending_markers() const { return pending_.size(); }
  void shutdown();

 private:
  struct Pending {
    t::MarkerRequest request;
    std::vector<t::TopicPartition> left;  // partitions still without a marker
    int64_t retry_at_ms = 0;
  };
  // Appends the records (one batch per partition), then calls `done` with
  // kNone or the mapped error, then writes the markers (on success only).
  void apply(t::Effects fx, std::function<void(ErrorCode)> done);
  void persist(std::vector<t::TxnRecord> records, std::function<void(ErrorCode)> done);
  // Tries to write the markers of every pending request that is due.
  void write_markers();
  void reload(int32_t partition);
  void schedule();
  std::optional<int64_t> next_deadline() const;

  asio::io_context& io_;
  t::TxnCoordinator core_;
  groups::OffsetsLog& log_;
  MarkerWriter markers_;
  ProducerIdSource producer_ids_;
  Clock clock_;
  asio::steady_timer timer_;
  std::optional<int64_t> armed_at_;
  std::vector<Pending> pending_;
  std::vector<int32_t> coordinator_epochs_;
  bool writing_markers_ = false;
  bool shut_down_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

TxnDriver* driver_of(const Broker& broker);
void attach(const Broker& broker, TxnDriver* driver);

// The broker's transaction coordinator: constructed by the app after the
// Broker and its group coordinator; follows the leadership of
// __transaction_state partitions and writes markers to the broker's logs
// (telling the group coordinator about markers in __consumer_offsets).
class BrokerTxn {
 public:
  explicit BrokerTxn(Broker& broker);
  ~BrokerTxn();
  TxnDriver& driver() { return *driver_; }
  void on_metadata_change(const metadata::MetadataImage& image);
  void shutdown() { driver_->shutdown(); }

 private:
  Status write_marker(const t::TopicPartition& tp, const t::MarkerRequest& m);

  Broker& broker_;
  groups::BrokerOffsetsLog log_;
  std::unique_ptr<TxnDriver> driver_;
};

}  // namespace moldau::kafka::txn
