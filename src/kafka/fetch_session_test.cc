#include "kafka/fetch_session.h"

#include <gtest/gtest.h>

namespace moldau::kafka {
namespace {

FetchRequestPartition part(const std::string& t, int32_t p, int64_t off) {
  return FetchRequestPartition{SessionPartitionKey{t, p}, off, 1 << 20};
}

TEST(FetchSession, SessionlessFetchCreatesNothing) {
  FetchSessionCache c;
  auto v = c.begin(1, 0, kFinalEpoch, {part("a", 0, 5)}, {});
  EXPECT_EQ(v.error, ErrorCode::kNone);
  EXPECT_EQ(v.session_id, 0);
  ASSERT_EQ(v.partitions.size(), 1u);
  EXPECT_EQ(c.size(), 0u);
}

TEST(FetchSession, IncrementalRequestsAddUpdateAndForget) {
  FetchSessionCache c;
  auto v = c.begin(1, 0, kInitialEpoch, {part("a", 0, 5), part("a", 1, 7)}, {});
  ASSERT_NE(v.session_id, 0);
  int32_t id = v.session_id;
  auto v1 = c.begin(1, id, 1, {part("b", 0, 0)}, {});
  EXPECT_TRUE(v1.incremental);
  EXPECT_EQ(v1.partitions.size(), 3u);
  auto v2 = c.begin(1, id, 2, {part("a", 0, 9)}, {SessionPartitionKey{"a", 1}});
  ASSERT_EQ(v2.partitions.size(), 2u);
  EXPECT_EQ(v2.partitions[0].first.topic, "a");
  EXPECT_EQ(v2.partitions[0].second.fetch_offset, 9);
}

TEST(FetchSession, WrongEpochOrUnknownIdOrOtherConnectionIsRefused) {
  FetchSessionCache c;
  int32_t id = c.begin(1, 0, kInitialEpoch, {part("a", 0, 0)}, {}).session_id;
  EXPECT_EQ(c.begin(1, id, 2, {}, {}).error, ErrorCode::kInvalidFetchSessionEpoch);
  EXPECT_EQ(c.begin(1, id + 100, 1, {}, {}).error, ErrorCode::kFetchSessionIdNotFound);
  EXPECT_EQ(c.begin(2, id, 1, {}, {}).error, ErrorCode::kFetchSessionIdNotFound);
  EXPECT_EQ(c.begin(1, id, 1, {}, {}).error, ErrorCode::kNone);
}

TEST(FetchSession, IncrementalResponsesCarryOnlyChangedPartitions) {
  FetchSessionCache c;
  int32_t id = c.begin(1, 0, kInitialEpoch, {part("a", 0, 0)}, {}).session_id;
  SessionPartitionKey k{"a", 0};
  // Full response: included, and records the state sent.
  EXPECT_TRUE(c.should_include(id, false, k, false, ErrorCode::kNone, 10, 0, 10));
  // Nothing changed: left out of an incremental response.
  EXPECT_FALSE(c.should_include(id, true, k, false, ErrorCode::kNone, 10, 0, 10));
  // High watermark moved: included.
  EXPECT_TRUE(c.should_include(id, true, k, false, ErrorCode::kNone, 11, 0, 11));
  // Records: included.
  EXPECT_TRUE(c.should_include(id, true, k, true, ErrorCode::kNone, 11, 0, 11));
  // Error: included.
  EXPECT_TRUE(c.should_include(id, true, k, false, ErrorCode::kOffsetOutOfRange, 11, 0, 11));
}

// KIP-227 as Kafka does it: after a partition errored (here OFFSET_OUT_OF_RANGE,
// then the client resets its position), the first error-free answer is sent even
// when nothing else changed, so the client learns the error is gone.
TEST(FetchSession, FirstAnswerAfterAnErrorIsIncluded) {
  FetchSessionCache c;
  int32_t id = c.begin(1, 0, kInitialEpoch, {part("a", 0, 1000)}, {}).session_id;
  SessionPartitionKey k{"a", 0};
  EXPECT_TRUE(c.should_include(id, false, k, false, ErrorCode::kOffsetOutOfRange, 10, 0, 10));
  auto v = c.begin(1, id, 1, {part("a", 0, 10)}, {});  // reset to latest
  ASSERT_EQ(v.partitions.size(), 1u);
  EXPECT_EQ(v.partitions[0].second.fetch_offset, 10);
  EXPECT_TRUE(c.should_include(id, true, k, false, ErrorCode::kNone, 10, 0, 10));
  // From then on only changes are sent again.
  EXPECT_FALSE(c.should_include(id, true, k, false, ErrorCode::kNone, 10, 0, 10));
}

TEST(FetchSession, CacheIsBoundedAndClosedConnectionsAreForgotten) {
  FetchSessionCache c(2);
  c.begin(1, 0, kInitialEpoch, {part("a", 0, 0)}, {});
  c.begin(1, 0, kInitialEpoch, {part("a", 0, 0)}, {});
  c.begin(2, 0, kInitialEpoch, {part("a", 0, 0)}, {});
  EXPECT_EQ(c.size(), 2u);
  c.forget_owner(1);
  EXPECT_EQ(c.size(), 1u);
}

}  // namespace
}  // namespace moldau::kafka
