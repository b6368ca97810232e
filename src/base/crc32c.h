// CRC-32C (Castagnoli), the checksum of Kafka record batches (docs/formats.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.h"

namespace moldau {

// Extends `crc` (0 for a fresh checksum) over `data`. Uses the SSE4.2 crc32
// instruction when the CPU has it, a table otherwise.
uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t len);

inline uint32_t crc32c(std::span<const uint8_t> data) {
  return crc32c_extend(0, data.data(), data.size());
}

}  // namespace moldau
