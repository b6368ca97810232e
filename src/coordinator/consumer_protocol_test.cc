// The embedded consumer protocol: subscriptions and assignments.
#include "coordinator/consumer_protocol.h"

#include <gtest/gtest.h>

namespace moldau::coordinator {
namespace {

TEST(ConsumerProtocolTest, SubscriptionRoundTripsInEveryVersion) {
  ConsumerSubscription full;
  full.topics = {"orders", "payments"};
  full.user_data = Bytes{9, 8};
  full.owned_partitions = {{"orders", {0, 2}}};
  full.generation_id = 7;
  full.rack_id = "rack-1";
  for (int16_t v = 0; v <= 3; ++v) {
    ConsumerSubscription s = full;
    s.version = v;
    auto d = decode_subscription(encode_subscription(s));
    ASSERT_TRUE(d.ok()) << v;
    ConsumerSubscription want = s;
    if (v < 1) want.owned_partitions.clear();
    if (v < 2) want.generation_id = -1;
    if (v < 3) want.rack_id.reset();
    EXPECT_EQ(*d, want) << v;
  }
}

TEST(ConsumerProtocolTest, TopicsAreReadWithTheVersion0PrefixOfAnyVersion) {
  ConsumerSubscription s;
  s.version = 3;
  s.topics = {"a", "b"};
  s.owned_partitions = {{"a", {1}}};
  EXPECT_EQ(subscription_topics(encode_subscription(s)), (std::vector<std::string>{"a", "b"}));
  // A future version with more fields after the v0 ones still parses.
  Bytes future = encode_subscription(s);
  future[1] = 42;
  future.push_back(0x55);
  EXPECT_EQ(subscription_topics(future), (std::vector<std::string>{"a", "b"}));
  // Garbage does not.
  EXPECT_FALSE(subscription_topics(Bytes{0, 0, 0x7f, 0, 0, 0}).has_value());
  EXPECT_FALSE(subscription_topics(Bytes{0xff, 0xff, 0, 0, 0, 0}).has_value());
  EXPECT_FALSE(subscription_topics(Bytes{}).has_value());
}

TEST(ConsumerProtocolTest, AssignmentLayoutAndRoundTrip) {
  ConsumerAssignment a;
  a.version = 0;
  a.partitions = {{"t", {1, 2}}};
  // version | 1 topic | "t" | 2 partitions: 1, 2 | null user data
  Bytes expected{0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(encode_assignment(a), expected);
  auto d = decode_assignment(expected);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, a);
  for (size_t n = 0; n < expected.size(); ++n) {
    EXPECT_FALSE(decode_assignment(ByteSpan(expected.data(), n)).ok()) << n;
  }
}

}  // namespace
}  // namespace moldau::coordinator
