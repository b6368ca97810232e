#include "cli/options.h"

#include <fmt/format.h>

namespace moldau::cli {

ClientOptions CommonOptions::client_options() const {
  ClientOptions c;
  c.bootstrap = bootstrap;
  c.connection.client_id = client_id;
  c.connection.request_timeout = std::chrono::milliseconds(request_timeout_ms);
  c.connection.connect_timeout =
      std::chrono::milliseconds(std::min(request_timeout_ms, int32_t(10000)));
  return c;
}

Result<KeyValue> parse_key_value(const std::string& text, bool allow_bare) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) {
    if (allow_bare && !text.empty()) return KeyValue{text, std::nullopt};
    return Error{ErrorCode::kInvalidRequest, fmt::format("'{}' is not KEY=VALUE", text)};
  }
  if (eq == 0) return Error{ErrorCode::kInvalidRequest, fmt::format("'{}' has no key", text)};
  return KeyValue{text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace moldau::cli
