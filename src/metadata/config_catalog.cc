#include "metadata/config_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "metadata/listeners.h"

namespace moldau::metadata {
namespace {

constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int64_t kHourMs = 3600000;
constexpr int64_t kMinuteMs = 60000;

using T = ConfigType;

// ---- validators, described the way Kafka prints them ------------------------

ConfigValidator none() { return {}; }

ConfigValidator at_least(int64_t min) {
  ConfigValidator v;
  v.kind = ConfigValidator::Kind::kRange;
  v.min = min;
  v.description = fmt::format("[{},...]", min);
  return v;
}

ConfigValidator between(int64_t min, int64_t max) {
  ConfigValidator v;
  v.kind = ConfigValidator::Kind::kRange;
  v.min = min;
  v.max = max;
  v.description = fmt::format("[{},...,{}]", min, max);
  return v;
}

ConfigValidator between_double(double min, double max) {
  ConfigValidator v;
  v.kind = ConfigValidator::Kind::kRange;
  v.dmin = min;
  v.dmax = max;
  v.description = fmt::format("[{},...,{}]", min, max);
  return v;
}

ConfigValidator one_of(std::vector<std::string> allowed, bool each = false) {
  ConfigValidator v;
  v.kind = each ? ConfigValidator::Kind::kEachOneOf : ConfigValidator::Kind::kOneOf;
  v.description = "[" + fmt::format("{}", fmt::join(allowed, ", ")) + "]";
  v.allowed = std::move(allowed);
  return v;
}

ConfigValidator custom(std::string (*check)(std::string_view), std::string description) {
  ConfigValidator v;
  v.kind = ConfigValidator::Kind::kCustom;
  v.check = check;
  v.description = std::move(description);
  return v;
}

std::string check_gzip_level(std::string_view v) {
  int64_t n = config_as_long(v);
  return (n == -1 || (n >= 1 && n <= 9)) ? "" : "Value must be between 1 and 9, or -1 for the codec's default";
}

std::string check_throttled_replicas(std::string_view v) {
  auto items = config_as_list(v);
  if (items.size() == 1 && items[0] == "*") return "";
  for (const auto& item : items) {
    size_t colon = item.find(':');
    auto digits = [](std::string_view s) {
      return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(uint8_t(c)); });
    };
    if (colon == std::string::npos || !digits(std::string_view(item).substr(0, colon)) ||
        !digits(std::string_view(item).substr(colon + 1))) {
      return "Value must be a list of partitionId:brokerId pairs, or the single wildcard '*'";
    }
  }
  return "";
}

std::string check_listeners(std::string_view v) {
  auto r = parse_listeners(v);
  return r.ok() ? "" : r.error().message;
}

std::string check_protocol_map(std::string_view v) {
  auto r = parse_protocol_map(v);
  return r.ok() ? "" : r.error().message;
}

std::string check_voters(std::string_view v) {
  auto r = parse_quorum_voters(v);
  return r.ok() ? "" : r.error().message;
}

std::string check_node_id(std::string_view v) {
  return config_as_long(v) >= -1 ? "" : "Value must be at least -1 (-1: not set)";
}

