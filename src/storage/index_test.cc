#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/offset_index.h"
#include "storage/testutil.h"
#include "storage/time_index.h"

namespace moldau::storage {
namespace {

using testing::TempDir;

TEST(OffsetIndexTest, LookupFindsLargestEntryAtOrBelow) {
  TempDir tmp;
  auto idx = OffsetIndex::create(posix_file_ops(), tmp / "0.index", 100, 1024);
  ASSERT_TRUE(idx.ok());
  auto& index = **idx;
  // Nothing indexed: the segment start.
  EXPECT_EQ(index.lookup(150).offset, 100);
  EXPECT_EQ(index.lookup(150).position, 0);
  for (int i = 1; i <= 10; ++i) index.append(100 + i * 10, i * 1000);
  EXPECT_EQ(index.lookup(99).position, 0);     // below everything
  EXPECT_EQ(index.lookup(109).position, 0);
  EXPECT_EQ(index.lookup(110).position, 1000);
  EXPECT_EQ(index.lookup(155).position, 5000);
  EXPECT_EQ(index.lookup(1000).position, 10000);
  EXPECT_EQ(index.lookup_by_position(999).position, 0);
  EXPECT_EQ(index.lookup_by_position(4500).offset, 140);
  EXPECT_EQ(index.lookup_by_position(1 << 30).offset, 200);
  index.truncate_to(150);  // drops entries with offset >= 150
  EXPECT_EQ(index.entries(), 4u);
  EXPECT_EQ(index.lookup(1000).offset, 140);
}

TEST(OffsetIndexTest, FullAtMaxBytes) {
  TempDir tmp;
  auto idx = OffsetIndex::create(posix_file_ops(), tmp / "0.index", 0, 8 * 3 + 5);
  ASSERT_TRUE(idx.ok());
  for (int i = 1; i <= 3; ++i) {
    EXPECT_FALSE((*idx)->full());
    (*idx)->append(i, i * 10);
  }
  EXPECT_TRUE((*idx)->full());
}

TEST(OffsetIndexTest, KafkaFileFormatAndReopen) {
  TempDir tmp;
  std::string path = tmp / "00000000000000000100.index";
  {
    auto idx = OffsetIndex::create(posix_file_ops(), path, 100, 1024);
    ASSERT_TRUE(idx.ok());
    (*idx)->append(105, 4096);
    (*idx)->append(0x10000 + 100, 0x01020304);
    ASSERT_TRUE((*idx)->file().seal().ok());
  }
  // Two 8-byte big-endian entries: relative offset, position.
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0, 0, 0, 5, 0, 0, 0x10, 0, 0, 1, 0, 0, 1, 2, 3, 4}));
  for (bool writable : {false, true}) {
    auto idx = OffsetIndex::open(posix_file_ops(), path, 100, 1024, writable);
    ASSERT_TRUE(idx.ok());
    EXPECT_EQ((*idx)->entries(), 2u);
    EXPECT_EQ((*idx)->lookup(200).position, 4096);
    EXPECT_EQ((*idx)->lookup(1 << 20).position, 0x01020304);
  }
}

TEST(OffsetIndexTest, TruncatedFileDropsPartialEntryAndTooLargeIsRejected) {
  TempDir tmp;
  std::string path = tmp / "0.index";
  std::ofstream(path, std::ios::binary).write("\0\0\0\1\0\0\0\x20\0\0\0", 11);
  auto idx = OffsetIndex::open(posix_file_ops(), path, 0, 1024, true);
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ((*idx)->entries(), 1u);
  auto sealed = OffsetIndex::open(posix_file_ops(), path, 0, 1024, false);
  EXPECT_EQ((*sealed)->entries(), 1u);
  auto small = OffsetIndex::open(posix_file_ops(), path, 0, 8, true);
  EXPECT_FALSE(small.ok());
}

TEST(OffsetIndexTest, WriteOutAfterTruncateShrinksTheFile) {
  TempDir tmp;
  std::string path = tmp / "0.index";
  auto idx = OffsetIndex::create(posix_file_ops(), path, 0, 1024);
  for (int i = 1; i <= 5; ++i) (*idx)->append(i * 10, i * 100);
  ASSERT_TRUE((*idx)->file().write_out().ok());
  EXPECT_EQ(std::filesystem::file_size(path), 40u);
  (*idx)->truncate_to(30);
  (*idx)->append(35, 350);
  ASSERT_TRUE((*idx)->file().write_out().ok());
  EXPECT_EQ(std::filesystem::file_size(path), 24u);
  auto again = OffsetIndex::open(posix_file_ops(), path, 0, 1024, false);
  EXPECT_EQ((*again)->entry(2).offset, 35);
}

TEST(TimeIndexTest, AppendsOnlyIncreasingTimestampsAndLooksUp) {
  TempDir tmp;
  auto idx = TimeIndex::create(posix_file_ops(), tmp / "0.timeindex", 50, 12 * 10);
  ASSERT_TRUE(idx.ok());
  auto& t = **idx;
  EXPECT_EQ(t.lookup(5).offset, 50);
  EXPECT_EQ(t.lookup(5).timestamp, -1);
  t.maybe_append(1000, 55);
  t.maybe_append(1000, 60);  // same timestamp: skipped
  t.maybe_append(900, 61);   // older: skipped
  t.maybe_append(2000, 70);
  EXPECT_EQ(t.entries(), 2u);
  EXPECT_EQ(t.lookup(999).offset, 50);
  EXPECT_EQ(t.lookup(1500).offset, 55);
  EXPECT_EQ(t.lookup(5000).offset, 70);
  EXPECT_EQ(t.last()->timestamp, 2000);
  t.truncate_to(70);
  EXPECT_EQ(t.entries(), 1u);
}

TEST(TimeIndexTest, LastSlotIsReservedForRoll) {
  TempDir tmp;
  auto idx = TimeIndex::create(posix_file_ops(), tmp / "0.timeindex", 0, 12 * 3);
  auto& t = **idx;
  t.maybe_append(1, 1);
  t.maybe_append(2, 2);
  EXPECT_TRUE(t.full());
  t.maybe_append(3, 3);
  EXPECT_EQ(t.entries(), 2u);
  t.maybe_append(3, 3, /*skip_full_check=*/true);
  EXPECT_EQ(t.entries(), 3u);
  t.maybe_append(4, 4, true);  // no room at all
  EXPECT_EQ(t.entries(), 3u);
}

}  // namespace
}  // namespace moldau::storage
