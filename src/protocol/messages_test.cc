// Round trips of every generated message at every version (docs/protocol.md).
//
// For each message type and version: fill every field present in that
// version with a non-default value (generated fill_sample), encode, decode,
// compare the objects, re-encode and compare the bytes; every strict prefix
// of the encoding must fail to decode; a huge count or length written over
// any position of the encoding must fail without a large allocation.
#include <gtest/gtest.h>

// GCC 12 reports free() after the replaced operator new below as mismatched.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

#include "protocol/msg/samples/samples.h"

// Allocation watch: while armed, remembers the largest single allocation and
// refuses absurd ones (so a missing bounds check fails the test instead of
// exhausting memory).
namespace {
std::atomic<bool> g_armed{false};
std::atomic<size_t> g_largest{0};
constexpr size_t kRefuseBytes = size_t(1) << 30;
}  // namespace

void* operator new(size_t n) {
  if (g_armed.load(std::memory_order_relaxed)) {
    size_t prev = g_largest.load(std::memory_order_relaxed);
    while (n > prev && !g_largest.compare_exchange_weak(prev, n)) {
    }
    if (n >= kRefuseBytes) throw std::bad_alloc();
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace moldau::protocol {
namespace {

class AllocationWatch {
 public:
  AllocationWatch() {
    g_largest = 0;
    g_armed = true;
  }
  ~AllocationWatch() { g_armed = false; }
  size_t largest() const { return g_largest.load(); }
};

template <typename T>
Bytes encode(const T& m, int16_t version) {
  ByteWriter w;
  m.encode(w, version);
  Bytes out = w.flatten();
  EXPECT_EQ(out.size(), w.size());
  return out;
}

template <typename T>
void check_round_trip(int16_t version, int seed) {
  SCOPED_TRACE(testing::Message() << "version " << version << " seed " << seed);
  T original;
  fill_sample(original, version, seed);
  Bytes bytes = encode(original, version);

  T decoded;
  ByteReader r(bytes);
  ASSERT_TRUE(decoded.decode(r, version));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(decoded == original) << "decoded object differs from the encoded one";
  EXPECT_EQ(encode(decoded, version), bytes);

  if (seed < 2) {
    for (size_t len = 0; len < bytes.size(); ++len) {
      T partial;
      ByteReader pr(bytes.data(), len);
      EXPECT_FALSE(partial.decode(pr, version)) << "prefix of " << len << " bytes decoded";
      EXPECT_FALSE(pr.ok());
    }
  }
}

// Writes a huge count/length at every position: as int32 0x7fffffff, int16
// 0x7fff and as the largest 5-byte uvarint. Decoding must not allocate more
// than a small multiple of the input.
template <typename T>
void check_huge_lengths(int16_t version) {
  SCOPED_TRACE(testing::Message() << "version " << version);
  T original;
  fill_sample(original, version, 0);
  const Bytes bytes = encode(original, version);
  const std::vector<Bytes> patterns = {
      {0x7f, 0xff, 0xff, 0xff}, {0x7f, 0xff}, {0xff, 0xff, 0xff, 0xff, 0x0f}};
  size_t worst = 0;
  for (const Bytes& pattern : patterns) {
    for (size_t at = 0; at + pattern.size() <= bytes.size(); ++at) {
      Bytes mutated = bytes;
      std::copy(pattern.begin(), pattern.end(), mutated.begin() + long(at));
      AllocationWatch watch;
      T m;
      ByteReader r(mutated);
      (void)m.decode(r, version);
      worst = std::max(worst, watch.largest());
    }
  }
  // A decoded element is at most a few hundred bytes in memory per wire byte
  // of its smallest encoding; a missed check would ask for gigabytes.
  EXPECT_LT(worst, 256 * bytes.size() + 4096);
}

template <typename T>
void check_all_versions() {
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    for (int seed = 0; seed < 3; ++seed) check_round_trip<T>(v, seed);
    check_huge_lengths<T>(v);
    // Out-of-range versions are refused.
  }
  T m;
  Bytes empty(64, 0);
  ByteReader below(empty);
  EXPECT_FALSE(m.decode(below, int16_t(T::kMinVersion - 1)));
  ByteReader above(empty);
  EXPECT_FALSE(m.decode(above, int16_t(T::kMaxVersion + 1)));
}

#define MOLDAU_ROUND_TRIP_TEST(Type, kind) \
  TEST(MessageRoundTrip, Type) { check_all_versions<Type>(); }
MOLDAU_PROTOCOL_MESSAGES(MOLDAU_ROUND_TRIP_TEST)
#undef MOLDAU_ROUND_TRIP_TEST

TEST(MessageRoundTrip, AllocationWatchSeesAMissingBoundsCheck) {
  // The watch itself must be able to fail: an unchecked count would show up.
  AllocationWatch watch;
  std::vector<int64_t> v;
  v.reserve(1 << 20);
  EXPECT_GE(watch.largest(), size_t(8) << 20);
}

}  // namespace
}  // namespace moldau::protocol
