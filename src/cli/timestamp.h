// --from-time values: milliseconds since the epoch, or ISO-8601 as people
// write it (docs/cli.md, "consume").
#pragma once

#include <cstdint>
#include <string_view>

#include "base/error.h"

namespace moldau::cli {

// Accepts
//   1714564800000                     ms since 1970-01-01T00:00:00Z
//   2024-05-01                        midnight, local time
//   2024-05-01T12:00[:00[.123]]       local time ('T' or ' ' between)
//   ...Z, ...+02:00, ...-0530         with a zone
// Errors say what was expected.
Result<int64_t> parse_timestamp_ms(std::string_view text);

}  // namespace moldau::cli