const std::vector<std::string> kCompressionTypes = {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"};
const std::vector<std::string> kTimestampTypes = {"CreateTime", "LogAppendTime"};
const std::vector<std::string> kCleanupPolicies = {"compact", "delete"};

ConfigDef topic(std::string name, T type, std::optional<std::string> def, ConfigValidator v,
                std::string doc, std::vector<BrokerSynonym> synonyms) {
  ConfigDef d;
  d.name = std::move(name);
  d.type = type;
  d.default_value = std::move(def);
  d.validator = std::move(v);
  d.doc = std::move(doc);
  d.synonyms = std::move(synonyms);
  return d;
}

ConfigDef broker(std::string name, T type, std::optional<std::string> def, ConfigValidator v,
                 std::string doc, bool dynamic = false) {
  ConfigDef d;
  d.name = std::move(name);
  d.type = type;
  d.default_value = std::move(def);
  d.validator = std::move(v);
  d.doc = std::move(doc);
  d.dynamic = dynamic;
  return d;
}

std::string n(int64_t v) { return std::to_string(v); }

std::vector<ConfigDef> make_topic_defs() {
  return {
      topic("cleanup.policy", T::kList, "delete", one_of(kCleanupPolicies, true),
            "What happens to old segments: 'delete' drops them past the retention limits, "
            "'compact' keeps the latest record per key; both may be listed.",
            {{"log.cleanup.policy"}}),
      topic("compression.gzip.level", T::kInt, "-1", custom(check_gzip_level, "[1,...,9] or -1"),
            "gzip level used when compression.type is gzip.", {{"compression.gzip.level"}}),
      topic("compression.lz4.level", T::kInt, "9", between(1, 17),
            "lz4 level used when compression.type is lz4.", {{"compression.lz4.level"}}),
      topic("compression.type", T::kString, "producer", one_of(kCompressionTypes),
            "Codec the broker stores batches with; 'producer' keeps whatever the producer sent, "
            "'uncompressed' stores them uncompressed.",
            {{"compression.type"}}),
      topic("compression.zstd.level", T::kInt, "3", between(-131072, 22),
            "zstd level used when compression.type is zstd.", {{"compression.zstd.level"}}),
      topic("delete.retention.ms", T::kLong, n(86400000), at_least(0),
            "How long tombstones stay readable in a compacted topic after compaction reaches them.",
            {{"log.cleaner.delete.retention.ms"}}),
      topic("file.delete.delay.ms", T::kLong, n(60000), at_least(0),
            "Delay between retiring a segment and removing its files.",
            {{"log.segment.delete.delay.ms"}}),
      topic("flush.messages", T::kLong, n(kLongMax), at_least(1),
            "Force an fsync after this many messages; by default the page cache and replication "
            "provide durability.",
            {{"log.flush.interval.messages"}}),
      topic("flush.ms", T::kLong, n(kLongMax), at_least(0),
            "Force an fsync when unflushed data is older than this many milliseconds.",
            {{"log.flush.interval.ms"}, {"log.flush.scheduler.interval.ms"}}),
      topic("follower.replication.throttled.replicas", T::kList, "",
            custom(check_throttled_replicas, "[partitionId]:[brokerId],[partitionId]:[brokerId],..."),
            "Replicas whose follower-side replication is throttled, or '*' for all.", {}),
      topic("index.interval.bytes", T::kInt, "4096", at_least(0),
            "Bytes of log between two entries of the offset index.", {{"log.index.interval.bytes"}}),
      topic("leader.replication.throttled.replicas", T::kList, "",
            custom(check_throttled_replicas, "[partitionId]:[brokerId],[partitionId]:[brokerId],..."),
            "Replicas whose leader-side replication is throttled, or '*' for all.", {}),
      topic("local.retention.bytes", T::kLong, "-2", at_least(-2),
            "With tiered storage, bytes kept on local disk; -2 means retention.bytes.",
            {{"log.local.retention.bytes"}}),
      topic("local.retention.ms", T::kLong, "-2", at_least(-2),
            "With tiered storage, time kept on local disk; -2 means retention.ms.",
            {{"log.local.retention.ms"}}),
      topic("max.compaction.lag.ms", T::kLong, n(kLongMax), at_least(1),
            "Longest a record may stay uncompacted in a compacted topic.",
            {{"log.cleaner.max.compaction.lag.ms"}}),
      topic("max.message.bytes", T::kInt, "1048588", at_least(0),
            "Largest record batch the topic accepts, after compression.", {{"message.max.bytes"}}),
      topic("message.downconversion.enable", T::kBoolean, "true", none(),
            "Deprecated and without effect since Kafka 4.0 (no down-conversion); accepted for "
            "compatibility.",
            {}),
      topic("message.timestamp.after.max.ms", T::kLong, "3600000", at_least(0),
            "With CreateTime, how far a record's timestamp may lie in the future of the broker's "
            "clock before the batch is refused.",
            {{"log.message.timestamp.after.max.ms"}}),
      topic("message.timestamp.before.max.ms", T::kLong, n(kLongMax), at_least(0),
            "With CreateTime, how far a record's timestamp may lie in the past of the broker's "
            "clock before the batch is refused.",
            {{"log.message.timestamp.before.max.ms"}}),
      topic("message.timestamp.type", T::kString, "CreateTime", one_of(kTimestampTypes),
            "Whether records keep the producer's timestamp (CreateTime) or get the broker's "
            "append time (LogAppendTime).",
            {{"log.message.timestamp.type"}}),
      topic("min.cleanable.dirty.ratio", T::kDouble, "0.5", between_double(0, 1),
            "Share of a compacted log that must be uncompacted before the cleaner works on it.",
            {{"log.cleaner.min.cleanable.ratio"}}),
      topic("min.compaction.lag.ms", T::kLong, "0", at_least(0),
            "Shortest time a record stays uncompacted in a compacted topic.",
            {{"log.cleaner.min.compaction.lag.ms"}}),
      topic("min.insync.replicas", T::kInt, "1", at_least(1),
            "With acks=all, how many in-sync replicas must have a write before it is acknowledged.",
            {{"min.insync.replicas"}}),
      topic(kFlushOnAckTopicConfig, T::kBoolean, "false", none(),
            "Moldau: acknowledge a produce only after its data is fsynced (group commit shares "
            "one fdatasync among many requests).",
            {{kFlushOnAckBrokerConfig}}),
      topic("preallocate", T::kBoolean, "false", none(),
            "Allocate a new segment's full size on disk when it is created.",
            {{"log.preallocate"}}),
      topic("remote.log.copy.disable", T::kBoolean, "false", none(),
            "With tiered storage, stop copying segments to remote storage.", {}),
      topic("remote.log.delete.on.disable", T::kBoolean, "false", none(),
            "With tiered storage, delete remote data when remote storage is turned off.", {}),
      topic("remote.storage.enable", T::kBoolean, "false", none(),
            "Tiered storage for this topic (not supported by Moldau; must stay false).", {}),
      topic("retention.bytes", T::kLong, "-1", none(),
            "Largest size a partition may reach before old segments are deleted; -1: no limit.",
            {{"log.retention.bytes"}}),
      topic("retention.ms", T::kLong, n(7 * 24 * kHourMs), at_least(-1),
            "How long records are kept before their segment may be deleted; -1: forever.",
            {{"log.retention.ms"}, {"log.retention.minutes", kMinuteMs}, {"log.retention.hours", kHourMs}}),
      topic("segment.bytes", T::kInt, n(1 << 30), at_least(1 << 20),
            "Size at which the active segment is closed and a new one started.",
            {{"log.segment.bytes"}}),
      topic("segment.index.bytes", T::kInt, n(10 << 20), at_least(4),
            "Size of the offset and time index files of a segment.", {{"log.index.size.max.bytes"}}),
      topic("segment.jitter.ms", T::kLong, "0", at_least(0),
            "Random amount taken off segment.ms so that segments do not all roll at once.",
            {{"log.roll.jitter.ms"}, {"log.roll.jitter.hours", kHourMs}}),
      topic("segment.ms", T::kLong, n(7 * 24 * kHourMs), at_least(1),
            "Age at which the active segment is closed even if not full, so retention can act.",
            {{"log.roll.ms"}, {"log.roll.hours", kHourMs}}),
      topic("unclean.leader.election.enable", T::kBoolean, "false", none(),
            "Let an out-of-sync replica become leader when no in-sync one is left, accepting "
            "data loss.",
            {{"unclean.leader.election.enable"}}),
  };
}

std::vector<ConfigDef> make_broker_defs() {
  const bool kDynamic = true;
  return {
      // ---- identity and roles
      broker("node.id", T::kInt, "-1", custom(check_node_id, "[-1,...]"),
             "This node's id in the cluster; must match meta.properties."),
      broker("broker.id", T::kInt, "-1", custom(check_node_id, "[-1,...]"),
             "Older name of node.id; when both are set they must agree."),
      broker("process.roles", T::kList, "", one_of({"broker", "controller"}, true),
             "Roles of this node; Moldau runs as broker and controller in one process (empty "
             "means both)."),
      broker("cluster.id", T::kString, std::nullopt, none(),
             "Moldau: the cluster id (22-character base64) to format empty log directories with "
             "and to check existing ones against; generated on first start when unset."),
      broker("controller.quorum.voters", T::kList, "", custom(check_voters, "id@host:port,..."),
             "Controller voters; Moldau supports a single voter, this node."),
      broker("controller.quorum.bootstrap.servers", T::kList, "", none(),
             "Controller endpoints to contact first; accepted, unused by a single voter."),
      broker("controller.listener.names", T::kString, std::nullopt, none(),
             "Listeners reserved for controller traffic; not served to Kafka clients."),
      broker("metadata.log.dir", T::kString, std::nullopt, none(),
             "Directory of the metadata log; the first log directory when unset."),
      broker("broker.rack", T::kString, std::nullopt, none(), "Rack of this broker, reported to clients."),
      // ---- listeners
      broker("listeners", T::kString, "PLAINTEXT://:9092", custom(check_listeners, "NAME://host:port,..."),
             "Addresses to listen on, NAME://host:port; an empty host means all interfaces."),
      broker("advertised.listeners", T::kString, std::nullopt, custom(check_listeners, "NAME://host:port,..."),
             "Addresses given to clients; listeners (without controller listeners) when unset."),
      broker("listener.security.protocol.map", T::kString,
             "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
             custom(check_protocol_map, "NAME:PROTOCOL,..."),
             "Security protocol of each listener name."),
      broker("inter.broker.listener.name", T::kString, std::nullopt, none(),
             "Listener brokers use to reach each other; unused by a single node."),
      broker("security.inter.broker.protocol", T::kString, "PLAINTEXT",
             one_of({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}),
             "Protocol brokers use to reach each other; unused by a single node."),
      // ---- storage
      broker("log.dirs", T::kList, std::nullopt, none(), "Directories partition data is kept in."),
      broker("log.dir", T::kList, "/tmp/moldau-logs", none(), "Data directory used when log.dirs is unset."),
      broker("num.recovery.threads.per.data.dir", T::kInt, "2", at_least(1),
             "Threads per log directory that open (and after a crash recover) partitions at "
             "start-up; capped at the number of CPU cores."),
      // ---- topic creation
      broker("num.partitions", T::kInt, "1", at_least(1),
             "Partitions of a topic created without a partition count (and of auto-created topics)."),
      broker("default.replication.factor", T::kInt, "1", none(),
             "Replication factor of a topic created without one (and of auto-created topics)."),
      broker("auto.create.topics.enable", T::kBoolean, "true", none(),
             "Create a topic when a client asks for metadata of, or produces to, a topic that "
             "does not exist."),
      broker("delete.topic.enable", T::kBoolean, "true", none(),
             "Allow DeleteTopics; when false, deletes fail with TOPIC_DELETION_DISABLED."),
      broker("auto.leader.rebalance.enable", T::kBoolean, "true", none(),
             "Move leadership back to preferred replicas; accepted, unused by a single node."),
      // ---- defaults of topic configs (the log.* synonyms), dynamic as in Kafka
      broker("log.segment.bytes", T::kInt, n(1 << 30), at_least(1 << 20), "Default of segment.bytes.", kDynamic),
      broker("log.roll.ms", T::kLong, std::nullopt, none(), "Default of segment.ms, in milliseconds.", kDynamic),
      broker("log.roll.hours", T::kInt, "168", at_least(1), "Default of segment.ms in hours, below log.roll.ms."),
      broker("log.roll.jitter.ms", T::kLong, std::nullopt, none(), "Default of segment.jitter.ms.", kDynamic),
      broker("log.roll.jitter.hours", T::kInt, "0", at_least(0),
             "Default of segment.jitter.ms in hours, below log.roll.jitter.ms."),
      broker("log.retention.ms", T::kLong, std::nullopt, none(),
             "Default of retention.ms; -1: forever.", kDynamic),
      broker("log.retention.minutes", T::kInt, std::nullopt, none(),
             "Default of retention.ms in minutes, below log.retention.ms."),
      broker("log.retention.hours", T::kInt, "168", none(),
             "Default of retention.ms in hours, below log.retention.minutes."),
      broker("log.retention.bytes", T::kLong, "-1", none(), "Default of retention.bytes.", kDynamic),
      broker("log.retention.check.interval.ms", T::kLong, "300000", at_least(1),
             "How often segments are checked against the retention limits."),
      broker("log.cleanup.policy", T::kList, "delete", one_of(kCleanupPolicies, true),
             "Default of cleanup.policy.", kDynamic),
      broker("log.cleaner.delete.retention.ms", T::kLong, "86400000", at_least(0),
             "Default of delete.retention.ms.", kDynamic),
      broker("log.cleaner.min.compaction.lag.ms", T::kLong, "0", at_least(0),
             "Default of min.compaction.lag.ms.", kDynamic),
      broker("log.cleaner.max.compaction.lag.ms", T::kLong, n(kLongMax), at_least(1),
             "Default of max.compaction.lag.ms.", kDynamic),
      broker("log.cleaner.min.cleanable.ratio", T::kDouble, "0.5", between_double(0, 1),
             "Default of min.cleanable.dirty.ratio.", kDynamic),
      broker("log.cleaner.threads", T::kInt, "1", at_least(0), "Threads of the log cleaner."),
      broker("log.index.size.max.bytes", T::kInt, n(10 << 20), at_least(4),
             "Default of segment.index.bytes.", kDynamic),
      broker("log.index.interval.bytes", T::kInt, "4096", at_least(0),
             "Default of index.interval.bytes.", kDynamic),
      broker("log.flush.interval.messages", T::kLong, n(kLongMax), at_least(1),
             "Default of flush.messages.", kDynamic),
      broker("log.flush.interval.ms", T::kLong, std::nullopt, none(),
             "Default of flush.ms; log.flush.scheduler.interval.ms when unset.", kDynamic),
      broker("log.flush.scheduler.interval.ms", T::kLong, n(kLongMax), none(),
             "How often logs are checked for a time-based flush; default of flush.ms below "
             "log.flush.interval.ms."),
      broker("log.flush.offset.checkpoint.interval.ms", T::kInt, "60000", at_least(0),
             "How often the recovery point of each log is checkpointed."),
      broker("log.flush.start.offset.checkpoint.interval.ms", T::kInt, "60000", at_least(0),
             "How often the log start offset of each log is checkpointed."),
      broker("log.segment.delete.delay.ms", T::kLong, "60000", at_least(0),
             "Default of file.delete.delay.ms.", kDynamic),
      broker("log.preallocate", T::kBoolean, "false", none(), "Default of preallocate.", kDynamic),
      broker("log.message.timestamp.type", T::kString, "CreateTime", one_of(kTimestampTypes),
             "Default of message.timestamp.type.", kDynamic),
      broker("log.message.timestamp.before.max.ms", T::kLong, n(kLongMax), at_least(0),
             "Default of message.timestamp.before.max.ms.", kDynamic),
      broker("log.message.timestamp.after.max.ms", T::kLong, "3600000", at_least(0),
             "Default of message.timestamp.after.max.ms.", kDynamic),
      broker("log.local.retention.ms", T::kLong, "-2", at_least(-2), "Default of local.retention.ms.", kDynamic),
      broker("log.local.retention.bytes", T::kLong, "-2", at_least(-2),
             "Default of local.retention.bytes.", kDynamic),
      broker("message.max.bytes", T::kInt, "1048588", at_least(0), "Default of max.message.bytes.", kDynamic),
      broker("compression.type", T::kString, "producer", one_of(kCompressionTypes),
             "Default of the topic config of the same name.", kDynamic),
      broker("compression.gzip.level", T::kInt, "-1", custom(check_gzip_level, "[1,...,9] or -1"),
             "Default of the topic config of the same name.", kDynamic),
      broker("compression.lz4.level", T::kInt, "9", between(1, 17),
             "Default of the topic config of the same name.", kDynamic),
      broker("compression.zstd.level", T::kInt, "3", between(-131072, 22),
             "Default of the topic config of the same name.", kDynamic),
      broker("min.insync.replicas", T::kInt, "1", at_least(1),
             "Default of the topic config of the same name.", kDynamic),
      broker("unclean.leader.election.enable", T::kBoolean, "false", none(),
             "Default of the topic config of the same name.", kDynamic),
      broker(kFlushOnAckBrokerConfig, T::kBoolean, "false", none(),
             "Moldau: default of moldau.flush.on.ack; when true every acknowledged produce is "
             "fsynced first.",
             kDynamic),
      // ---- network
      broker("moldau.fetch.sendfile", T::kBoolean, "true", none(),
             "Moldau: send fetched segment bytes with sendfile(2) (true) or with pread(2) + "
             "write(2) through a buffer (false); see docs/benchmarks.md for which is faster here."),
      broker("socket.request.max.bytes", T::kInt, "104857600", at_least(1),
             "Largest request frame accepted; larger frames close the connection."),
      broker("socket.send.buffer.bytes", T::kInt, "102400", at_least(-1),
             "SO_SNDBUF of client sockets; -1: the operating system's default (autotuning)."),
      broker("socket.receive.buffer.bytes", T::kInt, "-1", at_least(-1),
             "SO_RCVBUF of client sockets; -1 (Moldau's default; Kafka's is 102400): the "
             "operating system's default (autotuning), which costs less CPU per produced GB."),
      broker("socket.listen.backlog.size", T::kInt, "50", at_least(1), "Backlog of listening sockets."),
      broker("queued.max.requests", T::kInt, "500", at_least(1),
             "Requests queued before the network stops reading more."),
      broker("connections.max.idle.ms", T::kLong, "600000", none(), "Idle connections are closed after this."),
      broker("max.connections", T::kInt, n(kIntMax), at_least(0), "Most connections accepted at once."),
      broker("num.network.threads", T::kInt, "3", at_least(1),
             "Accepted for compatibility and unused: Moldau serves the network from its event loop."),
      broker("num.io.threads", T::kInt, "8", at_least(1),
             "Threads that append the partitions of one large produce request in parallel, the "
             "event loop included; capped at the number of CPU cores (other requests are "
             "handled on the event loop)."),
      broker("num.replica.fetchers", T::kInt, "1", at_least(1), "Follower fetcher threads; unused by a single node."),
      broker("replica.lag.time.max.ms", T::kLong, "30000", none(),
             "A follower that has not caught up for this long leaves the ISR."),
      // ---- consumer groups
      broker("offsets.topic.num.partitions", T::kInt, "50", at_least(1),
             "Partitions of __consumer_offsets (fixed once the topic exists)."),
      broker("offsets.topic.replication.factor", T::kShort, "1", at_least(1),
             "Replication factor of __consumer_offsets (Kafka's default is 3; Moldau's is 1, "
             "for a single machine)."),
      broker("offsets.topic.segment.bytes", T::kInt, "104857600", at_least(1), "segment.bytes of __consumer_offsets."),
      broker("offsets.retention.minutes", T::kInt, "10080", at_least(1),
             "How long committed offsets of an empty group are kept."),
      broker("offsets.retention.check.interval.ms", T::kLong, "600000", at_least(1),
             "How often expired offsets are looked for."),
      broker("offsets.commit.timeout.ms", T::kInt, "5000", at_least(1),
             "How long an offset commit waits for its write."),
      broker("offsets.load.buffer.size", T::kInt, "5242880", at_least(1),
             "Read size when loading offsets into the coordinator."),
      broker("group.initial.rebalance.delay.ms", T::kInt, "3000", none(),
             "How long the first rebalance of an empty group waits for more members."),
      broker("group.min.session.timeout.ms", T::kInt, "6000", none(), "Smallest session timeout a member may ask for."),
      broker("group.max.session.timeout.ms", T::kInt, "1800000", none(), "Largest session timeout a member may ask for."),
      broker("group.max.size", T::kInt, n(kIntMax), at_least(1), "Most members of one group."),
      // ---- consumer groups (KIP-848)
      broker("group.consumer.session.timeout.ms", T::kInt, "45000", at_least(1),
             "Session timeout of consumer-protocol members (the broker picks it, not the client)."),
      broker("group.consumer.min.session.timeout.ms", T::kInt, "45000", at_least(1),
             "Smallest group.consumer.session.timeout.ms (accepted for Kafka compatibility)."),
      broker("group.consumer.max.session.timeout.ms", T::kInt, "60000", at_least(1),
             "Largest group.consumer.session.timeout.ms (accepted for Kafka compatibility)."),
      broker("group.consumer.heartbeat.interval.ms", T::kInt, "5000", at_least(1),
             "Heartbeat interval told to consumer-protocol members."),
      broker("group.consumer.min.heartbeat.interval.ms", T::kInt, "5000", at_least(1),
             "Smallest group.consumer.heartbeat.interval.ms (accepted for Kafka compatibility)."),
      broker("group.consumer.max.heartbeat.interval.ms", T::kInt, "15000", at_least(1),
             "Largest group.consumer.heartbeat.interval.ms (accepted for Kafka compatibility)."),
      broker("group.consumer.max.size", T::kInt, n(kIntMax), at_least(1), "Most members of one consumer group."),
      broker("group.consumer.assignors", T::kList, "uniform,range", none(),
             "Server-side assignors (uniform, range, or Kafka's class names); the first is the default."),
      broker("group.consumer.migration.policy", T::kString, "disabled",
             one_of({"disabled", "downgrade", "upgrade", "bidirectional"}),
             "Online migration between classic and consumer groups: not implemented, Moldau always "
             "behaves as disabled (the other values are accepted for Kafka compatibility)."),
      // ---- transactions and producer ids
      broker("transaction.state.log.num.partitions", T::kInt, "50", at_least(1),
             "Partitions of __transaction_state (fixed once the topic exists)."),
      broker("transaction.state.log.replication.factor", T::kShort, "1", at_least(1),
             "Replication factor of __transaction_state (Kafka's default is 3; Moldau's is 1)."),
      broker("transaction.state.log.min.isr", T::kInt, "1", at_least(1),
             "min.insync.replicas of __transaction_state (Kafka's default is 2; Moldau's is 1)."),
      broker("transaction.state.log.segment.bytes", T::kInt, "104857600", at_least(1),
             "segment.bytes of __transaction_state."),
      broker("transaction.state.log.load.buffer.size", T::kInt, "5242880", at_least(1),
             "Read size when loading transaction state."),
      broker("transactional.id.expiration.ms", T::kInt, "604800000", at_least(1),
             "A transactional id without activity for this long is forgotten."),
      broker("transaction.max.timeout.ms", T::kInt, "900000", at_least(1),
             "Largest transaction timeout a producer may ask for."),
      broker("transaction.abort.timed.out.transaction.cleanup.interval.ms", T::kInt, "10000", at_least(1),
             "How often timed-out transactions are looked for."),
      broker("transaction.remove.expired.transaction.cleanup.interval.ms", T::kInt, "3600000", at_least(1),
             "How often expired transactional ids are removed."),
      broker("producer.id.expiration.ms", T::kInt, "86400000", at_least(1),
             "Producer state of an idle producer id is dropped after this."),
      broker("producer.id.expiration.check.interval.ms", T::kInt, "600000", at_least(1),
             "How often idle producer ids are looked for."),
      broker("share.coordinator.state.topic.replication.factor", T::kShort, "1", at_least(1),
             "Replication factor of __share_group_state; accepted, unused."),
      broker("share.coordinator.state.topic.min.isr", T::kShort, "1", at_least(1),
             "min.insync.replicas of __share_group_state; accepted, unused."),
  };
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(uint8_t(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(uint8_t(s.back()))) s.remove_suffix(1);
  return s;
}

bool parse_integer(std::string_view s, int64_t& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return false;
  auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), out);
  return err == std::errc() && end == s.data() + s.size();
}

