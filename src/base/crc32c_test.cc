#include "base/crc32c.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace moldau
