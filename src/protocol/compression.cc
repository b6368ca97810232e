// Codecs for record batches (docs/formats.md, "Codecs"). Every decoder writes
// into a BoundedOutput, which is the one place that enforces the output bound.
#include "protocol/compression.h"

#include <fmt/format.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <memory>

namespace moldau::protocol {
namespace {

Error corrupt(std::string message) { return Error{ErrorCode::kCorruptMessage, std::move(message)}; }

Error over_bound(std::string_view codec, size_t max) {
  return corrupt(fmt::format("{} data decompresses to more than the limit of {} bytes", codec, max));
}

// Output of a decoder, never larger than `max` bytes. The buffer grows
// geometrically, and each growth reserves an exact capacity so that the
// allocation itself stays within the bound.
class BoundedOutput {
 public:
  BoundedOutput(size_t max, size_t hint) : max_(max) { grow_to(std::min(max_, std::max<size_t>(hint, 256))); }

  size_t size() const { return used_; }
  bool full() const { return used_ == max_; }

  // Room to write into: free space in the buffer, grown if needed. Empty when
  // the bound is reached; a decoder then probes with probe() to tell "ended
  // exactly at the bound" from "went past it".
  std::span<uint8_t> space() {
    if (used_ == buf_.size() && buf_.size() < max_) {
      size_t next = buf_.size() < max_ / 2 ? buf_.size() * 2 : max_;
      grow_to(std::max(next, buf_.size() + 1));
    }
    return {buf_.data() + used_, buf_.size() - used_};
  }
  void commit(size_t n) {
    assert(n <= buf_.size() - used_);
    used_ += n;
  }
  // Ensures room for n more bytes (false if that passes the bound).
  bool reserve_more(size_t n) {
    if (n > max_ - used_) return false;
    if (used_ + n > buf_.size()) grow_to(std::max(used_ + n, std::min(max_, buf_.size() * 2)));
    return true;
  }
  uint8_t* tail() { return buf_.data() + used_; }
  // A one-byte scratch target for probing past the bound.
  std::span<uint8_t> probe() { return {&scratch_, 1}; }

  Bytes finish() && {
    buf_.resize(used_);
    return std::move(buf_);
  }

