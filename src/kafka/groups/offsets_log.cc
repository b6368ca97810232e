#include "kafka/groups/offsets_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kafka/broker.h"
#include "kafka/handlers/util.h"
#include "kafka/limits.h"
#include "metadata/controller.h"
#include "storage/log_manager.h"

namespace moldau::kafka::groups {
namespace {

// The partition's log (created when the image has the partition but the log
// is not there yet) and its leader epoch.
Result<std::pair<storage::Log*, int32_t>> offsets_partition(Broker& broker, int32_t partition) {
  auto image = broker.controller().image();
  const metadata::TopicImage* t = image->topic(metadata::kConsumerOffsetsTopic);
  if (!t || partition < 0 || size_t(partition) >= t->partitions.size()) {
    return Error{ErrorCode::kUnknownTopicOrPartition,
                 "__consumer_offsets-" + std::to_string(partition) + " does not exist"};
  }
  const auto& info = t->partitions[size_t(partition)];
  if (info.leader != broker.node_id()) {
    return Error{ErrorCode::kNotLeaderOrFollower,
                 "this broker does not lead __consumer_offsets-" + std::to_string(partition)};
  }
  storage::TopicPartition tp{metadata::kConsumerOffsetsTopic, partition};
  storage::Log* log = broker.logs().get(tp);
  if (!log) {
    auto created = broker.logs().get_or_create(tp, t->id.to_string(),
                                               broker.log_config_for(metadata::kConsumerOffsetsTopic));
    if (!created) return created.error();
    log = *created;
  }
  return std::pair<storage::Log*, int32_t>{log, info.leader_epoch};
}

}  // namespace

void BrokerOffsetsLog::append(int32_t partition, Bytes batch, std::function<void(Status)> done) {
  auto target = offsets_partition(broker_, partition);
  if (!target) {
    done(target.error());
    return;
  }
  auto [log, epoch] = *target;
  auto appended = log->append(std::span<uint8_t>(batch), epoch, now_ms());
  if (!appended) {
    done(appended.error());
    return;
  }
  const int64_t end = appended->last_offset + 1;
  storage::TopicPartition tp{metadata::kConsumerOffsetsTopic, partition};
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
  auto target = offsets_partition(broker_, partition);
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
                     "reading __consumer_offsets-" + std::to_string(partition) + ": " +
                         (n < 0 ? std::string(std::strerror(errno)) : std::string("unexpected end of file"))};
      }
      got += size_t(n);
    }
    protocol::BatchWalker walker(buf);
    int64_t next = offset;
    while (auto b = walker.next()) {
      const int64_t last = b->header().last_offset();
      next = last + 1;
      if (b->header().control()) continue;
      auto records = protocol::decode_records(b->bytes, kMaxDecompressedBatchBytes);
      if (!records) return records.error();
      for (const auto& rec : *records) {
        if (rec.offset >= offset) fn(rec);
      }
    }
    if (next <= offset) {
      return Error{ErrorCode::kCorruptMessage,
                   "__consumer_offsets-" + std::to_string(partition) + " does not advance at offset " +
                       std::to_string(offset)};
    }
    offset = next;
  }
  return Status();
}

}  // namespace moldau::kafka::groups
