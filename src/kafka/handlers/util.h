// Small helpers shared by handlers.
#pragma once

#include <chrono>
#include <cstdint>

namespace moldau::kafka {

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace moldau::kafka
