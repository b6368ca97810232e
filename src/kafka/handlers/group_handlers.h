// The group handlers (FindCoordinator, the classic group protocol, offsets,
// group admin): wire messages mapped to the group driver and back
// (docs/groups.md, "The driver").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "coordinator/group_events.h"
#include "kafka/broker.h"
#include "kafka/groups/group_driver.h"
#include "metadata/image.h"

namespace moldau::kafka {

void handle_find_coordinator(Broker&, RequestContext&);
void handle_join_group(Broker&, RequestContext&);
void handle_sync_group(Broker&, RequestContext&);
void handle_heartbeat(Broker&, RequestContext&);
void handle_leave_group(Broker&, RequestContext&);
void handle_offset_commit(Broker&, RequestContext&);
void handle_offset_fetch(Broker&, RequestContext&);
void handle_offset_delete(Broker&, RequestContext&);
void handle_list_groups(Broker&, RequestContext&);
void handle_describe_groups(Broker&, RequestContext&);
void handle_delete_groups(Broker&, RequestContext&);
void handle_consumer_group_heartbeat(Broker&, RequestContext&);  // group_consumer.cc
void handle_consumer_group_describe(Broker&, RequestContext&);

namespace group_detail {

// "/ip" of a peer "ip:port", as Kafka shows client hosts.
std::string client_host(const std::string& peer);

// The error of any coordinator response.
inline ErrorCode error_of(const coordinator::Response& r) {
  return std::visit([](const auto& x) { return x.error; }, r);
}

// The broker's group driver; when there is none the request is answered by
// closing the connection (the broker was wired without groups).
groups::GroupDriver* driver_or_close(Broker& broker, RequestContext& ctx);

// Per-partition errors of an offsets request (OffsetCommit, OffsetDelete,
// TxnOffsetCommit), filled as the request is checked and then answered.
using PartitionErrors = std::map<coordinator::TopicPartition, ErrorCode>;

// True when the metadata image knows `topic` and it has `partition`.
inline bool partition_exists(const metadata::MetadataImage& image, const std::string& topic, int32_t partition) {
  const metadata::TopicImage* t = image.topic(topic);
  return t && partition >= 0 && size_t(partition) < t->partitions.size();
}

// Records the coordinator's per-partition results in `errors`.
inline void record(PartitionErrors& errors, const std::vector<coordinator::PartitionError>& results) {
  for (const auto& pe : results) errors[pe.tp] = pe.error;
}

// The error recorded for a partition; NONE when there is none.
inline ErrorCode error_or_none(const PartitionErrors& errors, const std::string& topic, int32_t partition) {
  auto it = errors.find({topic, partition});
  return it == errors.end() ? ErrorCode::kNone : it->second;
}

}  // namespace group_detail
}  // namespace moldau::kafka
