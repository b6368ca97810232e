#include "base/log.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace moldau {

void init_logging(std::string_view level) {
  std::string l(level);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "warning") l = "warn";
  if (l == "fatal") l = "critical";
  spdlog::set_level(spdlog::level::from_str(l));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

}  // namespace moldau
