#include "cli/timestamp.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace moldau::cli {
namespace {

int64_t ms(std::string_view s) {
  auto r = parse_timestamp_ms(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : -1;
}

// 2024-05-01T12:00:00Z: 19844 days after 1970-01-01 (54 years with 13 leap
// days = 19723 days, plus 121 days of 2024 before May 1st), 12 hours in.
constexpr int64_t kMay1Noon = (19844LL * 86400 + 12 * 3600) * 1000;

TEST(Timestamp, MillisecondsPassThrough) {
  EXPECT_EQ(ms("0"), 0);
  EXPECT_EQ(ms("1714564800000"), 1714564800000);
}

TEST(Timestamp, Iso8601WithZones) {
  EXPECT_EQ(kMay1Noon, 1714564800000);
  EXPECT_EQ(ms("2024-05-01T12:00:00Z"), kMay1Noon);
  EXPECT_EQ(ms("2024-05-01T12:00Z"), kMay1Noon);
  EXPECT_EQ(ms("2024-05-01 12:00:00z"), kMay1Noon);
  EXPECT_EQ(ms("2024-05-01T12:00:00.250Z"), kMay1Noon + 250);
  EXPECT_EQ(ms("2024-05-01T12:00:00.123456789Z"), kMay1Noon + 123);
  EXPECT_EQ(ms("2024-05-01T14:00:00+02:00"), kMay1Noon);
  EXPECT_EQ(ms("2024-05-01T06:30:00-0530"), kMay1Noon);
  EXPECT_EQ(ms("2024-05-01T14:00:00+02"), kMay1Noon);
}

TEST(Timestamp, WithoutAZoneIsLocalTime) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC-3", 1);  // POSIX sign: three hours east of UTC
  tzset();
  EXPECT_EQ(ms("2024-05-01T15:00:00"), kMay1Noon);
  EXPECT_EQ(ms("2024-05-01"), kMay1Noon - 15 * 3600 * 1000);
  if (old) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
}

TEST(Timestamp, MistakesAreRefused) {
  for (const char* bad : {"", "yesterday", "2024-5-1", "2024-05-01T", "2024-05-01T12",
                          "2024-13-01", "2024-02-30", "2024-05-01T25:00Z", "2024-05-01T12:00:00+",
                          "2024-05-01T12:00:00.Z", "12:00", "-5", "99999999999999999999"}) {
    auto r = parse_timestamp_ms(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find("ISO-8601"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace moldau::cli
