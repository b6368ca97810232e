#include "kafka/handlers/handlers.h"
#include "protocol/msg/api_versions_request.h"
#include "protocol/msg/api_versions_response.h"

namespace moldau::kafka {

void handle_api_versions(Broker& broker, RequestContext& ctx) {
  protocol::ApiVersionsResponse resp;
  for (size_t key = 0; key < broker.apis().size(); ++key) {
    const ApiEntry& e = broker.apis()[key];
    if (!e.handler) continue;
    resp.api_keys.push_back({int16_t(key), e.min_version, e.max_version, {}});
  }
  const ApiEntry* self = broker.api(protocol::api_key::kApiVersions);
  if (ctx.api_version() > self->max_version) {
    // KIP-511: an unsupported ApiVersions version is answered at v0 with
    // UNSUPPORTED_VERSION and our ranges, so the client can retry lower.
    resp.error_code = wire(ErrorCode::kUnsupportedVersion);
    net::Reply r;
    protocol::ResponseHeader h;
    h.correlation_id = ctx.correlation_id();
    h.encode(r.body, 0);
    resp.encode(r.body, 0);
    ctx.connection()->reply(ctx.slot(), std::move(r));
    return;
  }
  protocol::ApiVersionsRequest req;
  if (!ctx.decode(req)) {
    // v3+ carries the client's software name and version; a request that
    // does not parse still gets the ranges, with INVALID_REQUEST.
    resp.error_code = wire(ErrorCode::kInvalidRequest);
  }
  ctx.respond(resp);
}

}  // namespace moldau::kafka
