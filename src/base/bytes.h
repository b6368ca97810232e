// Bounds-checked readers and chunked writers for the Kafka wire format.
//
// ByteReader never trusts a length: every read checks the bytes that remain
// and, on a short buffer, sets a sticky failure flag and returns zeros, so a
// decoder can read a whole struct and check ok() once (ARCHITECTURE.md §5).
//
// ByteWriter builds a message as a list of chunks: bytes it owns, or regions of
// files (segment slices for zero-copy fetch responses). A connection writes
// memory chunks with writev and file chunks with sendfile or pread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/endian.h"

namespace moldau {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(ByteSpan data) : p_(data.data()), end_(data.data() + data.size()) {}
  ByteReader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}

  bool ok() const { return ok_; }
  void fail() {
    ok_ = false;
    p_ = end_;
  }
  size_t remaining() const { return size_t(end_ - p_); }
  const uint8_t* position() const { return p_; }

  // Returns a pointer to the next n bytes and advances, or nullptr (and fails).
  const uint8_t* take(size_t n) {
    if (!ok_ || n > remaining()) {
      fail();
      return nullptr;
    }
    const uint8_t* r = p_;
    p_ += n;
    return r;
  }
  bool skip(size_t n) { return take(n) != nullptr; }

  int8_t i8() { auto p = take(1); return p ? int8_t(*p) : 0; }
  uint8_t u8() { auto p = take(1); return p ? *p : 0; }
  int16_t i16() { auto p = take(2); return p ? int16_t(load_be16(p)) : 0; }
  uint16_t u16() { auto p = take(2); return p ? load_be16(p) : 0; }
  int32_t i32() { auto p = take(4); return p ? int32_t(load_be32(p)) : 0; }
  uint32_t u32() { auto p = take(4); return p ? load_be32(p) : 0; }
  int64_t i64() { auto p = take(8); return p ? int64_t(load_be64(p)) : 0; }
  double f64() {
    uint64_t v = uint64_t(i64());
    double d;
    std::memcpy(&d, &v, 8);
    return d;
  }
  bool boolean() { return u8() != 0; }

  // Unsigned LEB128 varint of at most 5 bytes (32 bits).
  uint32_t uvarint() {
    uint32_t v = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
      auto p = take(1);
      if (!p) return 0;
      v |= uint32_t(*p & 0x7f) << shift;
      if (!(*p & 0x80)) return v;
    }
    fail();
    return 0;
  }
  uint64_t uvarlong() {
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      auto p = take(1);
      if (!p) return 0;
      v |= uint64_t(*p & 0x7f) << shift;
      if (!(*p & 0x80)) return v;
    }
    fail();
    return 0;
  }
  // Zig-zag signed varints, as used inside records.
  int32_t varint() {
    uint32_t v = uvarint();
    return int32_t((v >> 1) ^ (~(v & 1) + 1));
  }
  int64_t varlong() {
    uint64_t v = uvarlong();
    return int64_t((v >> 1) ^ (~(v & 1) + 1));
  }

 private:
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  bool ok_ = true;
};

// A region of an open file, kept alive by `owner` (e.g. the segment).
struct FileRegion {
  int fd = -1;
  int64_t offset = 0;
  int64_t length = 0;
  std::shared_ptr<const void> owner;
};

class ByteWriter {
 public:
  // One piece of the message, in order: owned bytes [begin, end) of buffer(),
  // a file region, or borrowed memory kept alive by `owner`.
  struct Chunk {
    enum class Kind { kOwned, kFile, kBorrowed } kind = Kind::kOwned;
    size_t begin = 0, end = 0;             // kOwned
    FileRegion file;                       // kFile
    ByteSpan borrowed;                     // kBorrowed
    std::shared_ptr<const void> owner;     // kBorrowed
    size_t size() const {
      switch (kind) {
        case Kind::kOwned: return end - begin;
        case Kind::kFile: return size_t(file.length);
        case Kind::kBorrowed: return borrowed.size();
      }
      return 0;
    }
  };

