// Which partition a record goes to when --partition is not given, as Kafka's
// default partitioner decides (so a key lands where a Java or librdkafka
// producer with the murmur2 partitioner would put it):
//
//   with a key:    to_positive(murmur2(key)) % partitions
//   without a key: a "sticky" partition, kept until its batch is sent, then
//                  another one (KIP-480), so keyless records fill big batches.
#pragma once

#include <cstdint>
#include <random>

#include "base/bytes.h"

namespace moldau::cli {

// Kafka's 32-bit murmur2 (seed 0x9747b28c, m 0x5bd1e995, r 24), bytes taken
// as unsigned and blocks little-endian.
uint32_t murmur2(ByteSpan data);
// Kafka's Utils.toPositive: clears the sign bit (not abs()).
inline int32_t to_positive(uint32_t v) { return int32_t(v & 0x7fffffffu); }
// REQUIRES: partitions > 0.
inline int32_t partition_for_key(ByteSpan key, int32_t partitions) {
  return to_positive(murmur2(key)) % partitions;
}

class StickyPartitioner {
 public:
  explicit StickyPartitioner(uint64_t seed = std::random_device{}()) : rng_(seed) {}
  // The partition for the next keyless record. REQUIRES: partitions > 0.
  int32_t current(int32_t partitions);
  // The batch of the current partition was sent: move to a different one.
  void next(int32_t partitions);

 private:
  std::mt19937_64 rng_;
  int32_t current_ = -1;
};

}  // namespace moldau::cli
