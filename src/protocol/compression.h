// The four codecs of Kafka record batches, with Kafka's framings
// (docs/formats.md, "Codecs"):
//
//   gzip    RFC 1952 gzip members (zlib); concatenated members are accepted.
//   snappy  xerial framing: a 16-byte header (kXerialHeader) then blocks, each
//           a big-endian int32 length and one raw snappy block. A buffer that
//           does not start with the header is read as one raw snappy block,
//           which is what librdkafka writes.
//   lz4     the LZ4 frame format (not raw LZ4 blocks).
//   zstd    zstd frames, decoded as a stream so a frame without a content
//           size decodes too.
//
// Decompression never trusts a length from its input: the output is bounded
// by `max_output_bytes`, and going past it fails with kCorruptMessage before
// more than that bound is allocated (a decompression bomb costs at most the
// bound).
#pragma once

#include <array>
#include <climits>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "protocol/record_batch.h"

namespace moldau::protocol {

// Asks for the codec's own default level: gzip 6, lz4 0 (the fast
// compressor), zstd 3. Snappy has no levels.
constexpr int kDefaultCompressionLevel = INT_MIN;

// The xerial snappy stream header: magic "\x82SNAPPY\0", then version 1 and
// minimum compatible version 1, both big-endian int32.
constexpr std::array<uint8_t, 16> kXerialHeader = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
                                                   0, 0, 0, 1, 0, 0, 0, 1};
// Uncompressed bytes per xerial block when we compress (xerial's default).
constexpr size_t kXerialBlockSize = 32 * 1024;

// Kafka's lower-case name ("none", "gzip", "snappy", "lz4", "zstd").
std::string_view compression_name(Compression c);

// Appends the compressed form of `input` to `out`.
Status compress_append(Compression codec, ByteSpan input, Bytes& out,
                       int level = kDefaultCompressionLevel);

// Returns the compressed form of `input`.
Result<Bytes> compress(Compression codec, ByteSpan input, int level = kDefaultCompressionLevel);

// Returns the decompressed form of `input`, at most `max_output_bytes` long.
// Fails with kCorruptMessage on malformed input or output past the bound, and
// with kUnsupportedCompressionType on an unknown codec.
Result<Bytes> decompress(Compression codec, ByteSpan input, size_t max_output_bytes);

}  // namespace moldau::protocol
