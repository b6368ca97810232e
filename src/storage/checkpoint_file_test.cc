#include "storage/checkpoint_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/leader_epoch_cache.h"
#include "storage/testutil.h"

namespace moldau::storage {
namespace {

using testing::TempDir;

TEST(CheckpointFileTest, OffsetCheckpointRoundTripInKafkaFormat) {
  OffsetMap m{{{"orders", 0}, 42}, {{"my.topic-x", 12}, 7}};
  std::string text = format_offset_checkpoint(m);
  EXPECT_TRUE(text.starts_with("0\n2\n"));
  EXPECT_NE(text.find("orders 0 42\n"), std::string::npos);
  EXPECT_NE(text.find("my.topic-x 12 7\n"), std::string::npos);
  auto back = parse_offset_checkpoint(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  auto empty = parse_offset_checkpoint("0\n0\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(CheckpointFileTest, MalformedOffsetCheckpointsAreRejected) {
  for (const char* bad : {"", "0\n", "1\n0\n", "x\n0\n", "0\n2\na 0 1\n", "0\n1\na 0 1\nb 0 2\n",
                          "0\n1\na 0\n", "0\n1\na x 1\n", "0\n1\na 0 1 2\n", "0\n1\na -1 5\n",
                          "0\n-1\n", "0\n1\na 0 99999999999999999999\n"}) {
    auto r = parse_offset_checkpoint(bad);
    EXPECT_FALSE(r.ok()) << "accepted: " << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kCorruptMessage);
    }
  }
  // A missing final newline is fine (Kafka's reader is line based).
  EXPECT_TRUE(parse_offset_checkpoint("0\n1\na 0 1").ok());
}

TEST(CheckpointFileTest, AtomicWriteReplacesAndLeavesNoTemp) {
  TempDir tmp;
  std::string path = tmp / "recovery-point-offset-checkpoint";
  ASSERT_TRUE(write_offset_checkpoint(posix_file_ops(), path, {{{"t", 1}, 5}}).ok());
  ASSERT_TRUE(write_offset_checkpoint(posix_file_ops(), path, {{{"t", 1}, 9}}).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto r = read_offset_checkpoint(posix_file_ops(), path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at({"t", 1}), 9);
  auto missing = read_offset_checkpoint(posix_file_ops(), tmp / "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST(CheckpointFileTest, OversizedFileIsRejected) {
  TempDir tmp;
  std::string path = tmp / "big";
  std::ofstream(path) << std::string(100, 'x');
  auto r = read_small_file(posix_file_ops(), path, 50);
  EXPECT_FALSE(r.ok());
}

TEST(CheckpointFileTest, EpochCheckpointAndPartitionMetadata) {
  std::vector<EpochEntry> e{{0, 0}, {3, 100}, {4, 250}};
  auto text = format_epoch_checkpoint(e);
  EXPECT_EQ(text, "0\n3\n0 0\n3 100\n4 250\n");
  EXPECT_EQ(*parse_epoch_checkpoint(text), e);
  EXPECT_FALSE(parse_epoch_checkpoint("0\n2\n3 100\n2 200\n").ok());  // epochs go back
  EXPECT_FALSE(parse_epoch_checkpoint("0\n2\n3 100\n4 50\n").ok());   // offsets go back
  EXPECT_FALSE(parse_epoch_checkpoint("0\n1\n-1 0\n").ok());
  EXPECT_EQ(format_partition_metadata("AAAAAAAAAAAAAAAAAAAAAQ"),
            "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n");
  EXPECT_EQ(*parse_partition_metadata("version: 0\ntopic_id: abc\n"), "abc");
  EXPECT_FALSE(parse_partition_metadata("version: 1\ntopic_id: abc\n").ok());
  EXPECT_FALSE(parse_partition_metadata("version: 0\n").ok());
  EXPECT_FALSE(parse_partition_metadata("version: 0\ntopic_id: \n").ok());
}

TEST(LeaderEpochCacheTest, AssignTruncateAndEndOffsets) {
  TempDir tmp;
  LeaderEpochCache c(posix_file_ops(), tmp.path());
  EXPECT_TRUE(c.assign(1, 0));
  EXPECT_FALSE(c.assign(1, 10));  // not newer
  EXPECT_TRUE(c.assign(3, 100));
  EXPECT_TRUE(c.assign(5, 200));
  EXPECT_EQ(c.end_offset_for(3, 300), std::make_pair(3, int64_t(200)));
  EXPECT_EQ(c.end_offset_for(4, 300), std::make_pair(3, int64_t(200)));
  EXPECT_EQ(c.end_offset_for(5, 300), std::make_pair(5, int64_t(300)));
  EXPECT_EQ(c.end_offset_for(0, 300), std::nullopt);
  ASSERT_TRUE(c.persist().ok());
  LeaderEpochCache d(posix_file_ops(), tmp.path());
  d.load();
  EXPECT_EQ(d.entries(), c.entries());
  EXPECT_TRUE(d.truncate_from_end(200));
  EXPECT_EQ(d.latest_epoch(), 3);
  EXPECT_TRUE(d.truncate_from_start(150));
  EXPECT_EQ(d.entries(), (std::vector<EpochEntry>{{3, 150}}));
  // A corrupt file loads as empty.
  std::ofstream(tmp / "leader-epoch-checkpoint") << "garbage";
  LeaderEpochCache e(posix_file_ops(), tmp.path());
  e.load();
  EXPECT_TRUE(e.entries().empty());
}

TEST(TopicPartitionTest, DirNames) {
  EXPECT_EQ((TopicPartition{"a-b", 7}.dir_name()), "a-b-7");
  EXPECT_EQ(TopicPartition::parse_dir_name("a-b-7"), (TopicPartition{"a-b", 7}));
  EXPECT_FALSE(TopicPartition::parse_dir_name("a-b-x"));
  EXPECT_FALSE(TopicPartition::parse_dir_name("a-b-"));
  EXPECT_FALSE(TopicPartition::parse_dir_name("-1"));
  EXPECT_FALSE(TopicPartition::parse_dir_name("t-0.abc-delete"));
  EXPECT_FALSE(TopicPartition::parse_dir_name("t-0-future"));
  EXPECT_FALSE(TopicPartition::parse_dir_name("bad name-0"));
}

}  // namespace
}  // namespace moldau::storage
