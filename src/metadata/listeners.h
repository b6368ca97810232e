// Parsers for the listener-shaped broker configs: listeners,
// advertised.listeners, listener.security.protocol.map and
// controller.quorum.voters.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadata/records.h"

namespace moldau::metadata {

struct ListenerSpec {
  std::string name;  // upper-case listener name, e.g. "PLAINTEXT"
  std::string host;  // "" = all interfaces (advertise the machine's name)
  uint16_t port = 0;
  friend bool operator==(const ListenerSpec&, const ListenerSpec&) = default;
};

struct QuorumVoter {
  int32_t id = -1;
  std::string host;
  uint16_t port = 0;
};

// "NAME://host:port,NAME://[::1]:port"; names unique. The error message
// says which element is wrong and why (no config key: callers add it).
Result<std::vector<ListenerSpec>> parse_listeners(std::string_view value);
// "NAME:PROTOCOL,..." with PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL.
Result<std::map<std::string, SecurityProtocol>> parse_protocol_map(std::string_view value);
// "id@host:port,..."
Result<std::vector<QuorumVoter>> parse_quorum_voters(std::string_view value);

std::string_view security_protocol_name(SecurityProtocol protocol);

}  // namespace moldau::metadata