 private:
  void grow_to(size_t n) {
    buf_.reserve(n);  // exact: reserve never rounds up in libstdc++
    buf_.resize(n);
  }
  size_t max_;
  size_t used_ = 0;
  Bytes buf_;
  uint8_t scratch_ = 0;
};

// The first guess at the output size: compressed batches of small records
// usually expand 2-5x.
size_t output_hint(size_t input_size) { return input_size <= (SIZE_MAX / 4) ? input_size * 4 : SIZE_MAX; }

// ---------------------------------------------------------------- gzip

Status gzip_compress(ByteSpan in, Bytes& out, int level) {
  if (level == kDefaultCompressionLevel) level = Z_DEFAULT_COMPRESSION;
  if (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION)
    return Error{ErrorCode::kInvalidConfig, fmt::format("gzip level {} is not in [1, 9]", level)};
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper (RFC 1952) rather than zlib.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Error{ErrorCode::kUnknownServerError, "gzip: deflateInit2 failed"};
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, deflateEnd);
  size_t start = out.size();
  size_t bound = deflateBound(&zs, uLong(std::min<size_t>(in.size(), UINT32_MAX)));
  out.resize(start + bound + 32);
  zs.next_in = const_cast<Bytef*>(in.data());
  size_t in_left = in.size();
  size_t written = start;
  while (true) {
    uInt chunk = uInt(std::min<size_t>(in_left, UINT32_MAX));
    zs.avail_in = chunk;
    if (out.size() == written) out.resize(out.size() + out.size() / 2 + 64);
    zs.next_out = out.data() + written;
    zs.avail_out = uInt(std::min<size_t>(out.size() - written, UINT32_MAX));
    uInt avail_out_before = zs.avail_out;
    int flush = in_left == chunk ? Z_FINISH : Z_NO_FLUSH;
    int r = deflate(&zs, flush);
    in_left -= chunk - zs.avail_in;
    written += avail_out_before - zs.avail_out;
    if (r == Z_STREAM_END) break;
    if (r != Z_OK && r != Z_BUF_ERROR) {
      out.resize(start);
      return Error{ErrorCode::kUnknownServerError, fmt::format("gzip: deflate failed ({})", r)};
    }
  }
  out.resize(written);
  return {};
}

Result<Bytes> gzip_decompress(ByteSpan in, size_t max) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Error{ErrorCode::kUnknownServerError, "gzip: inflateInit2 failed"};
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  BoundedOutput out(max, output_hint(in.size()));
  const uint8_t* next = in.data();
  size_t in_left = in.size();
  while (true) {
    std::span<uint8_t> dst = out.space();
    bool probing = dst.empty();
    if (probing) dst = out.probe();
    uInt chunk = uInt(std::min<size_t>(in_left, UINT32_MAX));
    zs.next_in = const_cast<Bytef*>(next);
    zs.avail_in = chunk;
    zs.next_out = dst.data();
    zs.avail_out = uInt(std::min<size_t>(dst.size(), UINT32_MAX));
    uInt avail_out_before = zs.avail_out;
    int r = inflate(&zs, Z_NO_FLUSH);
    size_t consumed = chunk - zs.avail_in;
    size_t produced = avail_out_before - zs.avail_out;
    next += consumed;
    in_left -= consumed;
    if (probing && produced > 0) return over_bound("gzip", max);
    if (!probing) out.commit(produced);
    if (r == Z_STREAM_END) {
      if (in_left == 0) break;
      // Another gzip member follows (RFC 1952 allows concatenation).
      if (inflateReset(&zs) != Z_OK) return corrupt("gzip: cannot reset for the next member");
      continue;
    }
    if (r == Z_OK || r == Z_BUF_ERROR) {
      if (consumed == 0 && produced == 0)
        return corrupt(in_left == 0 ? "gzip data is truncated" : "gzip data makes no progress");
      continue;
    }
    return corrupt(fmt::format("gzip data is corrupt: {}", zs.msg ? zs.msg : "inflate failed"));
  }
  return std::move(out).finish();
}

// ---------------------------------------------------------------- snappy

Status snappy_compress(ByteSpan in, Bytes& out) {
  out.insert(out.end(), kXerialHeader.begin(), kXerialHeader.end());
  for (size_t pos = 0; pos < in.size(); pos += kXerialBlockSize) {
    size_t n = std::min(kXerialBlockSize, in.size() - pos);
    size_t at = out.size();
    out.resize(at + 4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(in.data() + pos), n,
                        reinterpret_cast<char*>(out.data() + at + 4), &written);
    store_be32(out.data() + at, uint32_t(written));
    out.resize(at + 4 + written);
  }
  return {};
}

// One raw snappy block appended to `out`.
Status snappy_block(const uint8_t* p, size_t n, BoundedOutput& out, size_t max) {
  size_t len = 0;
  if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(p), n, &len))
    return corrupt("snappy block has a bad length header");
  if (!out.reserve_more(len)) return over_bound("snappy", max);
  if (!snappy::RawUncompress(reinterpret_cast<const char*>(p), n, reinterpret_cast<char*>(out.tail())))
    return corrupt("snappy block is corrupt");
  out.commit(len);
  return {};
}

bool starts_with_xerial_magic(const uint8_t* p, size_t n) {
  return n >= 8 && std::memcmp(p, kXerialHeader.data(), 8) == 0;
}

