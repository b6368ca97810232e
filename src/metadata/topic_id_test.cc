#include "metadata/topic_id.h"

#include <gtest/gtest.h>

#include <set>

namespace moldau::metadata {
namespace {

TEST(TopicId, ZeroIsNone) {
  TopicId z;
  EXPECT_TRUE(z.is_zero());
  EXPECT_FALSE(bool(z));
  EXPECT_EQ(z.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
}

TEST(TopicId, KnownTextForm) {
  // Kafka's Uuid(1, 1) prints as AAAAAAAAAAEAAAAAAAAAAQ.
  TopicId id = TopicId::from_halves(1, 1);
  EXPECT_EQ(id.to_string(), "AAAAAAAAAAEAAAAAAAAAAQ");
  EXPECT_EQ(TopicId::parse("AAAAAAAAAAEAAAAAAAAAAQ"), id);
  TopicId all = TopicId::from_halves(~0ull, ~0ull);
  EXPECT_EQ(all.to_string(), "_____________________w");
  EXPECT_EQ(all.most_significant(), ~0ull);
}

TEST(TopicId, RandomRoundTripsAndIsVersion4) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    TopicId id = TopicId::random();
    EXPECT_FALSE(id.is_zero());
    std::string text = id.to_string();
    EXPECT_EQ(text.size(), TopicId::kTextSize);
    EXPECT_NE(text[0], '-');
    EXPECT_EQ(id.bytes()[6] >> 4, 4);
    EXPECT_EQ(TopicId::parse(text), id);
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(TopicId, ParseRejectsMalformed) {
  EXPECT_FALSE(TopicId::parse(""));
  EXPECT_FALSE(TopicId::parse("AAAAAAAAAAEAAAAAAAAAA"));     // 21 chars
  EXPECT_FALSE(TopicId::parse("AAAAAAAAAAEAAAAAAAAAAQ="));   // padding
  EXPECT_FALSE(TopicId::parse("AAAAAAAAAAEAAAAAAAAA+Q"));    // not URL-safe
  EXPECT_FALSE(TopicId::parse("AAAAAAAAAAEAAAAAAAAAAB"));    // non-canonical last char
}

}  // namespace
}  // namespace moldau::metadata
