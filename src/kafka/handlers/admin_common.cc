// Small conversions the admin handlers share.
#include "kafka/handlers/admin_handlers.h"

namespace moldau::kafka::admin {

protocol::Uuid to_wire(const metadata::TopicId& id) {
  return protocol::Uuid{id.most_significant(), id.least_significant()};
}

metadata::TopicId from_wire(const protocol::Uuid& id) { return metadata::TopicId::from_halves(id.hi, id.lo); }

metadata::ConfigResourceType config_resource_type(int8_t wire_type) {
  switch (wire_type) {
    case int8_t(metadata::ConfigResourceType::kTopic): return metadata::ConfigResourceType::kTopic;
    case int8_t(metadata::ConfigResourceType::kBroker): return metadata::ConfigResourceType::kBroker;
    default: return metadata::ConfigResourceType::kUnknown;
  }
}

std::string_view config_resource_type_name(int8_t wire_type) {
  // Kafka's ConfigResource.Type ids.
  switch (wire_type) {
    case 2: return "TOPIC";
    case 4: return "BROKER";
    case 8: return "BROKER_LOGGER";
    case 16: return "CLIENT_METRICS";
    case 32: return "GROUP";
    default: return "UNKNOWN";
  }
}

}  // namespace moldau::kafka::admin