// Java prints doubles with at least one decimal ("1.0"); so do we.
std::string format_double(double d) {
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

Error invalid_value(const ConfigDef& def, std::string_view value, std::string reason) {
  return Error{ErrorCode::kInvalidConfig,
               fmt::format("Invalid value {} for configuration {}: {}", value, def.name, reason)};
}

}  // namespace

std::string_view config_type_name(ConfigType type) {
  switch (type) {
    case ConfigType::kUnknown: return "UNKNOWN";
    case ConfigType::kBoolean: return "BOOLEAN";
    case ConfigType::kString: return "STRING";
    case ConfigType::kInt: return "INT";
    case ConfigType::kShort: return "SHORT";
    case ConfigType::kLong: return "LONG";
    case ConfigType::kDouble: return "DOUBLE";
    case ConfigType::kList: return "LIST";
    case ConfigType::kClass: return "CLASS";
    case ConfigType::kPassword: return "PASSWORD";
  }
  return "UNKNOWN";
}

std::string_view config_source_name(ConfigSource source) {
  switch (source) {
    case ConfigSource::kUnknown: return "UNKNOWN";
    case ConfigSource::kDynamicTopic: return "DYNAMIC_TOPIC_CONFIG";
    case ConfigSource::kDynamicBroker: return "DYNAMIC_BROKER_CONFIG";
    case ConfigSource::kDynamicDefaultBroker: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case ConfigSource::kStaticBroker: return "STATIC_BROKER_CONFIG";
    case ConfigSource::kDefault: return "DEFAULT_CONFIG";
  }
  return "UNKNOWN";
}

