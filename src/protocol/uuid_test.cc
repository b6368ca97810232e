#include "protocol/uuid.h"

#include <gtest/gtest.h>

#include <set>

namespace moldau::protocol {
namespace {

TEST(Uuid, TextFormIsUrlSafeBase64WithoutPadding) {
  EXPECT_EQ(Uuid::zero().to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(Uuid::metadata_topic().to_string(), "AAAAAAAAAAAAAAAAAAAAAQ");
  Uuid all{~uint64_t(0), ~uint64_t(0)};
  EXPECT_EQ(all.to_string(), "_____________________w");
  // Bytes fb ef be repeated are 6-bit groups of 62: '-' in URL-safe base64.
  Uuid u{0xfbefbefbefbefbefULL, 0xbefbefbefbefbefbULL};
  EXPECT_EQ(u.to_string(), std::string(21, '-') + "w");
  EXPECT_EQ(Uuid::parse(u.to_string()), u);
  EXPECT_EQ(Uuid::parse(all.to_string()), all);
}

TEST(Uuid, ParseRejectsBadText) {
  EXPECT_EQ(Uuid::parse("AAAAAAAAAAAAAAAAAAAAAQ"), Uuid::metadata_topic());
  EXPECT_EQ(Uuid::parse("AAAAAAAAAAAAAAAAAAAAAQ=="), Uuid::metadata_topic());
  EXPECT_FALSE(Uuid::parse(""));
  EXPECT_FALSE(Uuid::parse("AAAAAAAAAAAAAAAAAAAAA"));     // 21 chars
  EXPECT_FALSE(Uuid::parse("AAAAAAAAAAAAAAAAAAAAAAA"));   // 23 chars
  EXPECT_FALSE(Uuid::parse("AAAAAAAAAAAAAAAAAAAA+Q"));    // '+' is not URL-safe
  EXPECT_FALSE(Uuid::parse("AAAAAAAAAAAAAAAAAAAAAR"));    // non-zero trailing bits
}

TEST(Uuid, RandomIsVersion4AndUsable) {
  std::set<Uuid> seen;
  for (int i = 0; i < 1000; ++i) {
    Uuid u = Uuid::random();
    EXPECT_FALSE(u.is_zero());
    EXPECT_NE(u, Uuid::metadata_topic());
    EXPECT_EQ((u.hi >> 12) & 0xf, 4u);
    EXPECT_EQ(u.lo >> 62, 2u);
    std::string s = u.to_string();
    EXPECT_NE(s[0], '-');
    EXPECT_EQ(Uuid::parse(s), u);
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace moldau::protocol
