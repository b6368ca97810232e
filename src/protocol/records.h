// The value of a Kafka "records" field: a nullable run of record batches.
//
// Decoded requests borrow the bytes from the request frame (no copy); fetch
// responses point at a region of a segment file so a plaintext connection can
// send it with sendfile (ARCHITECTURE.md §1).
#pragma once

#include <memory>

#include "base/bytes.h"

namespace moldau::protocol {

struct Records {
  bool is_null = true;
  ByteSpan bytes;                      // in-memory batches, used when file.fd < 0
  FileRegion file;                     // or a region of an open segment file
  std::shared_ptr<const void> owner;   // keeps `bytes` alive when not from the frame

  static Records null() { return {}; }
  static Records of(ByteSpan b, std::shared_ptr<const void> keep = nullptr) {
    Records r;
    r.is_null = false;
    r.bytes = b;
    r.owner = std::move(keep);
    return r;
  }
  static Records of_file(FileRegion f) {
    Records r;
    r.is_null = false;
    r.file = std::move(f);
    return r;
  }
  size_t size() const { return file.fd >= 0 ? size_t(file.length) : bytes.size(); }
  // Mutable view of borrowed frame bytes, for the produce path, which assigns
  // offsets in place. Only valid for records decoded from a request frame that
  // the caller owns.
  std::span<uint8_t> mutable_bytes() const {
    return {const_cast<uint8_t*>(bytes.data()), bytes.size()};
  }
};

}  // namespace moldau::protocol