  ByteWriter() { buf_.reserve(256); }

  // Total bytes of the message, external chunks included.
  size_t size() const { return total_; }
  // The owned bytes (the whole message when nothing external was added).
  Bytes& buffer() { return buf_; }
  const Bytes& buffer() const { return buf_; }
  bool has_external() const { return !external_.empty(); }

  void i8(int8_t v) { put1(uint8_t(v)); }
  void u8(uint8_t v) { put1(v); }
  void boolean(bool v) { put1(v ? 1 : 0); }
  void i16(int16_t v) { uint8_t b[2]; store_be16(b, uint16_t(v)); raw(b, 2); }
  void u16(uint16_t v) { uint8_t b[2]; store_be16(b, v); raw(b, 2); }
  void i32(int32_t v) { uint8_t b[4]; store_be32(b, uint32_t(v)); raw(b, 4); }
  void u32(uint32_t v) { uint8_t b[4]; store_be32(b, v); raw(b, 4); }
  void i64(int64_t v) { uint8_t b[8]; store_be64(b, uint64_t(v)); raw(b, 8); }
  void f64(double d) { uint64_t v; std::memcpy(&v, &d, 8); i64(int64_t(v)); }
  void uvarint(uint32_t v) {
    while (v >= 0x80) { put1(uint8_t(v | 0x80)); v >>= 7; }
    put1(uint8_t(v));
  }
  void uvarlong(uint64_t v) {
    while (v >= 0x80) { put1(uint8_t(v | 0x80)); v >>= 7; }
    put1(uint8_t(v));
  }
  void varint(int32_t v) { uvarint((uint32_t(v) << 1) ^ uint32_t(v >> 31)); }
  void varlong(int64_t v) { uvarlong((uint64_t(v) << 1) ^ uint64_t(v >> 63)); }
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
    total_ += n;
  }
  void raw(ByteSpan s) { raw(s.data(), s.size()); }

  // Reserves n owned bytes to be filled later (a length prefix); returns their
  // offset in buffer(). Only valid before any external chunk follows them
  // in a way that matters to the caller: offsets in buffer() never move.
  size_t reserve(size_t n) {
    size_t at = buf_.size();
    buf_.resize(at + n);
    total_ += n;
    return at;
  }

  // Appends a file region without copying it.
  void file(FileRegion r) {
    if (r.length <= 0) return;
    Chunk c;
    c.kind = Chunk::Kind::kFile;
    c.begin = c.end = buf_.size();
    total_ += size_t(r.length);
    c.file = std::move(r);
    external_.push_back(std::move(c));
  }
  // Appends external bytes without copying them; `owner` keeps them alive.
  void borrow(ByteSpan s, std::shared_ptr<const void> owner) {
    if (s.empty()) return;
    Chunk c;
    c.kind = Chunk::Kind::kBorrowed;
    c.begin = c.end = buf_.size();
    c.borrowed = s;
    c.owner = std::move(owner);
    total_ += s.size();
    external_.push_back(std::move(c));
  }

  // The message as an ordered list of chunks.
  std::vector<Chunk> chunks() const {
    std::vector<Chunk> all;
    size_t owned_from = 0;
    for (const auto& c : external_) {
      if (c.begin > owned_from) all.push_back(owned(owned_from, c.begin));
      all.push_back(c);
      owned_from = c.begin;
    }
    if (buf_.size() > owned_from) all.push_back(owned(owned_from, buf_.size()));
    return all;
  }

  // Copies the whole message (external chunks included) into one buffer:
  // for tests and for TLS, where zero copy does not apply.
  Bytes flatten() const;

 private:
  static Chunk owned(size_t b, size_t e) {
    Chunk c;
    c.begin = b;
    c.end = e;
    return c;
  }
  void put1(uint8_t v) {
    buf_.push_back(v);
    ++total_;
  }

  Bytes buf_;
  std::vector<Chunk> external_;  // each positioned at buf_ offset `begin`
  size_t total_ = 0;
};

}  // namespace moldau
