// Transactional offset commits (TxnOffsetCommit): pending until the
// producer's marker reaches the group's partition, then committed (COMMIT) or
// dropped (ABORT); UNSTABLE_OFFSET_COMMIT for require_stable fetches
// meanwhile; loading applies them only when the marker follows.
#include <gtest/gtest.h>

#include "coordinator/coordinator_test_util.h"

namespace moldau::coordinator {
namespace {

using testing::Bench;

OffsetCommitRequest txn_commit(const std::string& group, int64_t producer_id, int64_t offset) {
  OffsetCommitRequest r;
  r.group_id = group;
  r.producer_id = producer_id;
  OffsetCommitPartition p;
  p.tp = {"in", 0};
  p.offset = offset;
  r.partitions.push_back(p);
  return r;
}

int64_t fetched(GroupCoordinator& c, const std::string& group, bool require_stable = false,
                ErrorCode* error = nullptr) {
  OffsetFetchGroup g;
  g.group_id = group;
  g.partitions = std::vector<TopicPartition>{{"in", 0}};
  g.require_stable = require_stable;
  auto r = c.fetch_offsets({g});
  if (error) *error = r[0].partitions[0].error;
  return r[0].partitions[0].offset;
}

TEST(TxnOffsetsTest, PendingUntilCommitMarker) {
  Bench b;
  auto res = b.coord.commit_offsets(txn_commit("g", 42, 10), b.now);
  ASSERT_EQ(res.partitions[0].error, ErrorCode::kNone);
  ASSERT_EQ(res.records.size(), 1u);  // appended in the producer's transactional batch
  EXPECT_EQ(fetched(b.coord, "g"), -1);
  ErrorCode e;
  fetched(b.coord, "g", true, &e);
  EXPECT_EQ(e, ErrorCode::kUnstableOffsetCommit);
  const int32_t p = partition_for("g", 50);
  b.coord.complete_txn_offsets(p + 1, 42, true, b.now);  // another partition: nothing
  EXPECT_EQ(fetched(b.coord, "g"), -1);
  b.coord.complete_txn_offsets(p, 42, true, b.now);
  EXPECT_EQ(fetched(b.coord, "g"), 10);
  fetched(b.coord, "g", true, &e);
  EXPECT_EQ(e, ErrorCode::kNone);
}

TEST(TxnOffsetsTest, AbortDropsThem) {
  Bench b;
  b.coord.commit_offsets(txn_commit("g", 42, 10), b.now);
  b.coord.complete_txn_offsets(partition_for("g", 50), 42, false, b.now);
  EXPECT_EQ(fetched(b.coord, "g"), -1);
  EXPECT_FALSE(b.coord.has_pending_txn_offset("g", {"in", 0}));
}

TEST(TxnOffsetsTest, LoadingAppliesOnlyCommittedTransactions) {
  Bench b;
  const int32_t p = partition_for("g", 50);
  auto committed = b.coord.commit_offsets(txn_commit("g", 1, 10), b.now).records;
  auto aborted = b.coord.commit_offsets(txn_commit("g", 2, 20), b.now).records;
  auto open = b.coord.commit_offsets(txn_commit("g", 3, 30), b.now).records;
  b.coord.unload(p, b.now);
  b.coord.begin_loading(p);
  auto replay = [&](const std::vector<OffsetsRecord>& rs, int64_t pid) {
    for (const auto& r : rs) ASSERT_TRUE(b.coord.replay_txn(p, pid, r.key, ByteSpan(*r.value)));
  };
  replay(committed, 1);
  replay(aborted, 2);
  replay(open, 3);
  b.coord.replay_txn_marker(p, 2, false);
  b.coord.replay_txn_marker(p, 1, true);
  b.coord.complete_loading(p, b.now);
  EXPECT_EQ(fetched(b.coord, "g"), 10);
  // The open transaction is still pending; its commit marker comes later.
  EXPECT_TRUE(b.coord.has_pending_txn_offset("g", {"in", 0}));
  b.coord.complete_txn_offsets(p, 3, true, b.now);
  EXPECT_EQ(fetched(b.coord, "g"), 30);
}

}  // namespace
}  // namespace moldau::coordinator
