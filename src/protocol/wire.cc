#include "protocol/wire.h"

#include <algorithm>
#include <cstring>

namespace moldau::protocol {

bool operator==(const Records& a, const Records& b) {
  if (a.is_null != b.is_null) return false;
  if (a.is_null) return true;
  if ((a.file.fd >= 0) != (b.file.fd >= 0)) return false;
  if (a.file.fd >= 0) {
    return a.file.fd == b.file.fd && a.file.offset == b.file.offset &&
           a.file.length == b.file.length;
  }
  return a.bytes.size() == b.bytes.size() &&
         (a.bytes.empty() || std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) == 0);
}

namespace wire {
namespace {

// A compact length is uvarint N+1 (0 = null); a classic one is a signed int
// where -1 = null. Returns -1 for null, -2 for malformed.
int64_t read_len(ByteReader& r, bool compact, bool int16_len) {
  if (compact) {
    uint32_t v = r.uvarint();
    if (!r.ok()) return -2;
    return int64_t(v) - 1;
  }
  int64_t v = int16_len ? int64_t(r.i16()) : int64_t(r.i32());
  if (!r.ok() || v < -1) return -2;
  return v;
}

int64_t checked(ByteReader& r, int64_t n, size_t unit) {
  if (n == -2 || (n >= 0 && uint64_t(n) > r.remaining() / unit)) {
    r.fail();
    return 0;
  }
  return n;
}

void write_len(ByteWriter& w, bool compact, bool int16_len, int64_t n) {
  if (compact) {
    w.uvarint(uint32_t(n + 1));
  } else if (int16_len) {
    w.i16(int16_t(n));
  } else {
    w.i32(int32_t(n));
  }
}

}  // namespace

int64_t read_string_len(ByteReader& r, bool compact) {
  return checked(r, read_len(r, compact, true), 1);
}
int64_t read_bytes_len(ByteReader& r, bool compact) {
  return checked(r, read_len(r, compact, false), 1);
}
int64_t read_array_len(ByteReader& r, bool compact, size_t min_elem_bytes) {
  return checked(r, read_len(r, compact, false), std::max<size_t>(min_elem_bytes, 1));
}

void read_string(ByteReader& r, bool compact, std::string& out) {
  int64_t n = read_string_len(r, compact);
  if (n < 0) {
    r.fail();
    out.clear();
    return;
  }
  const uint8_t* p = r.take(size_t(n));
  if (p) out.assign(reinterpret_cast<const char*>(p), size_t(n));
}

void read_string(ByteReader& r, bool compact, bool nullable, std::optional<std::string>& out) {
  int64_t n = read_string_len(r, compact);
  if (n < 0) {
    if (!nullable) r.fail();
    out.reset();
    return;
  }
  const uint8_t* p = r.take(size_t(n));
  if (p) out.emplace(reinterpret_cast<const char*>(p), size_t(n));
}

void read_bytes(ByteReader& r, bool compact, Bytes& out) {
  int64_t n = read_bytes_len(r, compact);
  if (n < 0) {
    r.fail();
    out.clear();
    return;
  }
  const uint8_t* p = r.take(size_t(n));
  if (p) out.assign(p, p + n);
}

void read_bytes(ByteReader& r, bool compact, bool nullable, std::optional<Bytes>& out) {
  int64_t n = read_bytes_len(r, compact);
  if (n < 0) {
    if (!nullable) r.fail();
    out.reset();
    return;
  }
  const uint8_t* p = r.take(size_t(n));
  if (p) out.emplace(p, p + n);
}

void read_records(ByteReader& r, bool compact, bool nullable, Records& out) {
  out = Records::null();
  int64_t n = read_bytes_len(r, compact);
  if (n < 0) {
    if (!nullable) r.fail();
    return;
  }
  const uint8_t* p = r.take(size_t(n));
  if (p) out = Records::of(ByteSpan(p, size_t(n)));
}

Uuid read_uuid(ByteReader& r) {
  Uuid u;
  u.hi = uint64_t(r.i64());
  u.lo = uint64_t(r.i64());
  return u;
}

bool read_struct_present(ByteReader& r, bool nullable) {
  int8_t marker = r.i8();
  if (marker < 0 && !nullable) r.fail();
  return r.ok() && marker >= 0;
}

uint32_t read_tag_count(ByteReader& r) {
  uint32_t n = r.uvarint();
  if (!r.ok() || n > r.remaining() / 2) {
    r.fail();
    return 0;
  }
  return n;
}

void read_tag_header(ByteReader& r, uint32_t& tag, uint32_t& size) {
  tag = r.uvarint();
  size = r.uvarint();
  if (!r.ok() || size > r.remaining()) {
    r.fail();
    tag = size = 0;
  }
}

ByteReader sub_reader(ByteReader& r, uint32_t size) {
  const uint8_t* p = r.take(size);
  if (!p) {
    ByteReader failed;
    failed.fail();
    return failed;
  }
  return ByteReader(p, size);
}

void keep_unknown(ByteReader& r, uint32_t tag, uint32_t size, std::vector<TaggedField>& out) {
  const uint8_t* p = r.take(size);
  if (p) out.push_back(TaggedField{tag, Bytes(p, p + size)});
}

void write_string(ByteWriter& w, bool compact, std::string_view s) {
  if (!compact && s.size() > kMaxStringBytes) s = s.substr(0, kMaxStringBytes);
  write_len(w, compact, true, int64_t(s.size()));
  w.raw(s.data(), s.size());
}

void write_string(ByteWriter& w, bool compact, bool nullable,
                  const std::optional<std::string>& s) {
  if (!s) {
    write_len(w, compact, true, nullable ? -1 : 0);
    return;
  }
  write_string(w, compact, std::string_view(*s));
}

void write_bytes(ByteWriter& w, bool compact, ByteSpan b) {
  write_len(w, compact, false, int64_t(b.size()));
  w.raw(b);
}

void write_bytes(ByteWriter& w, bool compact, bool nullable, const std::optional<Bytes>& b) {
  if (!b) {
    write_len(w, compact, false, nullable ? -1 : 0);
    return;
  }
  write_bytes(w, compact, ByteSpan(*b));
}

void write_records(ByteWriter& w, bool compact, bool nullable, const Records& rec) {
  if (rec.is_null) {
    write_len(w, compact, false, nullable ? -1 : 0);
    return;
  }
  if (rec.file.fd >= 0) {
    write_len(w, compact, false, rec.file.length);
    w.file(rec.file);
    return;
  }
  write_len(w, compact, false, int64_t(rec.bytes.size()));
  if (rec.bytes.size() >= kBorrowRecordsBytes) {
    w.borrow(rec.bytes, rec.owner);
  } else {
    w.raw(rec.bytes);
  }
}

void write_uuid(ByteWriter& w, const Uuid& u) {
  w.i64(int64_t(u.hi));
  w.i64(int64_t(u.lo));
}

void write_array_len(ByteWriter& w, bool compact, size_t n) {
  write_len(w, compact, false, int64_t(n));
}

void write_null_array(ByteWriter& w, bool compact) { write_len(w, compact, false, -1); }

void write_unknown_tags(ByteWriter& w, const std::vector<TaggedField>& fields) {
  w.uvarint(uint32_t(fields.size()));
  for (const auto& f : fields) {
    w.uvarint(f.tag);
    w.uvarint(uint32_t(f.data.size()));
    w.raw(ByteSpan(f.data));
  }
}

void write_unknowns_below(ByteWriter& w, const std::vector<TaggedField>& fields, size_t& next,
                          uint64_t limit) {
  for (; next < fields.size() && fields[next].tag < limit; ++next) {
    w.uvarint(fields[next].tag);
    w.uvarint(uint32_t(fields[next].data.size()));
    w.raw(ByteSpan(fields[next].data));
  }
}

void write_tagged(ByteWriter& w, uint32_t tag, const ByteWriter& body) {
  w.uvarint(tag);
  w.uvarint(uint32_t(body.size()));
  if (body.has_external()) {
    w.raw(ByteSpan(body.flatten()));
  } else {
    w.raw(ByteSpan(body.buffer()));
  }
}

}  // namespace wire
}  // namespace moldau::protocol
