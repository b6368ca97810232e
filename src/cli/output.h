// Output for people (aligned tables) and for scripts (JSON).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/ids.h"

namespace moldau::cli {

enum class OutputFormat { kTable, kJson };

// Columns left-aligned and separated by two spaces; the last column is not
// padded. Widths count UTF-8 code points, so names in any script line up as
// long as their characters are single-width.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// 1234567 -> "1,234,567"
std::string group_digits(int64_t v);
// Bytes for people, binary units: "512 B", "1.5 KiB", "3.8 MiB", "2.0 GiB".
std::string format_bytes(int64_t bytes);
// Sorted ids as ranges: {0,1,2,5,7,8} -> "0-2,5,7-8"; "-" for none.
std::string id_ranges(std::vector<int32_t> ids);

// Code points in a UTF-8 string (continuation bytes are not counted).
size_t display_width(std::string_view s);

// `s` as a JSON string literal, quotes included. Control characters are
// escaped; bytes that are not valid UTF-8 become U+FFFD, so the output is
// always valid JSON whatever a record holds.
std::string json_quote(std::string_view s);

// A JSON value built in memory; objects keep their keys in insertion order.
class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() : v_(nullptr) {}
  Json(std::nullptr_t) : v_(nullptr) {}
  Json(bool b) : v_(b) {}
  Json(int v) : v_(int64_t(v)) {}
  Json(int64_t v) : v_(v) {}
  // Offsets, partition and node ids (base/ids.h) are written as numbers.
  template <typename Tag, typename Rep>
  Json(StrongInt<Tag, Rep> v) : v_(int64_t(v.value())) {}
  Json(unsigned v) : v_(int64_t(v)) {}
  Json(uint64_t v) : v_(int64_t(v)) {}
  Json(double v) : v_(v) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(std::string s) : v_(std::move(s)) {}
  Json(std::string_view s) : v_(std::string(s)) {}
  Json(Array a) : v_(std::move(a)) {}
  Json(Object o) : v_(std::move(o)) {}

  static Json array() { return Json(Array{}); }
  static Json object() { return Json(Object{}); }

  // Appends to an array / sets a key of an object (REQUIRES: the right kind).
  Json& push(Json v);
  Json& set(std::string key, Json v);

  // Compact (one line) when indent < 0, else pretty with `indent` spaces.
  std::string dump(int indent = 2) const;

 private:
  void dump_to(std::string& out, int indent, int depth) const;
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> v_;
};

}  // namespace moldau::cli
