// Building blocks of the generated Kafka message codec (docs/protocol.md).
//
// Generated decode()/encode() functions call these for every variable-length
// value. Readers follow ByteReader's contract: on malformed input they fail
// the reader (sticky) and return an empty value, so a decoder can read on and
// check ok() once. No length or count from the input is trusted: each one is
// checked against the bytes that remain before anything is allocated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "protocol/records.h"
#include "protocol/uuid.h"

namespace moldau::protocol {

// A tagged field this code does not know (or not in this version): kept as
// raw bytes so that it survives a decode/encode round trip.
struct TaggedField {
  uint32_t tag = 0;
  Bytes data;
  bool operator==(const TaggedField&) const = default;
};

// Records compare by content (and null-ness); file regions by fd/offset/length.
bool operator==(const Records& a, const Records& b);

namespace wire {

// A non-compact STRING has an int16 length.
inline constexpr size_t kMaxStringBytes = 32767;
// Records at least this large are borrowed by the writer instead of copied.
inline constexpr size_t kBorrowRecordsBytes = 4096;

// ---- reading ----------------------------------------------------------------

// Length prefix of a string (int16, or uvarint N+1 when compact). Returns -1
// for null, else a length that fits in r.remaining(); fails r on anything else.
int64_t read_string_len(ByteReader& r, bool compact);
// Length prefix of bytes/records (int32, or uvarint N+1 when compact).
int64_t read_bytes_len(ByteReader& r, bool compact);
// Count prefix of an array (int32, or uvarint N+1). Returns -1 for null, else
// a count with count * max(min_elem_bytes, 1) <= r.remaining(); fails r on
// anything else. min_elem_bytes is the smallest encoding of one element.
int64_t read_array_len(ByteReader& r, bool compact, size_t min_elem_bytes);

// Non-nullable readers: a null on the wire fails r.
void read_string(ByteReader& r, bool compact, std::string& out);
void read_bytes(ByteReader& r, bool compact, Bytes& out);
// Nullable readers: a null is accepted only when nullable (the field is
// nullable in this version), otherwise it fails r.
void read_string(ByteReader& r, bool compact, bool nullable, std::optional<std::string>& out);
void read_bytes(ByteReader& r, bool compact, bool nullable, std::optional<Bytes>& out);
// Borrows the bytes from the reader's buffer: no copy (records.h).
void read_records(ByteReader& r, bool compact, bool nullable, Records& out);
Uuid read_uuid(ByteReader& r);
// Nullable struct marker (int8: negative = null). Returns true when present.
bool read_struct_present(ByteReader& r, bool nullable);

// Tagged-field section: the count (each field takes at least 2 bytes).
uint32_t read_tag_count(ByteReader& r);
// One field header; size is checked against r.remaining().
void read_tag_header(ByteReader& r, uint32_t& tag, uint32_t& size);
// A reader over the next `size` bytes of r (r advances past them).
ByteReader sub_reader(ByteReader& r, uint32_t size);
// Keeps an unknown field's next `size` bytes.
void keep_unknown(ByteReader& r, uint32_t tag, uint32_t size, std::vector<TaggedField>& out);

// ---- writing ----------------------------------------------------------------

// Strings longer than kMaxStringBytes in a non-compact version are truncated
// (the wire cannot carry them; docs/protocol.md).
void write_string(ByteWriter& w, bool compact, std::string_view s);
// Nullable writers: a null is written as null when `nullable` (the field is
// nullable in this version), otherwise as an empty value.
void write_string(ByteWriter& w, bool compact, bool nullable, const std::optional<std::string>& s);
void write_bytes(ByteWriter& w, bool compact, ByteSpan b);
void write_bytes(ByteWriter& w, bool compact, bool nullable, const std::optional<Bytes>& b);
// File regions are appended as file chunks, buffers of kBorrowRecordsBytes or
// more are borrowed (rec.owner keeps them alive), small ones copied.
void write_records(ByteWriter& w, bool compact, bool nullable, const Records& rec);
void write_uuid(ByteWriter& w, const Uuid& u);
void write_array_len(ByteWriter& w, bool compact, size_t n);
void write_null_array(ByteWriter& w, bool compact);

// The whole tagged section for a struct without known tagged fields in this version.
void write_unknown_tags(ByteWriter& w, const std::vector<TaggedField>& fields);
// Writes unknown fields from index `next` on while their tag is below `limit`;
// interleaves them with known fields in tag order.
void write_unknowns_below(ByteWriter& w, const std::vector<TaggedField>& fields, size_t& next,
                          uint64_t limit);
// One known tagged field whose value was encoded into `body`.
void write_tagged(ByteWriter& w, uint32_t tag, const ByteWriter& body);

}  // namespace wire
}  // namespace moldau::protocol