Result<Bytes> snappy_decompress(ByteSpan in, size_t max) {
  BoundedOutput out(max, 0);
  const uint8_t* p = in.data();
  size_t left = in.size();
  if (!starts_with_xerial_magic(p, left)) {
    // Not xerial framed: one raw snappy block (what librdkafka produces).
    if (Status s = snappy_block(p, left, out, max); !s) return s.error();
    return std::move(out).finish();
  }
  while (left > 0) {
    // A header starts the stream and may recur where streams were concatenated.
    if (starts_with_xerial_magic(p, left)) {
      if (left < kXerialHeader.size()) return corrupt("snappy: truncated xerial header");
      p += kXerialHeader.size();
      left -= kXerialHeader.size();
      continue;
    }
    if (left < 4) return corrupt("snappy: truncated xerial block length");
    int32_t block = int32_t(load_be32(p));
    p += 4;
    left -= 4;
    if (block < 0 || size_t(block) > left)
      return corrupt(fmt::format("snappy: xerial block length {} with {} bytes left", block, left));
    if (Status s = snappy_block(p, size_t(block), out, max); !s) return s.error();
    p += block;
    left -= size_t(block);
  }
  return std::move(out).finish();
}

// ---------------------------------------------------------------- lz4

Status lz4_compress(ByteSpan in, Bytes& out, int level) {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof prefs);
  // 64 KiB independent blocks, no content checksum: what Kafka's own writer
  // emits, and what every Kafka reader accepts.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = level == kDefaultCompressionLevel ? 0 : level;
  size_t at = out.size();
  out.resize(at + LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n = LZ4F_compressFrame(out.data() + at, out.size() - at, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(at);
    return Error{ErrorCode::kUnknownServerError, fmt::format("lz4: {}", LZ4F_getErrorName(n))};
  }
  out.resize(at + n);
  return {};
}

struct Lz4Ctx {
  LZ4F_dctx* ctx = nullptr;
  Lz4Ctx() { (void)LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION); }
  ~Lz4Ctx() { LZ4F_freeDecompressionContext(ctx); }
};

Result<Bytes> lz4_decompress(ByteSpan in, size_t max) {
  Lz4Ctx dctx;
  if (dctx.ctx == nullptr) return Error{ErrorCode::kUnknownServerError, "lz4: cannot create a context"};
  BoundedOutput out(max, output_hint(in.size()));
  size_t pos = 0;
  while (true) {
    std::span<uint8_t> dst = out.space();
    bool probing = dst.empty();
    if (probing) dst = out.probe();
    size_t dst_size = dst.size();
    size_t src_size = in.size() - pos;
    size_t hint = LZ4F_decompress(dctx.ctx, dst.data(), &dst_size, in.data() + pos, &src_size, nullptr);
    if (LZ4F_isError(hint)) return corrupt(fmt::format("lz4 data is corrupt: {}", LZ4F_getErrorName(hint)));
    pos += src_size;
    if (probing && dst_size > 0) return over_bound("lz4", max);
    if (!probing) out.commit(dst_size);
    if (hint == 0 && pos == in.size()) break;  // a frame ended with all input used
    if (src_size == 0 && dst_size == 0)
      return corrupt(pos == in.size() ? "lz4 data is truncated" : "lz4 data makes no progress");
  }
  return std::move(out).finish();
}

// ---------------------------------------------------------------- zstd

struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};
// Contexts are reused per thread: creating one per batch costs more than
// compressing a small batch.
ZstdContexts& zstd_contexts() {
  thread_local ZstdContexts ctx;
  return ctx;
}
// A context that grew past this (a large window) is dropped after use, so a
// single odd batch does not pin its memory to the thread.
constexpr size_t kZstdContextKeepBytes = 16 << 20;
// The largest window a frame may ask for: zstd's own default limit (128 MiB),
// which is also what Kafka's Java decoder accepts, so every level a Kafka
// client can configure decodes. The window is address space: pages are only
// touched as output is written, so resident memory follows the output bound.
constexpr int kZstdWindowLogMax = 27;  // ZSTD_WINDOWLOG_LIMIT_DEFAULT (static-only API)

