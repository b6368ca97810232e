#include "base/properties.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace moldau {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// A logical line: natural lines joined at continuations, escapes still in.
struct LogicalLine {
  std::string text;
  int line = 0;
};

// Splits text into logical lines, dropping blank and comment lines.
std::vector<LogicalLine> logical_lines(std::string_view text) {
  std::vector<LogicalLine> out;
  size_t pos = 0;
  int line_no = 0;
  bool continuing = false;
  LogicalLine current;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    std::string_view natural = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
    if (end == std::string_view::npos) {
      pos = text.size();
    } else {
      pos = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
    }
    ++line_no;
    size_t first = 0;
    while (first < natural.size() && is_blank(natural[first])) ++first;
    natural.remove_prefix(first);
    if (!continuing) {
      if (natural.empty() || natural[0] == '#' || natural[0] == '!') continue;
      current = LogicalLine{"", line_no};
    }
    size_t backslashes = 0;
    while (backslashes < natural.size() && natural[natural.size() - 1 - backslashes] == '\\') {
      ++backslashes;
    }
    continuing = backslashes % 2 == 1;
    if (continuing) natural.remove_suffix(1);
    current.text.append(natural);
    if (!continuing) out.push_back(std::move(current));
  }
  // A continuation at the very end of the input ends the line, as in Java.
  if (continuing) out.push_back(std::move(current));
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xc0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += char(0xe0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  } else {
    out += char(0xf0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3f));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the escapes of s[from, to) into out. Returns an error message or "".
std::string unescape(std::string_view s, std::string& out) {
  uint32_t pending_high = 0;  // a high surrogate waiting for its low half
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 == s.size()) {
      // A lone trailing backslash was a continuation marker already removed;
      // Java keeps nothing for it either.
      if (c == '\\') break;
      if (pending_high) return "a \\u escape of a high surrogate is not followed by its low surrogate";
      out += c;
      continue;
    }
    c = s[++i];
    if (c == 'u') {
      if (i + 4 >= s.size()) {
        return "malformed \\uXXXX escape (needs four hex digits)";
      }
      uint32_t cp = 0;
      for (int k = 1; k <= 4; ++k) {
        int h = hex_value(s[i + size_t(k)]);
        if (h < 0) return "malformed \\uXXXX escape (needs four hex digits)";
        cp = cp << 4 | uint32_t(h);
      }
      i += 4;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (pending_high) return "two high surrogates in a row in \\u escapes";
        pending_high = cp;
        continue;
      }
      if (cp >= 0xdc00 && cp <= 0xdfff) {
        if (!pending_high) return "a \\u escape of a low surrogate without its high surrogate";
        cp = 0x10000 + ((pending_high - 0xd800) << 10) + (cp - 0xdc00);
        pending_high = 0;
      } else if (pending_high) {
        return "a \\u escape of a high surrogate is not followed by its low surrogate";
      }
      append_utf8(out, cp);
      continue;
    }
    if (pending_high) return "a \\u escape of a high surrogate is not followed by its low surrogate";
    switch (c) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      default: out += c; break;
    }
  }
  if (pending_high) return "a \\u escape of a high surrogate is not followed by its low surrogate";
  return "";
}

}  // namespace

Result<std::vector<PropertyEntry>> parse_properties(std::string_view text) {
  std::vector<PropertyEntry> entries;
  for (const LogicalLine& l : logical_lines(text)) {
    std::string_view s = l.text;
    // The key runs to the first unescaped separator or blank.
    size_t key_end = 0;
    bool escaped = false;
    for (; key_end < s.size(); ++key_end) {
      char c = s[key_end];
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '=' || c == ':' || is_blank(c)) {
        break;
      }
    }
    size_t value_start = key_end;
    while (value_start < s.size() && is_blank(s[value_start])) ++value_start;
    if (value_start < s.size() && (s[value_start] == '=' || s[value_start] == ':')) {
      ++value_start;
      while (value_start < s.size() && is_blank(s[value_start])) ++value_start;
    }
    PropertyEntry e;
    e.line = l.line;
    std::string problem = unescape(s.substr(0, key_end), e.key);
    if (problem.empty()) problem = unescape(s.substr(value_start), e.value);
    if (!problem.empty()) {
      return Error{ErrorCode::kInvalidConfig, fmt::format("line {}: {}", l.line, problem)};
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

Result<std::vector<PropertyEntry>> read_properties_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorCode::kKafkaStorageError,
                 fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return Error{ErrorCode::kKafkaStorageError, fmt::format("cannot read {}", path)};
  }
  auto parsed = parse_properties(buf.str());
  if (!parsed) return Error{parsed.error().code, fmt::format("{}: {}", path, parsed.error().message)};
  return parsed;
}

std::string escape_property(std::string_view text, bool is_key) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\f': out += "\\f"; break;
      case '=': case ':': case '#': case '!':
        out += '\\';
        out += c;
        break;
      case ' ':
        // Blanks end a key, and leading blanks of a value are dropped.
        if (is_key || i == 0) out += '\\';
        out += ' ';
        break;
      default: out += c; break;
    }
  }
  return out;
}

}  // namespace moldau
