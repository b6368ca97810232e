#include "cli/partitioner.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

namespace moldau::cli {
namespace {

ByteSpan bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// Expected values worked out from the algorithm's definition (seed
// 0x9747b28c, m = 0x5bd1e995, r = 24; all arithmetic mod 2^32):
//
// "" (no blocks, no tail):
//   h = seed ^ 0                = 0x9747b28c
//   h ^= h >>> 13               = 0x974308b1
//   h *= m                      = 0x106e2805
//   h ^= h >>> 15               = 0x106e08d9
//
// "a" (one tail byte 0x61):
//   h = seed ^ 1                = 0x9747b28d
//   h ^= 0x61                   = 0x9747b2ec
//   h *= m                      = 0x453fef5c
//   h ^= h >>> 13               = 0x453dc6a3
//   h *= m                      = 0xa2d1f7df
//   h ^= h >>> 15               = 0xa2d0b27c
//
// "abcd" (one block, little-endian k = 0x64636261):
//   h = seed ^ 4                = 0x9747b288
//   k *= m                      = 0xae938b75
//   k ^= k >>> 24               = 0xae938bdb
//   k *= m                      = 0xecf5b977
//   h *= m                      = 0x6740b128
//   h ^= k                      = 0x8bb5085f
//   h ^= h >>> 13               = 0x8bb155f7
//   h *= m                      = 0xb11bd7c3
//   h ^= h >>> 15               = 0xb11ab5f4
TEST(Murmur2, ValuesDerivedByHand) {
  EXPECT_EQ(murmur2(bytes("")), 0x106e08d9u);
  EXPECT_EQ(murmur2(bytes("a")), 0xa2d0b27cu);
  EXPECT_EQ(murmur2(bytes("abcd")), 0xb11ab5f4u);
}

// Longer keys exercise blocks and tails together; "kafka" is the value other
// Kafka clients test their murmur2 against. Bytes >= 0x80 must count as
// unsigned (Java masks them with & 0xff).
TEST(Murmur2, BlocksTailsAndHighBytes) {
  EXPECT_EQ(murmur2(bytes("kafka")), 0xd067cf64u);
  EXPECT_EQ(murmur2(bytes("hello world")), 0x48d0c363u);
  EXPECT_EQ(murmur2(bytes("\xff\xfe\xfd")), 0x3b85fe24u);
  EXPECT_EQ(murmur2(bytes("\x80\x81\x82\x83\x84")), 0x9cb89e59u);
}

TEST(Partitioner, KeyHashClearsTheSignBitThenTakesTheModulus) {
  // 0xd067cf64 has the sign bit set: to_positive gives 0x5067cf64 = 1348980580.
  EXPECT_EQ(to_positive(0xd067cf64u), 1348980580);
  EXPECT_EQ(partition_for_key(bytes("kafka"), 3), 1348980580 % 3);
  EXPECT_EQ(partition_for_key(bytes("k1"), 3), 2);  // 0x64607d29 = 1684045097; % 3 = 2
  EXPECT_EQ(partition_for_key(bytes("k2"), 3), 0);  // 0x16adb7e1 = 380483553;  % 3 = 0
  EXPECT_EQ(partition_for_key(bytes("anything"), 1), 0);
}

TEST(StickyPartitioner, StaysUntilToldThenMovesElsewhere) {
  StickyPartitioner s(42);
  int32_t p = s.current(4);
  EXPECT_GE(p, 0);
  EXPECT_LT(p, 4);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.current(4), p);
  std::set<int32_t> seen = {p};
  for (int i = 0; i < 200; ++i) {
    s.next(4);
    int32_t q = s.current(4);
    EXPECT_NE(q, p);
    EXPECT_LT(q, 4);
    seen.insert(q);
    p = q;
  }
  EXPECT_EQ(seen.size(), 4u);
  StickyPartitioner one(1);
  one.next(1);
  EXPECT_EQ(one.current(1), 0);
}

}  // namespace
}  // namespace moldau::cli
