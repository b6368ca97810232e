// Written by hand because Debian ships no CRC-32C library; the hardware path is
// what makes batch validation cheap (PERFORMANCE.md).
//
// The SSE4.2 crc32 instruction has a latency of 3 cycles and a throughput of
// one per cycle, so one dependent stream uses a third of it. Long inputs are
// cut into chunks of three consecutive blocks that three independent streams
// checksum at once; the three partial CRCs are then joined using linearity.
//
// The math (everything in the reflected domain the instruction uses, where
// bit 31 of a 32-bit word is the coefficient of x^0 and bit 0 that of x^31):
// without the pre/post inversion, the CRC register after a message M starting
// from state s is  R(s, M) = (s * x^(8|M|) + M * x^32) mod P,  so
//   R(s, A B C) = R(s, A) * x^(8(|B|+|C|)) + R(0, B) * x^(8|C|) + R(0, C)  (mod P).
// With |A| = |B| = |C| = kBlock the streams are R(s, A), R(0, B), R(0, C) and
// the join needs two multiplications by the constants x^(8*2*kBlock) and
// x^(8*kBlock) mod P. A multiplication by a constant K is linear in the other
// factor, so it is done with four 256-entry tables (one per byte of the
// operand), computed at compile time.
#include "base/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace moldau {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial, x^32 term implied

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kTable = make_table();

uint32_t crc_soft(uint32_t crc, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

// ------------------------------------------------------------ GF(2)[x] mod P

constexpr uint32_t kOne = 0x80000000u;  // the polynomial 1, reflected

// a * x mod P: a shift towards higher degrees; an x^32 term folds back as P.
constexpr uint32_t mul_x(uint32_t a) { return (a >> 1) ^ ((a & 1) ? kPoly : 0); }

// a * b mod P, bit by bit (compile time and tests only).
constexpr uint32_t mul_mod(uint32_t a, uint32_t b) {
  uint32_t r = 0;
  for (int k = 0; k < 32; ++k) {  // k: degree of the term of a
    if (a & (kOne >> k)) r ^= b;
    b = mul_x(b);
  }
  return r;
}

// x^e mod P by square and multiply.
constexpr uint32_t x_pow(uint64_t e) {
  uint32_t r = kOne;
  uint32_t base = mul_x(kOne);  // x^1
  while (e) {
    if (e & 1) r = mul_mod(r, base);
    base = mul_mod(base, base);
    e >>= 1;
  }
  return r;
}

// Multiplication by a constant K: T[j][b] = (b << 8j) * K mod P.
struct ShiftTable {
  std::array<std::array<uint32_t, 256>, 4> t{};
  uint32_t apply(uint32_t v) const {
    return t[0][v & 0xff] ^ t[1][(v >> 8) & 0xff] ^ t[2][(v >> 16) & 0xff] ^ t[3][v >> 24];
  }
};

// The table that moves a register value past `bytes` zero bytes.
constexpr ShiftTable make_shift(uint64_t bytes) {
  const uint32_t k = x_pow(8 * bytes);
  ShiftTable s;
  for (int j = 0; j < 4; ++j)
    for (uint32_t b = 0; b < 256; ++b) s.t[size_t(j)][b] = mul_mod(b << (8 * j), k);
  return s;
}

// Sanity checks of the algebra against the register update itself.
static_assert(mul_x(kOne) == 0x40000000u);
static_assert(x_pow(32) == kPoly);  // x^32 = P - x^32 (mod P)
static_assert(kTable[0x80] == x_pow(32));  // the byte update multiplies by x^8:
static_assert(kTable[0x01] == x_pow(39));  // x^24 * x^8 and x^31 * x^8
static_assert(mul_mod(x_pow(100), x_pow(27)) == x_pow(127));

#if defined(__x86_64__)

// Block sizes, chosen by measurement (docs/benchmarks.md, "Batch validation"):
// the large one amortises the join on batches; the small one keeps 3-way
// streams for inputs of a few hundred bytes.
constexpr size_t kLargeBlock = 4096;
constexpr size_t kSmallBlock = 128;

struct Shifts {
  ShiftTable by_one;  // x^(8 * block)
  ShiftTable by_two;  // x^(8 * 2 * block)
};
template <size_t kBlock>
constexpr Shifts kShifts{make_shift(kBlock), make_shift(2 * kBlock)};

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Consumes every whole chunk of 3 * kBlock bytes, advancing p and n.
template <size_t kBlock>
__attribute__((target("sse4.2"))) inline uint32_t crc_hw_3way(uint32_t crc, const uint8_t*& p, size_t& n) {
  static_assert(kBlock % 8 == 0);
  while (n >= 3 * kBlock) {
    uint64_t a = crc, b = 0, c = 0;
    for (size_t i = 0; i < kBlock; i += 8) {
      a = _mm_crc32_u64(a, load64(p + i));
      b = _mm_crc32_u64(b, load64(p + kBlock + i));
      c = _mm_crc32_u64(c, load64(p + 2 * kBlock + i));
    }
    crc = kShifts<kBlock>.by_two.apply(uint32_t(a)) ^ kShifts<kBlock>.by_one.apply(uint32_t(b)) ^ uint32_t(c);
    p += 3 * kBlock;
    n -= 3 * kBlock;
  }
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t crc_hw(uint32_t crc, const uint8_t* p, size_t n) {
  if (n >= 3 * kSmallBlock) {
    crc = crc_hw_3way<kLargeBlock>(crc, p, n);
    crc = crc_hw_3way<kSmallBlock>(crc, p, n);
  }
  uint64_t c = crc;
  while (n >= 8) {
    c = _mm_crc32_u64(c, load64(p));
    p += 8;
    n -= 8;
  }
  uint32_t c32 = uint32_t(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

bool have_sse42() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & bit_SSE4_2) != 0;
}
const bool kHaveHw = have_sse42();
#endif

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t len) {
  crc = ~crc;
#if defined(__x86_64__)
  if (kHaveHw) return ~crc_hw(crc, data, len);
#endif
  return ~crc_soft(crc, data, len);
}

namespace crc32c_internal {

uint32_t extend_table(uint32_t crc, const uint8_t* data, size_t len) { return ~crc_soft(~crc, data, len); }

uint32_t shift(uint32_t value, uint64_t bytes) { return mul_mod(value, x_pow(8 * bytes)); }

bool hardware() {
#if defined(__x86_64__)
  return kHaveHw;
#else
  return false;
#endif
}

}  // namespace crc32c_internal
}  // namespace moldau
