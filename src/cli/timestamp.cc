#include "cli/timestamp.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>

namespace moldau::cli {

namespace {

// Reads exactly `n` digits at text[pos].
bool digits(std::string_view text, size_t& pos, size_t n, int& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool literal(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

Error bad(std::string_view text) {
  return Error{ErrorCode::kInvalidRequest,
               fmt::format("--from-time '{}': want ms since the epoch or ISO-8601, e.g. "
                           "2024-05-01T12:00:00Z, 2024-05-01T14:00:00+02:00 or 2024-05-01 "
                           "(local time)",
                           text)};
}

}  // namespace

Result<int64_t> parse_timestamp_ms(std::string_view text) {
  if (text.empty()) return bad(text);
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 15) return bad(text);  // past the year 33658: a typo
    return int64_t(std::stoll(std::string(text)));
  }
  size_t pos = 0;
  std::tm tm{};
  int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
  if (!digits(text, pos, 4, year) || !literal(text, pos, '-') || !digits(text, pos, 2, month) ||
      !literal(text, pos, '-') || !digits(text, pos, 2, day))
    return bad(text);
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    if (!digits(text, pos, 2, hour) || !literal(text, pos, ':') || !digits(text, pos, 2, minute))
      return bad(text);
    if (literal(text, pos, ':')) {
      if (!digits(text, pos, 2, second)) return bad(text);
      if (literal(text, pos, '.') || literal(text, pos, ',')) {
        // Up to nanoseconds; only milliseconds count.
        size_t start = pos;
        int scale = 100;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          millis += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start || pos - start > 9) return bad(text);
      }
    }
  }
  bool has_zone = false;
  int zone_minutes = 0;
  if (literal(text, pos, 'Z') || literal(text, pos, 'z')) {
    has_zone = true;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int zh, zm = 0;
    if (!digits(text, pos, 2, zh)) return bad(text);
    literal(text, pos, ':');
    if (pos < text.size() && !digits(text, pos, 2, zm)) return bad(text);
    if (zh > 23 || zm > 59) return bad(text);
    has_zone = true;
    zone_minutes = sign * (zh * 60 + zm);
  }
  if (pos != text.size()) return bad(text);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return bad(text);
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  time_t secs = has_zone ? timegm(&tm) : mktime(&tm);
  if (secs == time_t(-1) && !(year == 1969 && month == 12 && day == 31)) return bad(text);
  // timegm/mktime normalise 2024-02-31 to March: refuse dates that moved.
  if (tm.tm_mday != day || tm.tm_mon != month - 1) return bad(text);
  return int64_t(secs - zone_minutes * 60) * 1000 + millis;
}

}  // namespace moldau::cli
