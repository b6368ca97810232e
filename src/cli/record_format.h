// The --format of `moldau consume`: kcat-like tokens over the parts of a
// record (docs/cli.md, "consume").
//
//   %k key        %K key length (-1 for a null key)
//   %v value      %V value length (-1 for a null value)
//   %h headers, as k1=v1,k2=v2 (a null header value prints as just k1)
//   %p partition  %o offset  %t timestamp (ms since the epoch)  %T topic
//   %% a percent sign;  \n \t \r \\ escapes
//
// A null key or value prints as nothing. Anything else after % or \ is an
// error, so a typo does not silently print garbage.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace moldau::cli {

struct HeaderView {
  std::string_view key;
  std::optional<std::string_view> value;
};

// The parts of one record the format can print.
struct RecordView {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::span<const HeaderView> headers;
};

class RecordFormat {
 public:
  // Parses the format string; errors say which token is wrong.
  static Result<RecordFormat> parse(std::string_view format);
  // Appends the record, formatted, to `out`.
  void render(const RecordView& record, std::string& out) const;

 private:
  enum class Kind : uint8_t {
    kLiteral, kKey, kValue, kHeaders, kPartition, kOffset, kTimestamp, kTopic, kKeyLength,
    kValueLength,
  };
  struct Token {
    Kind kind;
    std::string literal;
  };
  std::vector<Token> tokens_;
};

}  // namespace moldau::cli
