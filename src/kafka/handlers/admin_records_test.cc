#include <gtest/gtest.h>

#include "kafka/handlers/admin_handlers.h"

namespace moldau::kafka::admin {
namespace {

TEST(AdminDeleteRecords, TargetOffset) {
  EXPECT_EQ(delete_records_target(5, 10).value(), 5);
  EXPECT_EQ(delete_records_target(10, 10).value(), 10) << "up to the high watermark itself";
  EXPECT_EQ(delete_records_target(0, 10).value(), 0);
  EXPECT_EQ(delete_records_target(kDeleteToHighWatermark, 10).value(), 10) << "-1: the high watermark";
  for (auto [requested, hw] : {std::pair<int64_t, int64_t>{11, 10}, {-2, 10}, {INT64_MIN, 10}, {1, 0}}) {
    auto r = delete_records_target(requested, hw);
    ASSERT_FALSE(r.ok()) << requested;
    EXPECT_EQ(r.error().code, ErrorCode::kOffsetOutOfRange) << requested;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(AdminDeleteRecords, OnlyACompactingPolicyWithoutDeleteForbidsIt) {
  EXPECT_TRUE(cleanup_policy_allows_delete_records("delete"));
  EXPECT_TRUE(cleanup_policy_allows_delete_records("compact,delete"));
  EXPECT_TRUE(cleanup_policy_allows_delete_records("delete,compact"));
  EXPECT_TRUE(cleanup_policy_allows_delete_records(""));
  EXPECT_FALSE(cleanup_policy_allows_delete_records("compact"));
}

}  // namespace
}  // namespace moldau::kafka::admin