Status zstd_compress(ByteSpan in, Bytes& out, int level) {
  ZstdContexts& z = zstd_contexts();
  if (z.c == nullptr) return Error{ErrorCode::kUnknownServerError, "zstd: cannot create a context"};
  size_t at = out.size();
  out.resize(at + ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compressCCtx(z.c, out.data() + at, out.size() - at, in.data(), in.size(),
                               level == kDefaultCompressionLevel ? ZSTD_CLEVEL_DEFAULT : level);
  if (ZSTD_isError(n)) {
    out.resize(at);
    return Error{ErrorCode::kUnknownServerError, fmt::format("zstd: {}", ZSTD_getErrorName(n))};
  }
  out.resize(at + n);
  return {};
}

Result<Bytes> zstd_decompress_with(ZSTD_DCtx* d, ByteSpan in, size_t max) {
  ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
  ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, kZstdWindowLogMax);
  // A frame's content size is only a hint: the bound is enforced on output.
  unsigned long long claimed = ZSTD_getFrameContentSize(in.data(), in.size());
  size_t hint = output_hint(in.size());
  if (claimed != ZSTD_CONTENTSIZE_UNKNOWN && claimed != ZSTD_CONTENTSIZE_ERROR) {
    if (claimed > max) return over_bound("zstd", max);
    hint = size_t(claimed);
  }
  BoundedOutput out(max, hint);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  while (true) {
    std::span<uint8_t> dst = out.space();
    bool probing = dst.empty();
    if (probing) dst = out.probe();
    ZSTD_outBuffer o{dst.data(), dst.size(), 0};
    size_t before_in = src.pos;
    size_t r = ZSTD_decompressStream(d, &o, &src);
    if (ZSTD_isError(r)) return corrupt(fmt::format("zstd data is corrupt: {}", ZSTD_getErrorName(r)));
    if (probing && o.pos > 0) return over_bound("zstd", max);
    if (!probing) out.commit(o.pos);
    if (r == 0 && src.pos == src.size) break;  // a frame ended with all input used
    if (src.pos == before_in && o.pos == 0)
      return corrupt(src.pos == src.size ? "zstd data is truncated" : "zstd data makes no progress");
  }
  return std::move(out).finish();
}

Result<Bytes> zstd_decompress(ByteSpan in, size_t max) {
  ZstdContexts& z = zstd_contexts();
  if (z.d == nullptr) return Error{ErrorCode::kUnknownServerError, "zstd: cannot create a context"};
  Result<Bytes> r = zstd_decompress_with(z.d, in, max);
  if (ZSTD_sizeof_DCtx(z.d) > kZstdContextKeepBytes) {
    ZSTD_freeDCtx(z.d);
    z.d = ZSTD_createDCtx();
  }
  return r;
}

}  // namespace

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kSnappy: return "snappy";
    case Compression::kLz4: return "lz4";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

Status compress_append(Compression codec, ByteSpan input, Bytes& out, int level) {
  switch (codec) {
    case Compression::kNone: out.insert(out.end(), input.begin(), input.end()); return {};
    case Compression::kGzip: return gzip_compress(input, out, level);
    case Compression::kSnappy: return snappy_compress(input, out);
    case Compression::kLz4: return lz4_compress(input, out, level);
    case Compression::kZstd: return zstd_compress(input, out, level);
  }
  return Error{ErrorCode::kUnsupportedCompressionType, fmt::format("unknown compression codec {}", int(codec))};
}

Result<Bytes> compress(Compression codec, ByteSpan input, int level) {
  Bytes out;
  if (Status s = compress_append(codec, input, out, level); !s) return s.error();
  return out;
}

Result<Bytes> decompress(Compression codec, ByteSpan input, size_t max_output_bytes) {
  switch (codec) {
    case Compression::kNone:
      if (input.size() > max_output_bytes) return over_bound("uncompressed", max_output_bytes);
      return Bytes(input.begin(), input.end());
    case Compression::kGzip: return gzip_decompress(input, max_output_bytes);
    case Compression::kSnappy: return snappy_decompress(input, max_output_bytes);
    case Compression::kLz4: return lz4_decompress(input, max_output_bytes);
    case Compression::kZstd: return zstd_decompress(input, max_output_bytes);
  }
  return Error{ErrorCode::kUnsupportedCompressionType, fmt::format("unknown compression codec {}", int(codec))};
}

}  // namespace moldau::protocol
