#include "cli/record_format.h"

#include <fmt/format.h>

namespace moldau::cli {

Result<RecordFormat> RecordFormat::parse(std::string_view format) {
  RecordFormat f;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) f.tokens_.push_back({Kind::kLiteral, std::move(literal)});
    literal.clear();
  };
  auto token = [&](Kind k) {
    flush();
    f.tokens_.push_back({k, {}});
  };
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%' && c != '\\') {
      literal += c;
      continue;
    }
    if (i + 1 == format.size())
      return Error{ErrorCode::kInvalidRequest,
                   fmt::format("--format ends with a lone '{}' (write {}{} for the character)", c,
                               c, c)};
    char n = format[++i];
    if (c == '\\') {
      switch (n) {
        case 'n': literal += '\n'; break;
        case 't': literal += '\t'; break;
        case 'r': literal += '\r'; break;
        case '\\': literal += '\\'; break;
        default:
          return Error{ErrorCode::kInvalidRequest,
                       fmt::format("--format has an unknown escape \\{} (known: \\n \\t \\r \\\\)",
                                   n)};
      }
      continue;
    }
    switch (n) {
      case '%': literal += '%'; break;
      case 'k': token(Kind::kKey); break;
      case 'v': token(Kind::kValue); break;
      case 'h': token(Kind::kHeaders); break;
      case 'p': token(Kind::kPartition); break;
      case 'o': token(Kind::kOffset); break;
      case 't': token(Kind::kTimestamp); break;
      case 'T': token(Kind::kTopic); break;
      case 'K': token(Kind::kKeyLength); break;
      case 'V': token(Kind::kValueLength); break;
      default:
        return Error{ErrorCode::kInvalidRequest,
                     fmt::format("--format has an unknown token %{} (known: %k %v %h %p %o %t %T "
                                 "%K %V %%)",
                                 n)};
    }
  }
  flush();
  return f;
}

namespace {

void append_number(std::string& out, int64_t v) { fmt::format_to(std::back_inserter(out), "{}", v); }

}  // namespace

void RecordFormat::render(const RecordView& r, std::string& out) const {
  for (const auto& t : tokens_) {
    switch (t.kind) {
      case Kind::kLiteral: out += t.literal; break;
      case Kind::kKey: if (r.key) out += *r.key; break;
      case Kind::kValue: if (r.value) out += *r.value; break;
      case Kind::kHeaders:
        for (size_t i = 0; i < r.headers.size(); ++i) {
          if (i) out += ',';
          out += r.headers[i].key;
          if (r.headers[i].value) {
            out += '=';
            out += *r.headers[i].value;
          }
        }
        break;
      case Kind::kPartition: append_number(out, r.partition); break;
      case Kind::kOffset: append_number(out, r.offset); break;
      case Kind::kTimestamp: append_number(out, r.timestamp); break;
      case Kind::kTopic: out += r.topic; break;
      case Kind::kKeyLength: append_number(out, r.key ? int64_t(r.key->size()) : -1); break;
      case Kind::kValueLength: append_number(out, r.value ? int64_t(r.value->size()) : -1); break;
    }
  }
}

}  // namespace moldau::cli
