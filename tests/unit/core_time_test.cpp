#include <gtest/gtest.h>

#include "platform/core/time.hpp"

namespace ordo::core {
namespace {

TEST(Time, UnixClockConversions) {
  const Clock::time_point t{std::chrono::milliseconds{1'700'000'000'123}};
  EXPECT_EQ(unix_seconds(t), 1'700'000'000);
  EXPECT_EQ(unix_millis(t), 1'700'000'000'123);
  // Before the epoch, seconds round down, not toward zero.
  const Clock::time_point before{std::chrono::milliseconds{-1}};
  EXPECT_EQ(unix_seconds(before), -1);
  EXPECT_EQ(unix_millis(before), -1);
}

TEST(Time, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(rfc3339_from_millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_from_millis(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(rfc3339_from_millis(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(rfc3339_from_millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339(Clock::time_point{std::chrono::milliseconds{1'700'000'000'123}}),
            "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(rfc3339().size(), 24u);
}

TEST(Time, RoundTripsThroughText) {
  for (std::int64_t ms : {0LL, 1LL, 999LL, 1'700'000'000'123LL, 951'782'400'000LL,
                          4'102'444'799'999LL, -86'400'001LL}) {
    EXPECT_EQ(millis_from_rfc3339(rfc3339_from_millis(ms)), ms) << ms;
  }
  const std::int64_t now = unix_millis();
  EXPECT_EQ(millis_from_rfc3339(rfc3339_from_millis(now)), now);
}

TEST(Time, ParsesOffsetsAndFractions) {
  EXPECT_EQ(millis_from_rfc3339("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(millis_from_rfc3339("2023-11-14t22:13:20z"), 1'700'000'000'000);
  EXPECT_EQ(millis_from_rfc3339("2023-11-14T22:13:20.1Z"), 1'700'000'000'100);
  EXPECT_EQ(millis_from_rfc3339("2023-11-14T22:13:20.123456789Z"), 1'700'000'000'123);
  EXPECT_EQ(millis_from_rfc3339("2023-11-15T00:13:20.123+02:00"), 1'700'000'000'123);
  EXPECT_EQ(millis_from_rfc3339("2023-11-14T17:43:20-04:30"), 1'700'000'000'000);
  EXPECT_EQ(millis_from_rfc3339("2023-11-14T22:13:20+00:00"), 1'700'000'000'000);
  EXPECT_EQ(millis_from_rfc3339("2024-02-29T00:00:00Z"), 1'709'164'800'000);
}

TEST(Time, RejectsInvalidText) {
  for (const char* text : {
           "",
           "2023-11-14",
           "2023-11-14T22:13:20",              // no zone
           "2023-11-14 22:13:20Z",             // space instead of T
           "2023-11-14T22:13Z",                // no seconds
           "2023-13-14T22:13:20Z",             // month 13
           "2023-00-14T22:13:20Z",             // month 0
           "2023-02-29T22:13:20Z",             // not a leap year
           "2023-04-31T22:13:20Z",             // April has 30 days
           "2023-11-00T22:13:20Z",             // day 0
           "2023-11-14T24:00:00Z",             // hour 24
           "2023-11-14T22:60:00Z",             // minute 60
           "2023-11-14T22:13:60Z",             // leap second
           "2023-11-14T22:13:20.Z",            // empty fraction
           "2023-11-14T22:13:20.1234567890Z",  // absurd precision
           "2023-11-14T22:13:20+2:00",         // short offset
           "2023-11-14T22:13:20+02",           // offset without minutes
           "2023-11-14T22:13:20+0200",         // offset without colon
           "2023-11-14T22:13:20+24:00",        // offset hour out of range
           "2023-11-14T22:13:20Zjunk",         // trailing garbage
           "2023-11-14T22:13:20ZZ",
           "+2023-11-14T22:13:20Z",
           "2023-1a-14T22:13:20Z",
           "20231114T221320Z",
       }) {
    EXPECT_EQ(millis_from_rfc3339(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace ordo::core
