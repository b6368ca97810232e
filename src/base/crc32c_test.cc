#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace moldau {
namespace {

ByteSpan as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4 check value for "123456789".
  EXPECT_EQ(crc32c(as_bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(as_bytes("")), 0u);
  std::vector<uint8_t> zeros(32, 0);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
}

TEST(Crc32c, ExtendEqualsWhole) {
  std::string s = "The quick brown fox jumps over the lazy dog, many times over.";
  uint32_t whole = crc32c(as_bytes(s));
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t part = crc32c_extend(0, reinterpret_cast<const uint8_t*>(s.data()), cut);
    part = crc32c_extend(part, reinterpret_cast<const uint8_t*>(s.data()) + cut, s.size() - cut);
    ASSERT_EQ(part, whole) << cut;
  }
}

// The definition, one bit at a time: independent of both implementations.
uint32_t crc_bitwise(uint32_t crc, const uint8_t* p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

TEST(Crc32c, TableMatchesBitwise) {
  std::vector<uint8_t> data = random_bytes(600, 7);
  for (size_t n = 0; n <= data.size(); n += 13)
    ASSERT_EQ(crc32c_internal::extend_table(0x12345678u, data.data(), n),
              crc_bitwise(0x12345678u, data.data(), n))
        << n;
}

// Every length from 0 to past several chunks of both block sizes, so every
// split between the 3-way loops and the one-stream tail is crossed.
TEST(Crc32c, EveryLengthMatchesTable) {
  std::vector<uint8_t> data = random_bytes(40000, 1);
  auto check = [&](size_t from, size_t to) {
    for (size_t n = from; n <= to; ++n)
      ASSERT_EQ(crc32c_extend(0, data.data(), n), crc32c_internal::extend_table(0, data.data(), n)) << n;
  };
  check(0, 8200);
  // Around one, two and three chunks of the large block (3 * 4096 bytes).
  check(12288 - 500, 12288 + 1000);
  check(24576 - 500, 24576 + 500);
  check(36864 - 500, 36864 + 500);
}

TEST(Crc32c, MisalignedStartsAndSeeds) {
  std::vector<uint8_t> data = random_bytes(20000, 2);
  std::mt19937 rng(3);
  for (size_t start = 0; start < 16; ++start) {
    for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(383), size_t(384), size_t(385), size_t(3071),
                     size_t(3072), size_t(3073), size_t(3072 + 384 + 5), size_t(19000)}) {
      uint32_t seed = uint32_t(rng());
      ASSERT_EQ(crc32c_extend(seed, data.data() + start, n),
                crc32c_internal::extend_table(seed, data.data() + start, n))
          << start << " " << n;
    }
  }
}

TEST(Crc32c, LargeRandomLengths) {
  std::vector<uint8_t> data = random_bytes(3 << 20, 4);
  std::mt19937 rng(5);
  for (int i = 0; i < 40; ++i) {
    size_t start = rng() % 64;
    size_t n = rng() % (data.size() - start);
    ASSERT_EQ(crc32c_extend(0, data.data() + start, n), crc32c_internal::extend_table(0, data.data() + start, n))
        << start << " " << n;
  }
  EXPECT_EQ(crc32c(data), crc32c_internal::extend_table(0, data.data(), data.size()));
}

// Chaining at arbitrary cuts (including cuts inside a 3-way chunk) equals the
// whole, on inputs long enough for the interleaved path.
TEST(Crc32c, ExtendChainsOnLongInputs) {
  std::vector<uint8_t> data = random_bytes(70000, 6);
  const uint32_t whole = crc32c(data);
  EXPECT_EQ(whole, crc32c_internal::extend_table(0, data.data(), data.size()));
  std::mt19937 rng(8);
  for (int i = 0; i < 300; ++i) {
    size_t a = rng() % (data.size() + 1), b = rng() % (data.size() + 1);
    if (a > b) std::swap(a, b);
    uint32_t c = crc32c_extend(0, data.data(), a);
    c = crc32c_extend(c, data.data() + a, b - a);
    c = crc32c_extend(c, data.data() + b, data.size() - b);
    ASSERT_EQ(c, whole) << a << " " << b;
  }
  // Many small pieces.
  uint32_t c = 0;
  for (size_t at = 0; at < data.size();) {
    size_t n = std::min<size_t>(rng() % 5000, data.size() - at);
    c = crc32c_extend(c, data.data() + at, n);
    at += n;
  }
  EXPECT_EQ(c, whole);
}

// The join's algebra: shifting a register past n zero bytes is what feeding
// n zero bytes does.
TEST(Crc32c, ShiftIsFeedingZeros) {
  std::vector<uint8_t> zeros(5000, 0);
  for (size_t n : {size_t(0), size_t(1), size_t(8), size_t(128), size_t(1024), size_t(2048), size_t(4999)}) {
    for (uint32_t v : {1u, 0x80000000u, 0xdeadbeefu, 0xffffffffu}) {
      // extend_table inverts on entry and exit; undo that to reach the register.
      uint32_t reg = ~crc32c_internal::extend_table(~v, zeros.data(), n);
      ASSERT_EQ(crc32c_internal::shift(v, n), reg) << n << " " << v;
    }
  }
}

TEST(Crc32c, ReportsPath) {
  // Informational: which path the other tests exercised on this machine.
  std::printf("crc32c: %s\n", crc32c_internal::hardware() ? "crc32 instruction" : "table");
}

}  // namespace
}  // namespace moldau
