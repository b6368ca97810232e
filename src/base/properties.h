// A reader for Java .properties text, the format of Kafka's server.properties
// and meta.properties.
//
// Follows java.util.Properties.load: lines end at \n, \r or \r\n; blank lines
// and lines whose first non-blank character is '#' or '!' are skipped; a line
// ending in an odd number of backslashes continues on the next line (whose
// leading blanks are dropped); the key ends at the first unescaped '=', ':' or
// blank, and one '=' or ':' with blanks around it separates it from the
// value; the escapes \t \n \r \f and \uXXXX are decoded and a backslash before
// any other character stands for that character. Blanks are space, \t, \f.
//
// One difference: the bytes are taken as UTF-8 (Java's load(InputStream)
// reads ISO-8859-1); \uXXXX escapes, surrogate pairs included, are written
// out as UTF-8.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace moldau {

struct PropertyEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line where the entry starts
  friend bool operator==(const PropertyEntry&, const PropertyEntry&) = default;
};

// The entries in file order, duplicates included (later ones win when a
// caller builds a map, as in Java). INVALID_CONFIG naming the line for a
// malformed \u escape.
Result<std::vector<PropertyEntry>> parse_properties(std::string_view text);

// Reads and parses a file; KAFKA_STORAGE_ERROR when it cannot be read.
Result<std::vector<PropertyEntry>> read_properties_file(const std::string& path);

// Escapes a key or value so that parse_properties gives it back unchanged
// (for writing meta.properties and similar files).
std::string escape_property(std::string_view text, bool is_key);

}  // namespace moldau
