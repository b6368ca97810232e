#include "cli/partitioner.h"

namespace moldau::cli {

uint32_t murmur2(ByteSpan data) {
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const size_t n = data.size();
  uint32_t h = kSeed ^ uint32_t(n);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t k = uint32_t(data[i]) | uint32_t(data[i + 1]) << 8 | uint32_t(data[i + 2]) << 16 |
                 uint32_t(data[i + 3]) << 24;
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  switch (n - i) {
    case 3: h ^= uint32_t(data[i + 2]) << 16; [[fallthrough]];
    case 2: h ^= uint32_t(data[i + 1]) << 8; [[fallthrough]];
    case 1:
      h ^= uint32_t(data[i]);
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return h;
}

int32_t StickyPartitioner::current(int32_t partitions) {
  if (current_ < 0 || current_ >= partitions)
    current_ = int32_t(std::uniform_int_distribution<int32_t>(0, partitions - 1)(rng_));
  return current_;
}

void StickyPartitioner::next(int32_t partitions) {
  if (partitions <= 1 || current_ < 0) {
    current_ = -1;
    return;
  }
  // Any partition but the current one, uniformly.
  int32_t pick = std::uniform_int_distribution<int32_t>(0, partitions - 2)(rng_);
  current_ = pick >= current_ ? pick + 1 : pick;
}

}  // namespace moldau::cli
