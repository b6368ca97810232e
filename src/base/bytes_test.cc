#include "base/bytes.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace moldau {
namespace {

TEST(Bytes, FixedWidthRoundTrip) {
  ByteWriter w;
  w.i8(-3);
  w.i16(-300);
  w.i32(-70000);
  w.i64(std::numeric_limits<int64_t>::min());
  w.u32(0xdeadbeef);
  w.f64(2.5);
  w.boolean(true);
  ByteReader r(w.buffer());
  EXPECT_EQ(r.i8(), -3);
  EXPECT_EQ(r.i16(), -300);
  EXPECT_EQ(r.i32(), -70000);
  EXPECT_EQ(r.i64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
  EXPECT_EQ(r.f64(), 2.5);
  EXPECT_TRUE(r.boolean());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Bytes, VarintsRoundTripAndZigZag) {
  for (int64_t v : {int64_t(0), int64_t(-1), int64_t(1), int64_t(63), int64_t(-64), int64_t(64),
                    int64_t(1) << 40, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    ByteWriter w;
    w.varlong(v);
    ByteReader r(w.buffer());
    EXPECT_EQ(r.varlong(), v);
    EXPECT_TRUE(r.ok());
  }
  ByteWriter w;
  w.varint(-1);
  EXPECT_EQ(w.buffer(), Bytes{1});  // zig-zag: -1 -> 1
  ByteWriter w2;
  w2.uvarint(300);
  EXPECT_EQ(w2.buffer(), (Bytes{0xac, 0x02}));
}

TEST(Bytes, ShortReadFailsStickyAndReturnsZero) {
  Bytes b{0x00, 0x01, 0x02};
  ByteReader r(b);
  EXPECT_EQ(r.i32(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.i8(), 0);  // stays failed even though bytes were left
  EXPECT_FALSE(r.ok());
}

TEST(Bytes, OverlongVarintFails) {
  Bytes b(6, 0xff);
  ByteReader r(b);
  r.uvarint();
  EXPECT_FALSE(r.ok());
}

TEST(Bytes, ChunksInterleaveOwnedBorrowedAndFile) {
  char path[] = "/tmp/moldau_bytes_testXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "hello file", 10), 10);
  static const uint8_t ext[] = {'X', 'Y'};
  ByteWriter w;
  w.raw("ab", 2);
  w.file(FileRegion{fd, 6, 4, nullptr});
  w.raw("cd", 2);
  w.borrow(ByteSpan(ext, 2), nullptr);
  EXPECT_EQ(w.size(), 10u);
  auto chunks = w.chunks();
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[1].kind, ByteWriter::Chunk::Kind::kFile);
  Bytes flat = w.flatten();
  EXPECT_EQ(std::string(flat.begin(), flat.end()), "abfilecdXY");
  close(fd);
  unlink(path);
}

}  // namespace
}  // namespace moldau
