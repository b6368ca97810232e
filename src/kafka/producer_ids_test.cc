// ProducerIdAllocator over a real controller and metadata log: ids are
// distinct, come in blocks recorded as ProducerIdsRecord, and a restart never
// hands out an id again.
#include "kafka/producer_ids.h"

#include <gtest/gtest.h>

#include <set>

#include "metadata/controller_test_util.h"

namespace moldau::kafka {
namespace {

using metadata::testing::ControllerHarness;

int64_t allocate(ProducerIdAllocator& a) {
  int64_t got = -1;
  a.allocate([&](Result<int64_t> id) {
    ASSERT_TRUE(id.ok()) << id.error().message;
    got = *id;
  });
  return got;  // the single-voter quorum commits before returning
}

TEST(ProducerIdAllocatorTest, IdsAreDistinctAndBlocksAreRecorded) {
  ControllerHarness h;
  ProducerIdAllocator a(h.controller(), 10);
  std::set<int64_t> ids;
  for (int i = 0; i < 25; ++i) {
    int64_t id = allocate(a);
    ASSERT_GE(id, 0);
    EXPECT_TRUE(ids.insert(id).second) << id;
  }
  // Three blocks of 10 were reserved in the metadata log.
  EXPECT_EQ(h.image()->next_producer_id(), 30);
}

TEST(ProducerIdAllocatorTest, RestartNeverReusesAnId) {
  ControllerHarness h;
  int64_t last = -1;
  {
    ProducerIdAllocator a(h.controller(), 1000);
    for (int i = 0; i < 3; ++i) last = allocate(a);
  }
  EXPECT_EQ(last, 2);
  h.restart();
  EXPECT_EQ(h.image()->next_producer_id(), 1000);
  ProducerIdAllocator b(h.controller(), 1000);
  EXPECT_EQ(allocate(b), 1000);  // the rest of the first block is skipped
  // Two allocators of one controller (InitProducerId and the transaction
  // coordinator) get disjoint blocks.
  ProducerIdAllocator c(h.controller(), 1000);
  EXPECT_EQ(allocate(c), 2000);
  EXPECT_EQ(allocate(b), 1001);
}

}  // namespace
}  // namespace moldau::kafka
