// CRC-32C (Castagnoli), the checksum of Kafka record batches (docs/formats.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.h"

namespace moldau {

// Extends `crc` (0 for a fresh checksum) over `data`. Uses the SSE4.2 crc32
// instruction when the CPU has it (three interleaved streams on inputs of a
// few hundred bytes and more), a table otherwise.
uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t len);

inline uint32_t crc32c(std::span<const uint8_t> data) {
  return crc32c_extend(0, data.data(), data.size());
}

// For tests and benchmarks.
namespace crc32c_internal {
// crc32c_extend with the bytewise table (the fallback without SSE4.2).
uint32_t extend_table(uint32_t crc, const uint8_t* data, size_t len);
// A CRC register value moved past `bytes` zero bytes (value * x^(8 bytes)
// mod P, reflected), computed bit by bit.
uint32_t shift(uint32_t value, uint64_t bytes);
// Whether crc32c_extend uses the crc32 instruction on this CPU.
bool hardware();
}  // namespace crc32c_internal

}  // namespace moldau
