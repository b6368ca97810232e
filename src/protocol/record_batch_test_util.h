// Helpers shared by the record batch tests (record_batch_validate_test.cc,
// record_batch_build_test.cc): batches built by BatchBuilder, and records
// encoded by hand so that malformed ones can be made.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/crc32c.h"
#include "protocol/compression.h"
#include "protocol/record_batch.h"

namespace moldau::protocol::batch_test {

inline constexpr size_t kMax = 1 << 20;  // decompression bound used by the tests
inline constexpr Compression kAllCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                      Compression::kLz4, Compression::kZstd};

inline ByteSpan span_of(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
inline std::string str(std::optional<ByteSpan> b) { return b ? std::string(b->begin(), b->end()) : "<null>"; }

// n records: key "k<i>", a 100-byte value, timestamps 1000 + i.
inline Bytes make_batch(int n, Compression c = Compression::kNone, BatchOptions o = {}) {
  o.compression = c;
  BatchBuilder b(o);
  for (int i = 0; i < n; ++i) {
    std::string key = "k" + std::to_string(i);
    std::string value(100, char('a' + i % 26));
    b.add(span_of(key), span_of(value), 1000 + i);
  }
  return b.build().value();
}

inline BatchHeaderView header(const Bytes& b) { return BatchHeaderView(b.data()); }
inline void fix_crc(Bytes& b) { update_crc(b.data(), b.size()); }

// A record written field by field, so tests can break any one of them.
struct RawRecord {
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  int32_t key_length = 1;
  std::string key = "k";
  int32_t value_length = 1;
  std::string value = "v";
  Bytes headers = {0};          // encoded header count + headers
  std::optional<int32_t> length;  // overrides the computed body length
  Bytes trailing;                 // extra bytes inside the body
};

inline Bytes encode(const RawRecord& r) {
  ByteWriter body;
  body.i8(0);
  body.varlong(r.timestamp_delta);
  body.varint(r.offset_delta);
  body.varint(r.key_length);
  body.raw(span_of(r.key));
  body.varint(r.value_length);
  body.raw(span_of(r.value));
  body.raw(r.headers);
  body.raw(r.trailing);
  ByteWriter rec;
  rec.varint(r.length.value_or(int32_t(body.size())));
  rec.raw(body.buffer());
  return rec.buffer();
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A batch with a valid header and CRC around an arbitrary records section.
inline Bytes with_records(ByteSpan records, int32_t count, Compression c = Compression::kNone,
                   std::optional<int32_t> last_offset_delta = std::nullopt) {
  Bytes b = make_batch(1);
  b.resize(batch::kHeaderSize);
  if (c == Compression::kNone) {
    b.insert(b.end(), records.begin(), records.end());
  } else {
    EXPECT_TRUE(compress_append(c, records, b).ok());
  }
  store_be16(b.data() + batch::kAttributes, uint16_t(c));
  store_be32(b.data() + batch::kLength, uint32_t(b.size() - batch::kLogOverhead));
  store_be32(b.data() + batch::kRecordsCount, uint32_t(count));
  store_be32(b.data() + batch::kLastOffsetDelta, uint32_t(last_offset_delta.value_or(count - 1)));
  fix_crc(b);
  return b;
}

inline Bytes records_of(std::initializer_list<RawRecord> recs) {
  Bytes out;
  int32_t i = 0;
  for (RawRecord r : recs) {
    Bytes e = encode(r);
    out.insert(out.end(), e.begin(), e.end());
    ++i;
  }
  return out;
}

inline RawRecord rec(int32_t offset_delta) {
  RawRecord r;
  r.offset_delta = offset_delta;
  return r;
}

inline void expect_code(const Status& s, ErrorCode code, std::string_view fragment = {}) {
  ASSERT_FALSE(s.ok()) << "expected " << error_name(code);
  EXPECT_EQ(s.error().code, code) << s.error().message;
  if (!fragment.empty()) {
    EXPECT_NE(s.error().message.find(fragment), std::string::npos) << s.error().message;
  }
}

}  // namespace moldau::protocol::batch_test
