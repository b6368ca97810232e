#include "coordinator/member_id.h"

#include <fmt/format.h>

namespace moldau::coordinator {

std::string MemberIdGenerator::uuid() {
  uint64_t hi = rng_();
  uint64_t lo = rng_();
  hi = (hi & ~0xf000ull) | 0x4000ull;                    // version 4
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56);        // IETF variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", uint32_t(hi >> 32),
                     uint32_t((hi >> 16) & 0xffff), uint32_t(hi & 0xffff),
                     uint32_t(lo >> 48), lo & 0xffffffffffffull);
}

}  // namespace moldau::coordinator
