// One handler per API key (docs/architecture.md). Each decodes its request,
// calls the subsystem and responds through the RequestContext; handlers that
// finish later copy the context into their continuation.
#pragma once

#include <functional>

#include "kafka/broker.h"

namespace moldau::kafka {

void handle_api_versions(Broker&, RequestContext&);
void handle_metadata(Broker&, RequestContext&);
void handle_produce(Broker&, RequestContext&);
void handle_fetch(Broker&, RequestContext&);
void handle_list_offsets(Broker&, RequestContext&);
void handle_init_producer_id(Broker&, RequestContext&);
void handle_describe_producers(Broker&, RequestContext&);

// Registers the admin APIs (topics, configs, cluster, records) with `add`.
using AddApi = std::function<void(int16_t key, int16_t min, int16_t max, Handler)>;
void register_admin_apis(Broker&, const AddApi& add);
// Registers FindCoordinator, the classic group APIs, offsets and group admin.
void register_group_apis(Broker&, const AddApi& add);

}  // namespace moldau::kafka
