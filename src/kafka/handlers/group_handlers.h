// The group handlers (FindCoordinator, the classic group protocol, offsets,
// group admin): wire messages mapped to the group driver and back
// (docs/groups.md, "The driver").
#pragma once

#include <string>

#include "coordinator/group_events.h"
#include "kafka/broker.h"
#include "kafka/groups/group_driver.h"

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

}  // namespace group_detail
}  // namespace moldau::kafka
