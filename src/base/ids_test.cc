#include "base/ids.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

namespace moldau {
namespace {

// ---- compile-time rules (a failure here is a build failure) ----

template <typename A, typename B>
concept EqComparable = requires(A a, B b) { a == b; };
template <typename A, typename B>
concept LessComparable = requires(A a, B b) { a < b; };

// Plain integers in and out, implicitly.
static_assert(std::is_convertible_v<int32_t, PartitionId>);
static_assert(std::is_convertible_v<PartitionId, int32_t>);
static_assert(std::is_convertible_v<int64_t, Offset>);
static_assert(std::is_convertible_v<Offset, int64_t>);
static_assert(std::is_convertible_v<int, NodeId>);
static_assert(std::is_convertible_v<int, ProducerEpoch>);
static_assert(std::is_assignable_v<Offset&, int64_t>);
static_assert(std::is_assignable_v<Offset&, int>);
static_assert(std::is_assignable_v<int64_t&, Offset>);
// A narrower id into a wider plain integer works (int32 -> int64).
static_assert(std::is_assignable_v<int64_t&, PartitionId>);

// One strong type never becomes another, in any direction.
static_assert(!std::is_convertible_v<NodeId, PartitionId>);
static_assert(!std::is_convertible_v<PartitionId, NodeId>);
static_assert(!std::is_convertible_v<PartitionId, Offset>);
static_assert(!std::is_convertible_v<Offset, PartitionId>);
static_assert(!std::is_convertible_v<NodeId, LeaderEpoch>);
static_assert(!std::is_convertible_v<LeaderEpoch, NodeId>);
static_assert(!std::is_convertible_v<ProducerId, Offset>);
static_assert(!std::is_convertible_v<Offset, ProducerId>);
static_assert(!std::is_convertible_v<ProducerEpoch, LeaderEpoch>);
static_assert(!std::is_assignable_v<Offset&, PartitionId>);
static_assert(!std::is_assignable_v<PartitionId&, NodeId>);
static_assert(!std::is_assignable_v<NodeId&, PartitionId>);
static_assert(!std::is_assignable_v<LeaderEpoch&, NodeId>);
static_assert(!std::is_assignable_v<Offset&, ProducerId>);
static_assert(!std::is_assignable_v<ProducerEpoch&, LeaderEpoch>);
static_assert(!std::is_constructible_v<std::vector<NodeId>, std::vector<PartitionId>>);
// Nor does a struct field of one type take a value of another.
struct Row {
  PartitionId partition_index;
  NodeId leader_id;
  Offset high_watermark;
};
static_assert(!std::is_assignable_v<decltype((std::declval<Row&>().leader_id)),
                                    decltype(std::declval<Row&>().partition_index)>);
static_assert(!std::is_assignable_v<decltype((std::declval<Row&>().high_watermark)),
                                    decltype(std::declval<Row&>().partition_index)>);

// Comparison: within a type and with plain integers, never across types.
static_assert(EqComparable<Offset, Offset>);
static_assert(EqComparable<Offset, int>);
static_assert(EqComparable<int64_t, Offset>);
static_assert(LessComparable<Offset, int64_t>);
static_assert(LessComparable<int, PartitionId>);
static_assert(LessComparable<PartitionId, size_t>);
static_assert(!EqComparable<NodeId, PartitionId>);
static_assert(!EqComparable<PartitionId, NodeId>);
static_assert(!EqComparable<Offset, ProducerId>);
static_assert(!LessComparable<NodeId, PartitionId>);
static_assert(!LessComparable<LeaderEpoch, NodeId>);

// Same size and layout as the plain integer.
static_assert(sizeof(Offset) == 8 && sizeof(PartitionId) == 4 && sizeof(ProducerEpoch) == 2);
static_assert(std::is_trivially_copyable_v<Offset>);
static_assert(std::is_standard_layout_v<NodeId>);

// constexpr use.
static_assert(Offset(5) + 1 == 6);
static_assert(PartitionId(-1) < 0);
static_assert(PartitionId(-1) < size_t(0));  // mathematically, unlike -1 < 0u

// ---- run-time behaviour ----

TEST(StrongIntTest, DefaultIsZeroAndValueRoundTrips) {
  Offset o;
  EXPECT_EQ(o.value(), 0);
  NodeId n = -1;
  int32_t raw = n;
  EXPECT_EQ(raw, -1);
  EXPECT_EQ(n.value(), -1);
}

TEST(StrongIntTest, Arithmetic) {
  Offset o = 10;
  ++o;
  EXPECT_EQ(o, 11);
  o += 5;
  EXPECT_EQ(o, 16);
  o -= 6;
  EXPECT_EQ(o, 10);
  Offset prev = o--;
  EXPECT_EQ(prev, 10);
  EXPECT_EQ(o, 9);
  Offset next = o + 1;  // the Rep, assigned back implicitly
  EXPECT_EQ(next, 10);
  int64_t lag = Offset(100) - o;
  EXPECT_EQ(lag, 91);
  ProducerEpoch e = 32767;
  ++e;  // int16 wraps like the wire type (Kafka bumps and checks it)
  EXPECT_EQ(e.value(), -32768);
}

TEST(StrongIntTest, Comparison) {
  Offset a = 3, b = 7;
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b > a);
  EXPECT_TRUE(a != b);
  EXPECT_TRUE(a == 3);
  EXPECT_TRUE(3 == a);
  EXPECT_TRUE(a < int64_t{4});
  EXPECT_TRUE(PartitionId(-1) < std::vector<int>(2).size());
  EXPECT_FALSE(PartitionId(2) < std::vector<int>(2).size());
  EXPECT_EQ(std::max(a, b), b);
  EXPECT_EQ(std::min(a.value(), int64_t{1}), 1);
}

TEST(StrongIntTest, ContainersAndHash) {
  std::map<PartitionId, Offset> m{{1, 10}, {0, 5}};
  EXPECT_EQ(m.begin()->first, 0);
  std::unordered_set<NodeId> nodes{1, 2, 2, 3};
  EXPECT_EQ(nodes.size(), 3u);
  EXPECT_TRUE(nodes.contains(2));
  std::vector<int32_t> plain{4, 5};
  std::vector<NodeId> replicas(plain.begin(), plain.end());
  EXPECT_EQ(replicas[1], 5);
  EXPECT_EQ(std::vector<int32_t>(replicas.begin(), replicas.end()), plain);
  std::vector<int> v{7, 8, 9};
  PartitionId p = 2;
  EXPECT_EQ(v[p], 9);  // indexes like the int it is
  EXPECT_EQ(std::hash<Offset>{}(Offset(42)), std::hash<int64_t>{}(42));
}

TEST(StrongIntTest, Formatting) {
  EXPECT_EQ(fmt::format("{}", Offset(1234567890123)), "1234567890123");
  EXPECT_EQ(fmt::format("{}-{}", PartitionId(3), NodeId(-1)), "3--1");
  EXPECT_EQ(fmt::format("{:>5}", LeaderEpoch(7)), "    7");
  EXPECT_EQ(fmt::format("{:x}", ProducerId(255)), "ff");
  EXPECT_EQ(fmt::format("{}", ProducerEpoch(-1)), "-1");
}

}  // namespace
}  // namespace moldau