const std::vector<ConfigDef>& topic_config_defs() {
  static const std::vector<ConfigDef> defs = make_topic_defs();
  return defs;
}

const std::vector<ConfigDef>& broker_config_defs() {
  static const std::vector<ConfigDef> defs = make_broker_defs();
  return defs;
}

const ConfigDef* find_topic_config(std::string_view name) {
  for (const auto& d : topic_config_defs()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const ConfigDef* find_broker_config(std::string_view name) {
  for (const auto& d : broker_config_defs()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

int64_t config_as_long(std::string_view canonical) {
  int64_t v = 0;
  parse_integer(canonical, v);
  return v;
}

double config_as_double(std::string_view canonical) {
  return std::strtod(std::string(canonical).c_str(), nullptr);
}

bool config_as_bool(std::string_view canonical) { return canonical == "true"; }

std::vector<std::string> config_as_list(std::string_view canonical) {
  std::vector<std::string> out;
  if (trim(canonical).empty()) return out;
  size_t pos = 0;
  for (;;) {
    size_t next = canonical.find(',', pos);
    out.emplace_back(trim(canonical.substr(pos, next == canonical.npos ? canonical.npos : next - pos)));
    if (next == canonical.npos) break;
    pos = next + 1;
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) { return fmt::format("{}", fmt::join(items, ",")); }

Result<std::string> validate_config_value(const ConfigDef& def, std::string_view raw) {
  std::string_view value = def.type == ConfigType::kPassword ? raw : trim(raw);
  std::string canonical;
  switch (def.type) {
    case ConfigType::kBoolean: {
      std::string lower(value);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return char(std::tolower(uint8_t(c))); });
      if (lower != "true" && lower != "false") {
        return invalid_value(def, raw, "Expected value to be either true or false");
      }
      canonical = lower;
      break;
    }
    case ConfigType::kShort:
    case ConfigType::kInt:
    case ConfigType::kLong: {
      int64_t v;
      int64_t lo = def.type == ConfigType::kShort ? INT16_MIN : def.type == ConfigType::kInt ? INT32_MIN : INT64_MIN;
      int64_t hi = def.type == ConfigType::kShort ? INT16_MAX : def.type == ConfigType::kInt ? INT32_MAX : INT64_MAX;
      if (!parse_integer(value, v) || v < lo || v > hi) {
        return invalid_value(def, raw, fmt::format("Not a number of type {}", config_type_name(def.type)));
      }
      canonical = std::to_string(v);
      if (def.validator.kind == ConfigValidator::Kind::kRange) {
        if (v < def.validator.min) {
          return invalid_value(def, raw, fmt::format("Value must be at least {}", def.validator.min));
        }
        if (v > def.validator.max) {
          return invalid_value(def, raw, fmt::format("Value must be no more than {}", def.validator.max));
        }
      }
      break;
    }
    case ConfigType::kDouble: {
      std::string s(value);
      char* end = nullptr;
      double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
      bool hex = s.find_first_of("xX") != std::string::npos;
      if (s.empty() || hex || end != s.c_str() + s.size() || !std::isfinite(d)) {
        return invalid_value(def, raw, "Not a number of type DOUBLE");
      }
      if (def.validator.kind == ConfigValidator::Kind::kRange) {
        if (d < def.validator.dmin) {
          return invalid_value(def, raw, fmt::format("Value must be at least {}", def.validator.dmin));
        }
        if (d > def.validator.dmax) {
          return invalid_value(def, raw, fmt::format("Value must be no more than {}", def.validator.dmax));
        }
      }
      canonical = format_double(d);
      break;
    }
    case ConfigType::kList: {
      auto items = config_as_list(value);
      if (def.validator.kind == ConfigValidator::Kind::kEachOneOf) {
        for (const auto& item : items) {
          if (std::find(def.validator.allowed.begin(), def.validator.allowed.end(), item) ==
              def.validator.allowed.end()) {
            return invalid_value(def, raw, fmt::format("String must be one of: {}",
                                                       fmt::join(def.validator.allowed, ", ")));
          }
        }
      }
      canonical = join_list(items);
      break;
    }
    case ConfigType::kString:
    case ConfigType::kClass:
    case ConfigType::kPassword:
    case ConfigType::kUnknown:
      canonical = std::string(value);
      if (def.validator.kind == ConfigValidator::Kind::kOneOf &&
          std::find(def.validator.allowed.begin(), def.validator.allowed.end(), canonical) ==
              def.validator.allowed.end()) {
        return invalid_value(def, raw, fmt::format("String must be one of: {}",
                                                   fmt::join(def.validator.allowed, ", ")));
      }
      break;
  }
  if (def.validator.kind == ConfigValidator::Kind::kCustom) {
    std::string why = def.validator.check(canonical);
    if (!why.empty()) return invalid_value(def, raw, why);
  }
  return canonical;
}

}  // namespace moldau::metadata
