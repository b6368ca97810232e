#include "protocol/compression.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zstd.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <string>

// GCC pairs the replaced operator delete below with the library's operator
// new and warns; both are replaced here, so they match.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Records the largest single allocation made through operator new while
// g_track_allocations is set: the decompression bound is about allocation,
// not only about the size of the result.
static std::atomic<bool> g_track_allocations{false};
static std::atomic<size_t> g_largest_allocation{0};

void* operator new(size_t n) {
  if (g_track_allocations.load(std::memory_order_relaxed)) {
    size_t seen = g_largest_allocation.load();
    while (n > seen && !g_largest_allocation.compare_exchange_weak(seen, n)) {
    }
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace moldau::protocol {
namespace {

constexpr Compression kCodecs[] = {Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                                   Compression::kZstd};

Bytes of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Half text-like (compressible), half random, so codecs see both kinds.
Bytes sample(size_t n, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Bytes b(n);
  static constexpr std::string_view kWords = "kafka moldau record batch offset partition ";
  for (size_t i = 0; i < n; ++i) b[i] = (i / 4096) % 2 ? uint8_t(rng()) : uint8_t(kWords[(i * 7 + rng() % 3) % kWords.size()]);
  return b;
}

class Codec : public ::testing::TestWithParam<Compression> {};

TEST_P(Codec, RoundTripEmptySmallAndTenMegabytes) {
  for (size_t n : {size_t(0), size_t(1), size_t(5), size_t(100), size_t(70000), size_t(10 << 20)}) {
    Bytes in = sample(n, uint32_t(n));
    Result<Bytes> c = compress(GetParam(), in);
    ASSERT_TRUE(c.ok()) << c.error().message;
    Result<Bytes> d = decompress(GetParam(), *c, 16 << 20);
    ASSERT_TRUE(d.ok()) << n << ": " << d.error().message;
    EXPECT_EQ(*d, in) << "size " << n;
  }
}

TEST_P(Codec, CompressesRepetitiveData) {
  Bytes in(1 << 20, 'x');
  Result<Bytes> c = compress(GetParam(), in);
  ASSERT_TRUE(c.ok());
  EXPECT_LT(c->size(), in.size() / 10);
}

TEST_P(Codec, BoundIsExactAndInclusive) {
  Bytes in = sample(100000);
  Bytes c = compress(GetParam(), in).value();
  Result<Bytes> exact = decompress(GetParam(), c, in.size());
  ASSERT_TRUE(exact.ok()) << exact.error().message;
  EXPECT_EQ(*exact, in);
  Result<Bytes> under = decompress(GetParam(), c, in.size() - 1);
  ASSERT_FALSE(under.ok());
  EXPECT_EQ(under.error().code, ErrorCode::kCorruptMessage);
  EXPECT_NE(under.error().message.find("limit"), std::string::npos) << under.error().message;
  Result<Bytes> zero = decompress(GetParam(), c, 0);
  EXPECT_FALSE(zero.ok());
}

TEST_P(Codec, DecompressionBombStopsAtTheBound) {
  // 256 MiB of zeros compresses to a few hundred KiB at most.
  Bytes zeros(256 << 20, 0);
  Bytes bomb = compress(GetParam(), zeros).value();
  zeros = Bytes();
  ASSERT_LT(bomb.size(), size_t(16 << 20));
  Result<Bytes> d = decompress(GetParam(), bomb, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
}

TEST_P(Codec, DecompressionBombAllocatesNoMoreThanTheBound) {
  Bytes zeros(64 << 20, 0);
  Bytes bomb = compress(GetParam(), zeros).value();
  zeros = Bytes();
  constexpr size_t kBound = 3 << 20;  // not a power of two: growth must clamp
  g_largest_allocation = 0;
  g_track_allocations = true;
  Result<Bytes> d = decompress(GetParam(), bomb, kBound);
  g_track_allocations = false;
  EXPECT_FALSE(d.ok());
  EXPECT_GT(g_largest_allocation.load(), size_t(0));
  EXPECT_LE(g_largest_allocation.load(), kBound);
}

TEST_P(Codec, GarbageFailsCleanly) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    Bytes junk(rng() % 300);
    for (auto& b : junk) b = uint8_t(rng());
    Result<Bytes> d = decompress(GetParam(), junk, 1 << 20);
    if (d.ok()) {
      EXPECT_LE(d->size(), size_t(1 << 20));  // snappy has no checksum
    } else {
      EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
    }
  }
}

TEST_P(Codec, TruncatedInputFails) {
  Bytes in = sample(50000);
  Bytes c = compress(GetParam(), in).value();
  for (size_t cut : {size_t(0), size_t(1), c.size() / 2, c.size() - 1}) {
    Result<Bytes> d = decompress(GetParam(), ByteSpan(c.data(), cut), 1 << 20);
    ASSERT_FALSE(d.ok()) << "cut at " << cut;
    EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
  }
}

TEST_P(Codec, FlippedBytesNeverCrashOrOverrun) {
  Bytes in = sample(20000);
  Bytes c = compress(GetParam(), in).value();
  std::mt19937 rng(3);
  for (int round = 0; round < 300; ++round) {
    Bytes bad = c;
    bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
    Result<Bytes> d = decompress(GetParam(), bad, 30000);
    if (d.ok()) {
      EXPECT_LE(d->size(), size_t(30000));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, Codec, ::testing::ValuesIn(kCodecs),
                         [](const auto& info) { return std::string(compression_name(info.param)); });

TEST(Compression, NoneCopiesAndIsBounded) {
  Bytes in = of("plain");
  EXPECT_EQ(compress(Compression::kNone, in).value(), in);
  EXPECT_EQ(decompress(Compression::kNone, in, 5).value(), in);
  EXPECT_FALSE(decompress(Compression::kNone, in, 4).ok());
}

TEST(Compression, UnknownCodecIsUnsupported) {
  Bytes in = of("x");
  Result<Bytes> d = decompress(Compression(5), in, 100);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnsupportedCompressionType);
  EXPECT_FALSE(compress(Compression(7), in).ok());
}

TEST(Compression, Names) {
  EXPECT_EQ(compression_name(Compression::kNone), "none");
  EXPECT_EQ(compression_name(Compression::kZstd), "zstd");
}

// ---- gzip

// A gzip member holding "hello" in a stored (uncompressed) deflate block,
// written from RFC 1951/1952: header, BFINAL+stored, LEN/NLEN, data, CRC-32,
// ISIZE (both little-endian).
const Bytes kGzipHello = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff,     // header
                          0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o',  // stored block
                          0x86, 0xa6, 0x10, 0x36, 0x05, 0x00, 0x00, 0x00};    // crc32, isize

TEST(Gzip, DecodesAHandWrittenMember) {
  Result<Bytes> d = decompress(Compression::kGzip, kGzipHello, 100);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, of("hello"));
}

TEST(Gzip, DecodesConcatenatedMembers) {
  Bytes two = kGzipHello;
  two.insert(two.end(), kGzipHello.begin(), kGzipHello.end());
  EXPECT_EQ(decompress(Compression::kGzip, two, 100).value(), of("hellohello"));
}

TEST(Gzip, BadChecksumFails) {
  Bytes bad = kGzipHello;
  bad[20] ^= 1;
  Result<Bytes> d = decompress(Compression::kGzip, bad, 100);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
}

TEST(Gzip, WritesTheGzipWrapperAndHonoursLevels) {
  Bytes c = compress(Compression::kGzip, of("hello")).value();
  ASSERT_GE(c.size(), 3u);
  EXPECT_EQ(c[0], 0x1f);
  EXPECT_EQ(c[1], 0x8b);
  EXPECT_EQ(c[2], 0x08);
  Bytes in = sample(200000);
  size_t fast = compress(Compression::kGzip, in, 1).value().size();
  size_t best = compress(Compression::kGzip, in, 9).value().size();
  EXPECT_LE(best, fast);
  Result<Bytes> bad = compress(Compression::kGzip, in, 12);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidConfig);
}

TEST(Gzip, TrailingGarbageFails) {
  Bytes bad = kGzipHello;
  bad.push_back(0x00);
  EXPECT_FALSE(decompress(Compression::kGzip, bad, 100).ok());
}

// ---- snappy

// Raw snappy for "hello": varint length 5, then one literal tag ((5-1) << 2).
const Bytes kSnappyRawHello = {0x05, 0x10, 'h', 'e', 'l', 'l', 'o'};

TEST(Snappy, EmptyInputIsTheXerialHeaderAlone) {
  Bytes c = compress(Compression::kSnappy, {}).value();
  EXPECT_EQ(c, Bytes(kXerialHeader.begin(), kXerialHeader.end()));
  EXPECT_EQ(c, (Bytes{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_TRUE(decompress(Compression::kSnappy, c, 0).value().empty());
}

TEST(Snappy, DecodesAHandWrittenXerialStream) {
  Bytes s(kXerialHeader.begin(), kXerialHeader.end());
  s.insert(s.end(), {0, 0, 0, 7});
  s.insert(s.end(), kSnappyRawHello.begin(), kSnappyRawHello.end());
  EXPECT_EQ(decompress(Compression::kSnappy, s, 5).value(), of("hello"));
  EXPECT_FALSE(decompress(Compression::kSnappy, s, 4).ok());
}

TEST(Snappy, AcceptsARawBlockAsKafkaDoes) {
  EXPECT_EQ(decompress(Compression::kSnappy, kSnappyRawHello, 100).value(), of("hello"));
  Bytes in = sample(100000);
  std::string raw;
  snappy::Compress(reinterpret_cast<const char*>(in.data()), in.size(), &raw);
  Bytes rawb(raw.begin(), raw.end());
  EXPECT_EQ(decompress(Compression::kSnappy, rawb, 1 << 20).value(), in);
}

TEST(Snappy, RawBlockClaimingTooMuchFailsBeforeAllocating) {
  // Varint length 0xffffffff then nothing: the claim alone exceeds the bound.
  Bytes liar = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
  Result<Bytes> d = decompress(Compression::kSnappy, liar, 1 << 20);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
}

TEST(Snappy, WritesXerialBlocksOfThirtyTwoKibibytes) {
  Bytes in = sample(100000);
  Bytes c = compress(Compression::kSnappy, in).value();
  ASSERT_TRUE(std::equal(kXerialHeader.begin(), kXerialHeader.end(), c.begin()));
  size_t pos = kXerialHeader.size(), blocks = 0;
  while (pos < c.size()) {
    uint32_t len = load_be32(c.data() + pos);
    size_t n = 0;
    ASSERT_TRUE(snappy::GetUncompressedLength(reinterpret_cast<const char*>(c.data() + pos + 4), len, &n));
    EXPECT_LE(n, kXerialBlockSize);
    pos += 4 + len;
    ++blocks;
  }
  EXPECT_EQ(pos, c.size());
  EXPECT_EQ(blocks, (in.size() + kXerialBlockSize - 1) / kXerialBlockSize);
}

TEST(Snappy, ConcatenatedXerialStreamsAndBadBlockLengths) {
  Bytes a = compress(Compression::kSnappy, of("abc")).value();
  Bytes b = compress(Compression::kSnappy, of("def")).value();
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_EQ(decompress(Compression::kSnappy, a, 100).value(), of("abcdef"));

  Bytes s(kXerialHeader.begin(), kXerialHeader.end());
  s.insert(s.end(), {0x80, 0, 0, 0});  // negative block length
  EXPECT_FALSE(decompress(Compression::kSnappy, s, 100).ok());
  s.resize(kXerialHeader.size());
  s.insert(s.end(), {0, 0, 0, 50, 1, 2});  // block runs past the end
  EXPECT_FALSE(decompress(Compression::kSnappy, s, 100).ok());
  s.resize(10);  // header cut short
  EXPECT_FALSE(decompress(Compression::kSnappy, s, 100).ok());
}

// ---- lz4

TEST(Lz4, WritesAFrameWithIndependent64KiBBlocks) {
  Bytes c = compress(Compression::kLz4, of("hello hello hello")).value();
  ASSERT_GE(c.size(), 7u);
  EXPECT_EQ(load_be32(c.data()), 0x04224D18u);  // magic 0x184D2204, little-endian
  uint8_t flg = c[4], bd = c[5];
  EXPECT_EQ(flg >> 6, 1);           // version 01
  EXPECT_TRUE(flg & 0x20);          // block independence
  EXPECT_EQ((bd >> 4) & 7, 4);      // 64 KiB max block size
}

// Frames as the various clients may write them: linked blocks, checksums,
// content size, large blocks, high-compression levels.
TEST(Lz4, AcceptsEveryFrameVariant) {
  Bytes in = sample(300000);
  for (int variant = 0; variant < 6; ++variant) {
    LZ4F_preferences_t prefs{};
    switch (variant) {
      case 0: break;
      case 1: prefs.frameInfo.blockMode = LZ4F_blockLinked; break;
      case 2: prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled; break;
      case 3: prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled; break;
      case 4: prefs.frameInfo.contentSize = in.size(); break;
      case 5: prefs.frameInfo.blockSizeID = LZ4F_max4MB; prefs.compressionLevel = 9; break;
    }
    Bytes c(LZ4F_compressFrameBound(in.size(), &prefs));
    size_t n = LZ4F_compressFrame(c.data(), c.size(), in.data(), in.size(), &prefs);
    ASSERT_FALSE(LZ4F_isError(n));
    c.resize(n);
    Result<Bytes> d = decompress(Compression::kLz4, c, in.size());
    ASSERT_TRUE(d.ok()) << "variant " << variant << ": " << d.error().message;
    EXPECT_EQ(*d, in) << "variant " << variant;
    if (variant == 2) {
      c[c.size() - 1] ^= 0xff;  // break the content checksum
      EXPECT_FALSE(decompress(Compression::kLz4, c, in.size()).ok());
    }
  }
}

TEST(Lz4, ConcatenatedFramesDecodeInOrder) {
  Bytes a = compress(Compression::kLz4, of("first ")).value();
  Bytes b = compress(Compression::kLz4, of("second")).value();
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_EQ(decompress(Compression::kLz4, a, 100).value(), of("first second"));
}

TEST(Lz4, RawBlockIsNotAFrame) {
  Bytes raw = {0x50, 'h', 'e', 'l', 'l', 'o'};  // an LZ4 block, no frame
  EXPECT_FALSE(decompress(Compression::kLz4, raw, 100).ok());
}

// ---- zstd

// Frames written from RFC 8878: magic, frame header descriptor, then one raw
// block (header 3 bytes little-endian: last=1, type=raw, size=5).
const Bytes kZstdHelloWithSize = {0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05,  // single segment, FCS=5
                                  0x29, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
const Bytes kZstdHelloNoSize = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00,  // window 1 KiB, no FCS
                                0x29, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};

TEST(Zstd, DecodesHandWrittenFramesWithAndWithoutContentSize) {
  EXPECT_EQ(decompress(Compression::kZstd, kZstdHelloWithSize, 5).value(), of("hello"));
  EXPECT_EQ(decompress(Compression::kZstd, kZstdHelloNoSize, 5).value(), of("hello"));
  EXPECT_FALSE(decompress(Compression::kZstd, kZstdHelloNoSize, 4).ok());
}

TEST(Zstd, StreamedFrameWithoutContentSize) {
  Bytes in = sample(1 << 20);
  ZSTD_CCtx* c = ZSTD_createCCtx();
  Bytes out(ZSTD_compressBound(in.size()) + 64);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{out.data(), out.size(), 0};
  // Feeding input before ending the frame is what a stream writer (Kafka's
  // Java client) does: the frame then has no content size.
  ASSERT_FALSE(ZSTD_isError(ZSTD_compressStream2(c, &dst, &src, ZSTD_e_continue)));
  size_t left = ZSTD_compressStream2(c, &dst, &src, ZSTD_e_end);
  ZSTD_freeCCtx(c);
  ASSERT_EQ(left, 0u);
  out.resize(dst.pos);
  EXPECT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  EXPECT_EQ(decompress(Compression::kZstd, out, in.size()).value(), in);
  EXPECT_FALSE(decompress(Compression::kZstd, out, in.size() - 1).ok());
}

TEST(Zstd, ContentSizeBeyondTheBoundFailsEarly) {
  Bytes in(100000, 'z');
  Bytes c = compress(Compression::kZstd, in).value();
  Result<Bytes> d = decompress(Compression::kZstd, c, 1000);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
}

TEST(Zstd, WindowsUpToKafkasLimitDecodeLargerOnesAreRefused) {
  // Window descriptor = (windowLog - 10) << 3: 27 is zstd's default limit
  // (and Kafka's), 30 would ask the decoder for 1 GiB.
  Bytes frame = kZstdHelloNoSize;
  frame[5] = (27 - 10) << 3;
  EXPECT_EQ(decompress(Compression::kZstd, frame, 100).value(), of("hello"));
  frame[5] = (30 - 10) << 3;
  Result<Bytes> d = decompress(Compression::kZstd, frame, 100);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kCorruptMessage);
}

TEST(Zstd, ConcatenatedFramesAndTrailingGarbage) {
  Bytes two = kZstdHelloWithSize;
  two.insert(two.end(), kZstdHelloNoSize.begin(), kZstdHelloNoSize.end());
  EXPECT_EQ(decompress(Compression::kZstd, two, 100).value(), of("hellohello"));
  Bytes bad = kZstdHelloWithSize;
  bad.push_back(0x01);
  EXPECT_FALSE(decompress(Compression::kZstd, bad, 100).ok());
}

}  // namespace
}  // namespace moldau::protocol
