// Test helpers: building magic-2 record batches (uncompressed) and temp dirs.
// Test-only; the production batch builder lives in protocol/.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/crc32c.h"
#include "protocol/record_batch.h"

namespace moldau::storage::testing {

// A batch of `count` records with `value_bytes`-byte values; timestamps
// base_timestamp + i. BaseOffset 0 (the log assigns it).
inline Bytes make_batch(int count, size_t value_bytes = 10, int64_t base_timestamp = 1000) {
  ByteWriter records;
  for (int i = 0; i < count; ++i) {
    ByteWriter rec;
    rec.i8(0);                 // attributes
    rec.varlong(i);            // timestamp delta
    rec.varint(i);             // offset delta
    rec.varint(-1);            // null key
    rec.varint(int32_t(value_bytes));
    for (size_t j = 0; j < value_bytes; ++j) rec.u8(uint8_t('a' + (i + j) % 26));
    rec.uvarint(0);            // headers
    records.varint(int32_t(rec.size()));
    records.raw(rec.buffer());
  }
  ByteWriter w;
  w.i64(0);                                  // base offset
  w.i32(0);                                  // length, patched
  w.i32(-1);                                 // partition leader epoch
  w.i8(2);                                   // magic
  w.u32(0);                                  // crc, patched
  w.i16(0);                                  // attributes
  w.i32(count - 1);                          // last offset delta
  w.i64(base_timestamp);
  w.i64(base_timestamp + count - 1);         // max timestamp
  w.i64(-1);                                 // producer id
  w.i16(-1);                                 // producer epoch
  w.i32(-1);                                 // base sequence
  w.i32(count);
  w.raw(records.buffer());
  Bytes b = w.buffer();
  store_be32(b.data() + protocol::batch::kLength, uint32_t(b.size() - 12));
  uint32_t crc = crc32c_extend(0, b.data() + protocol::batch::kCrcStart,
                               b.size() - protocol::batch::kCrcStart);
  store_be32(b.data() + protocol::batch::kCrc, crc);
  return b;
}

// A fresh directory under /tmp, removed on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/moldau-storage-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace moldau::storage::testing
