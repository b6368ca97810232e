#include "metadata/listeners.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace moldau::metadata {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(uint8_t(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(uint8_t(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  if (trim(s).empty()) return out;
  size_t pos = 0;
  for (;;) {
    size_t next = s.find(sep, pos);
    out.push_back(trim(s.substr(pos, next == s.npos ? s.npos : next - pos)));
    if (next == s.npos) break;
    pos = next + 1;
  }
  return out;
}

Error bad(std::string why) { return Error{ErrorCode::kInvalidConfig, std::move(why)}; }

// Splits "host:port" or "[v6]:port".
bool split_host_port(std::string_view hp, std::string& host, uint16_t& port) {
  size_t colon = hp.rfind(':');
  if (colon == hp.npos) return false;
  std::string_view h = hp.substr(0, colon), p = hp.substr(colon + 1);
  if (!h.empty() && h.front() == '[') {
    if (h.size() < 2 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != h.npos) {
    return false;  // a bare IPv6 address needs brackets
  }
  unsigned v = 0;
  auto [end, err] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || err != std::errc() || end != p.data() + p.size() || v > 65535) return false;
  host = std::string(h);
  port = uint16_t(v);
  return true;
}

bool valid_listener_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(uint8_t(c)) || c == '_' || c == '-';
  });
}

}  // namespace

std::string_view security_protocol_name(SecurityProtocol p) {
  switch (p) {
    case SecurityProtocol::kPlaintext: return "PLAINTEXT";
    case SecurityProtocol::kSsl: return "SSL";
    case SecurityProtocol::kSaslPlaintext: return "SASL_PLAINTEXT";
    case SecurityProtocol::kSaslSsl: return "SASL_SSL";
  }
  return "UNKNOWN";
}

Result<std::vector<ListenerSpec>> parse_listeners(std::string_view value) {
  std::vector<ListenerSpec> out;
  std::set<std::string> names;
  for (std::string_view item : split(value, ',')) {
    size_t sep = item.find("://");
    if (sep == item.npos) {
      return bad(fmt::format("listener '{}' is not of the form NAME://host:port", item));
    }
    ListenerSpec l;
    l.name = std::string(item.substr(0, sep));
    std::transform(l.name.begin(), l.name.end(), l.name.begin(), [](char c) { return char(std::toupper(uint8_t(c))); });
    if (!valid_listener_name(l.name)) {
      return bad(fmt::format("listener '{}' has an invalid name (letters, digits, '_' and '-')", item));
    }
    if (!split_host_port(item.substr(sep + 3), l.host, l.port)) {
      return bad(fmt::format("listener '{}' is not of the form NAME://host:port (port 0-65535, IPv6 "
                             "addresses in brackets)", item));
    }
    if (!names.insert(l.name).second) {
      return bad(fmt::format("listener name {} appears more than once; each listener needs its own name",
                             l.name));
    }
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::map<std::string, SecurityProtocol>> parse_protocol_map(std::string_view value) {
  std::map<std::string, SecurityProtocol> out;
  for (std::string_view item : split(value, ',')) {
    size_t colon = item.find(':');
    if (colon == item.npos) return bad(fmt::format("'{}' is not of the form NAME:PROTOCOL", item));
    std::string name(trim(item.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(), [](char c) { return char(std::toupper(uint8_t(c))); });
    std::string_view proto = trim(item.substr(colon + 1));
    SecurityProtocol p;
    if (proto == "PLAINTEXT") p = SecurityProtocol::kPlaintext;
    else if (proto == "SSL") p = SecurityProtocol::kSsl;
    else if (proto == "SASL_PLAINTEXT") p = SecurityProtocol::kSaslPlaintext;
    else if (proto == "SASL_SSL") p = SecurityProtocol::kSaslSsl;
    else {
      return bad(fmt::format("'{}' names the unknown security protocol {} (one of PLAINTEXT, SSL, "
                             "SASL_PLAINTEXT, SASL_SSL)", item, proto));
    }
    if (!valid_listener_name(name) || !out.emplace(name, p).second) {
      return bad(fmt::format("'{}': listener name missing, invalid or repeated", item));
    }
  }
  return out;
}

Result<std::vector<QuorumVoter>> parse_quorum_voters(std::string_view value) {
  std::vector<QuorumVoter> out;
  std::set<int32_t> ids;
  for (std::string_view item : split(value, ',')) {
    size_t at = item.find('@');
    QuorumVoter v;
    bool ok = at != item.npos;
    if (ok) {
      std::string_view id = item.substr(0, at);
      auto [end, err] = std::from_chars(id.data(), id.data() + id.size(), v.id);
      ok = !id.empty() && err == std::errc() && end == id.data() + id.size() && v.id >= 0 &&
           split_host_port(item.substr(at + 1), v.host, v.port);
    }
    if (!ok) return bad(fmt::format("voter '{}' is not of the form id@host:port", item));
    if (!ids.insert(v.id).second) return bad(fmt::format("voter id {} appears more than once", v.id));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace moldau::metadata
