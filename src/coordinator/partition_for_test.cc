// The __consumer_offsets partition of a group: Kafka's
// Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions.
//
// Java's String.hashCode is s[0]*31^(n-1) + s[1]*31^(n-2) + ... + s[n-1] over
// the UTF-16 code units, in 32-bit two's complement arithmetic. Kafka's
// Utils.abs(n) is (n == Integer.MIN_VALUE) ? 0 : Math.abs(n).
#include <gtest/gtest.h>

#include "coordinator/group_coordinator.h"

namespace moldau::coordinator {
namespace {

TEST(PartitionForTest, HandComputedValues) {
  // "a": 97.                      97 % 50 = 47
  EXPECT_EQ(java_string_hash("a"), 97);
  EXPECT_EQ(partition_for("a", 50), 47);
  // "ab": 97*31 + 98 = 3007 + 98 = 3105.   3105 % 50 = 5
  EXPECT_EQ(java_string_hash("ab"), 3105);
  EXPECT_EQ(partition_for("ab", 50), 5);
  // "": 0.
  EXPECT_EQ(partition_for("", 50), 0);
}

TEST(PartitionForTest, NegativeHashUsesTheAbsoluteValueNotTheLow31Bits) {
  // "my-group" hashes to -1906497762 (the sum wraps past 2^31).
  // abs: 1906497762 % 50 = 12. (Masking with 0x7fffffff would give
  // 2147483648 - 1906497762 = 240985886, % 50 = 36: not Kafka's answer.)
  EXPECT_EQ(java_string_hash("my-group"), -1906497762);
  EXPECT_EQ(partition_for("my-group", 50), 12);
  EXPECT_EQ(partition_for("my-group", 3), 0);  // 1906497762 = 3 * 635499254
}

TEST(PartitionForTest, IntegerMinValueMapsToPartitionZero) {
  // These strings hash to exactly -2^31, whose Math.abs is still negative;
  // Kafka's Utils.abs makes it 0.
  EXPECT_EQ(java_string_hash("polygenelubricants"), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(partition_for("polygenelubricants", 50), 0);
  EXPECT_EQ(partition_for("polygenelubricants", 7), 0);
  EXPECT_EQ(java_string_hash("GydZG_"), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(partition_for("GydZG_", 7), 0);
}

TEST(PartitionForTest, NonAsciiGroupIdsHashTheirUtf16CodeUnits) {
  // "grüße": g r ü ß e = 0x67 0x72 0xfc 0xdf 0x65 in UTF-16 (each one unit);
  // in UTF-8 ü and ß take two bytes each. Hash 98768023, % 50 = 23.
  EXPECT_EQ(java_string_hash("gr\xc3\xbc\xc3\x9f" "e"), 98768023);
  EXPECT_EQ(partition_for("gr\xc3\xbc\xc3\x9f" "e", 50), 23);
  // U+1F642 is the surrogate pair D83D DE42 in UTF-16:
  // 0xD83D*31 + 0xDE42 = 55357*31 + 56898 = 1716067 + 56898 = 1772965; % 50 = 15.
  EXPECT_EQ(java_string_hash("\xf0\x9f\x99\x82"), 1772965);
  EXPECT_EQ(partition_for("\xf0\x9f\x99\x82", 50), 15);
}

TEST(PartitionForTest, MalformedUtf8CountsAsReplacementCharacters) {
  // A lone continuation byte decodes to U+FFFD, as Java's decoder does.
  EXPECT_EQ(java_string_hash("\x80"), 0xfffd);
  EXPECT_EQ(java_string_hash("a\xff"), 97 * 31 + 0xfffd);
}

TEST(PartitionForTest, CoordinatorUsesItsConfiguredPartitionCount) {
  CoordinatorConfig c;
  c.offsets_topic_num_partitions = 3;
  GroupCoordinator coord(c);
  EXPECT_EQ(coord.partition_for("ab"), 0);  // 3105 = 3 * 1035
  EXPECT_EQ(coord.partition_for("a"), 1);   // 97 = 3 * 32 + 1
}

}  // namespace
}  // namespace moldau::coordinator
