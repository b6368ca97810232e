#include "kafka/groups/offsets_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kafka/broker.h"
#include "kafka/handlers/util.h"
#include "kafka/limits.h"
#include "metadata/controller.h"
#include "base/endian.h"
#include "storage/log.h"
#include "storage/log_manager.h"

namespace moldau::kafka::groups {
namespace {

// The partition's log (created when the image has the partition but the log
// is not there yet) and its leader epoch.
Result<std::pair<storage::Log*, int32_t>> offsets_partition(Broker& broker, const std::string& topic,
                                                            int32_t partition) {
  auto image = broker.controller().image();
  const metadata::TopicImage* t = image->topic(topic);
  if (!t || partition < 0 || size_t(partition) >= t->partitions.size()) {
    return Error{ErrorCode::kUnknownTopicOrPartition,
                 topic + "-" + std::to_string(partition) + " does not exist"};
  }
  const auto& info = t->partitions[size_t(partition)];
  if (info.leader != broker.node_id()) {
    return Error{ErrorCode::kNotLeaderOrFollower,
                 "this broker does not lead __consumer_offsets-" + std::to_string(partition)};
  }
  storage::TopicPartition tp{topic, partition};
  storage::Log* log = broker.logs().get(tp);
  if (!log) {
    auto created = broker.logs().get_or_create(tp, t->id.to_string(),
                                               broker.log_config_for(topic));
    if (!created) return created.error();
    log = *created;
  }
  return std::pair<storage::Log*, int32_t>{log, info.leader_epoch};
}

// A transactional batch of the group coordinator (TxnOffsetCommit) carries
// the producer's id and epoch; the log checks its sequence like a producer's,
// so it gets the one that follows the producer's last batch here.
void set_coordinator_sequence(storage::Log& log, Bytes& batch) {
  if (batch.size() < protocol::batch::kHeaderSize) return;
  const int64_t pid = int64_t(load_be64(batch.data() + protocol::batch::kProducerId));
  if (pid < 0) return;
  const int16_t epoch = int16_t(load_be16(batch.data() + protocol::batch::kProducerEpoch));
  int32_t seq = 0;
  if (const auto* e = log.producer_state().find(pid); e && e->epoch == epoch && e->last_seq() >= 0) {
    seq = e->last_seq() == INT32_MAX ? 0 : e->last_seq() + 1;
  }
  store_be32(batch.data() + protocol::batch::kBaseSequence, uint32_t(seq));
  protocol::update_crc(batch.data(), batch.size());
}

}  // namespace

void BrokerOffsetsLog::append(int32_t partition, Bytes batch, std::function<void(Status)> done) {
  auto target = offsets_partition(broker_, topic_, partition);
  if (!target) {
    done(target.error());
    return;
  }
  auto [log, epoch] = *target;
  set_coordinator_sequence(*log, batch);
  auto appended = log->append(std::span<uint8_t>(batch), epoch, now_ms());
  if (!appended) {
    done(appended.error());
    return;
  }
  const int64_t end = appended->last_offset + 1;
  storage::TopicPartition tp{topic_, partition};
  if (log->config().fsync_on_ack) {
    Broker& broker = broker_;
    broker_.logs().flush_async(log, end, [&broker, log, tp, end, done = std::move(done)](Status s) {
      if (s) {
        log->set_high_watermark(std::max(log->high_watermark(), end));
        broker.waiters().notify({tp.topic, tp.partition});
      }
      done(s);
    });
    return;
  }
  log->set_high_watermark(log->log_end_offset());
  broker_.waiters().notify({tp.topic, tp.partition});
  done(Status());
}

Status BrokerOffsetsLog::read(int32_t partition, const std::function<void(const protocol::Record&)>& fn) {
  return read_batches(partition, [&fn](const BatchInfo& b, const protocol::Record& r) {
    if (!b.control) fn(r);
  });
}

Status BrokerOffsetsLog::read_batches(int32_t partition,
                                      const std::function<void(const BatchInfo&, const protocol::Record&)>& fn) {
  auto target = offsets_partition(broker_, topic_, partition);
  if (!target) return target.error();
  storage::Log* log = target->first;
  int64_t offset = log->log_start_offset();
  const int64_t end = log->log_end_offset();
  Bytes buf;
  while (offset < end) {
    auto r = log->read(offset, 1 << 20, end, /*min_one=*/true);
    if (!r) return r.error();
    if (r->region.length == 0) break;
    buf.resize(size_t(r->region.length));
    size_t got = 0;
    while (got < buf.size()) {
      ssize_t n = ::pread(r->region.fd, buf.data() + got, buf.size() - got, off_t(r->region.offset + int64_t(got)));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return Error{ErrorCode::kKafkaStorageError,
                     "reading " + topic_ + "-" + std::to_string(partition) + ": " +
                         (n < 0 ? std::string(std::strerror(errno)) : std::string("unexpected end of file"))};
      }
      got += size_t(n);
    }
    protocol::BatchWalker walker(buf);
    int64_t next = offset;
    while (auto b = walker.next()) {
      const int64_t last = b->header().last_offset();
      next = last + 1;
      BatchInfo info;
      info.producer_id = b->header().producer_id();
      info.transactional = b->header().transactional();
      info.control = b->header().control();
      auto records = protocol::decode_records(b->bytes, kMaxDecompressedBatchBytes);
      if (!records) return records.error();
      for (const auto& rec : *records) {
        if (rec.offset < offset) continue;
        if (info.control) {
          auto type = protocol::control_record_type(rec.key);
          if (!type) continue;
          info.commit = *type == 1;
        }
        fn(info, rec);
      }
    }
    if (next <= offset) {
      return Error{ErrorCode::kCorruptMessage,
                   topic_ + "-" + std::to_string(partition) + " does not advance at offset " +
                       std::to_string(offset)};
    }
    offset = next;
  }
  return Status();
}

}  // namespace moldau::kafka::groups
