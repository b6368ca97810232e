#include "storage/segment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "storage/testutil.h"

namespace moldau::storage {
namespace {

using testing::make_batch;
using testing::TempDir;

class SegmentTest : public ::testing::Test {
 public:
  void SetUp() override { config_.index_interval_bytes = 300; }
  std::unique_ptr<Segment> create() {
    auto s = Segment::create(dir_, tmp_.path(), 100, config_, 0);
    EXPECT_TRUE(s.ok());
    return std::move(s.value());
  }
  std::unique_ptr<Segment> reopen(bool active) {
    auto s = Segment::open(dir_, tmp_.path(), 100, config_, active);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  // Appends batches of 5 records with offsets from 100 on; returns batch ends.
  std::vector<int64_t> fill(Segment& seg, int batches, int64_t first_ts = 1000) {
    std::vector<int64_t> ends;
    int64_t next = seg.next_offset();
    for (int i = 0; i < batches; ++i) {
      Bytes b = make_batch(5, 50, first_ts + i * 10);
      protocol::set_base_offset(b.data(), next);
      next += 5;
      EXPECT_TRUE(seg.append(b, 0).ok());
      ends.push_back(seg.size_bytes());
    }
    return ends;
  }
  std::string log_path() { return Segment::path_for(tmp_.path(), 100, ".log"); }
  void write_at_end(const std::string& bytes) {
    std::ofstream(log_path(), std::ios::binary | std::ios::app).write(bytes.data(), bytes.size());
  }
  void overwrite(int64_t at, const std::string& bytes) {
    std::fstream f(log_path(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(at);
    f.write(bytes.data(), bytes.size());
  }

  TempDir tmp_;
  std::shared_ptr<LogDir> dir_ = std::make_shared<LogDir>(tmp_.path(), posix_file_ops());
  LogConfig config_;
};

TEST_F(SegmentTest, FindBatchUsesIndexAndScans) {
  auto seg = create();
  auto ends = fill(*seg, 20);
  EXPECT_EQ(seg->next_offset(), 200);
  for (int64_t o = 100; o < 200; ++o) {
    auto b = seg->find_batch(o);
    ASSERT_TRUE(b.ok() && *b);
    EXPECT_EQ((*b)->base_offset, (o - 100) / 5 * 5 + 100);
    EXPECT_LE((*b)->base_offset, o);
    EXPECT_GE((*b)->last_offset, o);
  }
  auto none = seg->find_batch(200);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  // Whole-batch ends.
  EXPECT_EQ(*seg->batches_end_before(0, ends[3] + 10), ends[3]);
  EXPECT_EQ(*seg->batches_end_before(ends[2], ends[2] + 1), ends[2]);
  EXPECT_EQ(*seg->batches_end_before(0, 1 << 30), ends.back());
  // Any limit: a batch boundary, at most 1/16 of the budget short of the exact one.
  for (int64_t limit = 1; limit < ends.back(); limit += 97) {
    int64_t got = *seg->batches_end_before(0, limit);
    int64_t exact = 0;
    for (int64_t e : ends) {
      if (e <= limit) exact = e;
    }
    EXPECT_TRUE(got == 0 || std::find(ends.begin(), ends.end(), got) != ends.end()) << limit;
    EXPECT_LE(got, exact);
    EXPECT_LE(exact - got, limit / 16) << limit;
  }
}

TEST_F(SegmentTest, TimestampLookup) {
  auto seg = create();
  fill(*seg, 20, 1000);  // batch i has max timestamp 1000 + 10i + 4
  EXPECT_EQ(seg->max_timestamp(), 1000 + 190 + 4);
  EXPECT_EQ(seg->offset_of_max_timestamp(), 199);
  auto b = seg->find_timestamp(1055);  // batch 5 has max 1054, batch 6 max 1064
  ASSERT_TRUE(b.ok() && *b);
  EXPECT_EQ((*b)->base_offset, 130);
  b = seg->find_timestamp(0);
  EXPECT_EQ((*b)->base_offset, 100);
  b = seg->find_timestamp(5000);
  EXPECT_FALSE(*b);
}

TEST_F(SegmentTest, SealedReopenUsesIndexesWithoutScanning) {
  {
    auto seg = create();
    fill(*seg, 20);
    ASSERT_TRUE(seg->seal().ok());
  }
  auto seg = reopen(false);
  EXPECT_EQ(seg->max_timestamp(), 1194);
  auto b = seg->find_batch(163);
  ASSERT_TRUE(b.ok() && *b);
  EXPECT_EQ((*b)->base_offset, 160);
}

TEST_F(SegmentTest, LoadTailFindsTheEnd) {
  {
    auto seg = create();
    fill(*seg, 20);
    ASSERT_TRUE(seg->seal().ok());
  }
  auto seg = reopen(true);
  ASSERT_TRUE(seg->load_tail().ok());
  EXPECT_EQ(seg->next_offset(), 200);
  fill(*seg, 1);
  EXPECT_EQ(seg->next_offset(), 205);
}

TEST_F(SegmentTest, RecoverKeepsAValidSegmentAndRebuildsIndexes) {
  {
    auto seg = create();
    fill(*seg, 20);
    ASSERT_TRUE(seg->flush().ok());
  }
  std::filesystem::remove(Segment::path_for(tmp_.path(), 100, ".index"));
  auto seg = reopen(true);
  int batches = 0;
  auto truncated = seg->recover([&](const BatchInfo&) { ++batches; });
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(*truncated, 0);
  EXPECT_EQ(batches, 20);
  EXPECT_EQ(seg->next_offset(), 200);
  ASSERT_TRUE(seg->seal().ok());
  EXPECT_GT(std::filesystem::file_size(Segment::path_for(tmp_.path(), 100, ".index")), 0u);
  auto b = seg->find_batch(187);
  EXPECT_EQ((*b)->base_offset, 185);
}

TEST_F(SegmentTest, RecoverTruncatesTornAndCorruptTails) {
  const std::vector<std::pair<const char*, std::function<int(SegmentTest&, std::vector<int64_t>&)>>>
      cases = {
          {"777 bytes of garbage",
           [](SegmentTest& t, auto&) { t.write_at_end(std::string(777, '\x5a')); return 10; }},
          {"zeros (file size updated before data)",
           [](SegmentTest& t, auto&) { t.write_at_end(std::string(4096, '\0')); return 10; }},
          {"a torn header",
           [](SegmentTest& t, auto&) {
             Bytes b = make_batch(5);
             t.write_at_end(std::string(b.begin(), b.begin() + 30));
             return 10;
           }},
          {"a torn batch body",
           [](SegmentTest& t, auto&) {
             Bytes b = make_batch(5, 50);
             protocol::set_base_offset(b.data(), 150);
             t.write_at_end(std::string(b.begin(), b.end() - 7));
             return 10;
           }},
          {"a flipped bit in batch 6",
           [](SegmentTest& t, auto& ends) { t.overwrite(ends[5] + 70, "\x01"); return 6; }},
          {"a bad magic in batch 3",
           [](SegmentTest& t, auto& ends) { t.overwrite(ends[2] + 16, "\x01"); return 3; }},
          {"a huge length in batch 8",
           [](SegmentTest& t, auto& ends) { t.overwrite(ends[7] + 8, "\x7f\xff\xff\xff"); return 8; }},
          {"a negative length in batch 1",
           [](SegmentTest& t, auto& ends) { t.overwrite(8, "\xff\xff\xff\xf0"); return 0; }},
          {"offsets going backwards in batch 5",
           [](SegmentTest& t, auto& ends) {
             t.overwrite(ends[4], std::string("\0\0\0\0\0\0\0\x64", 8));
             return 5;
           }},
      };
  for (const auto& [name, damage] : cases) {
    SCOPED_TRACE(name);
    std::vector<int64_t> ends;
    {
      auto seg = create();
      ends = fill(*seg, 10);
    }
    int kept = damage(*this, ends);
    auto seg = reopen(true);
    auto truncated = seg->recover();
    ASSERT_TRUE(truncated.ok());
    int64_t expected_size = kept == 0 ? 0 : ends[size_t(kept - 1)];
    EXPECT_EQ(seg->size_bytes(), expected_size);
    EXPECT_EQ(int64_t(std::filesystem::file_size(log_path())), expected_size);
    EXPECT_EQ(seg->next_offset(), 100 + 5 * kept);
    // Appending after recovery works and reads back.
    fill(*seg, 1);
    auto b = seg->find_batch(100 + 5 * kept);
    ASSERT_TRUE(b.ok() && *b);
    EXPECT_EQ((*b)->base_offset, 100 + 5 * kept);
  }
}

TEST_F(SegmentTest, CorruptIndexIsOnlyAHint) {
  std::vector<int64_t> ends;
  {
    auto seg = create();
    ends = fill(*seg, 20);
    ASSERT_TRUE(seg->seal().ok());
  }
  // Point every index entry at position 1 (not a batch boundary).
  std::string idx = Segment::path_for(tmp_.path(), 100, ".index");
  size_t n = std::filesystem::file_size(idx) / 8;
  ASSERT_GT(n, 0u);
  {
    std::fstream f(idx, std::ios::binary | std::ios::in | std::ios::out);
    for (size_t i = 0; i < n; ++i) {
      f.seekp(std::streamoff(i * 8 + 4));
      f.write("\0\0\0\1", 4);
    }
  }
  auto seg = reopen(false);
  for (int64_t o = 100; o < 200; o += 13) {
    auto b = seg->find_batch(o);
    ASSERT_TRUE(b.ok() && *b) << o;
    EXPECT_EQ((*b)->base_offset, (o - 100) / 5 * 5 + 100);
  }
  EXPECT_EQ(*seg->batches_end_before(0, ends[10] + 3), ends[10]);
}

TEST_F(SegmentTest, ShouldRoll) {
  config_.segment_bytes = 1000;
  config_.segment_ms = 100;
  auto seg = create();
  EXPECT_FALSE(seg->should_roll(config_, 5000, 100, 1000, 0));  // empty: never
  fill(*seg, 1);
  int64_t size = seg->size_bytes();
  EXPECT_FALSE(seg->should_roll(config_, 1000 - size, 110, 1000, 0));
  EXPECT_TRUE(seg->should_roll(config_, 1000 - size + 1, 110, 1000, 0));
  // segment.ms by batch timestamps (first batch max timestamp 1004).
  EXPECT_FALSE(seg->should_roll(config_, 1, 110, 1104, 0));
  EXPECT_TRUE(seg->should_roll(config_, 1, 110, 1105, 0));
  // Relative offsets must fit an index entry.
  EXPECT_TRUE(seg->should_roll(config_, 1, 100 + (int64_t(1) << 31), 1000, 0));
}

}  // namespace
}  // namespace moldau::storage
