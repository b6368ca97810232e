// Wall-clock milliseconds, as Kafka uses for segment and retention times.
// Hot paths take `now_ms` from the caller (the broker's loop) instead.
#pragma once

#include <chrono>
#include <cstdint>

namespace moldau::storage {

inline int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace moldau::storage
