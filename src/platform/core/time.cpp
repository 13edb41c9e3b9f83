#include "platform/core/time.hpp"

#include <cstdio>

namespace ordo::core {
namespace {
using std::chrono::days;
using std::chrono::milliseconds;

// Reads `count` ASCII digits at text[pos]; nullopt when any is not a digit or text is too short.
std::optional<int> read_digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool is_char(std::string_view text, std::size_t pos, char lower, char upper) {
  return pos < text.size() && (text[pos] == lower || text[pos] == upper);
}

// Parses the fraction after the seconds (pos just past '.'); returns milliseconds, truncating
// digits beyond the third, and advances pos.
std::optional<int> read_fraction(std::string_view text, std::size_t& pos) {
  constexpr std::size_t kMaxDigits = 9;  // nanoseconds; anything longer is not a timestamp
  int millis = 0;
  std::size_t digits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (digits < 3) {
      millis = millis * 10 + (text[pos] - '0');
    }
    ++digits;
    ++pos;
  }
  if (digits == 0 || digits > kMaxDigits) {
    return std::nullopt;
  }
  for (std::size_t i = digits; i < 3; ++i) {
    millis *= 10;
  }
  return millis;
}

// The zone designator: 'Z' or ±hh:mm; returns the offset east of UTC in minutes.
std::optional<int> read_offset(std::string_view text, std::size_t pos) {
  if (is_char(text, pos, 'z', 'Z')) {
    return pos + 1 == text.size() ? std::optional<int>(0) : std::nullopt;
  }
  if (pos + 6 != text.size() || (text[pos] != '+' && text[pos] != '-') || text[pos + 3] != ':') {
    return std::nullopt;
  }
  const auto hours = read_digits(text, pos + 1, 2);
  const auto minutes = read_digits(text, pos + 4, 2);
  if (!hours || !minutes || *hours > 23 || *minutes > 59) {
    return std::nullopt;
  }
  const int offset = *hours * 60 + *minutes;
  return text[pos] == '-' ? -offset : offset;
}
}  // namespace

std::int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t unix_millis(Clock::time_point t) {
  return std::chrono::floor<milliseconds>(t.time_since_epoch()).count();
}

std::string rfc3339(Clock::time_point t) {
  return rfc3339_from_millis(unix_millis(t));
}

std::string rfc3339_from_millis(std::int64_t millis) {
  // Calendar arithmetic with chrono rather than gmtime: no time_t range limits, no locale, and
  // floor() keeps instants before 1970 on the right day.
  const std::chrono::sys_time<milliseconds> point{milliseconds{millis}};
  const auto day = std::chrono::floor<days>(point);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{point - day};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<int>(time.subseconds().count()));
  return buffer;
}

std::optional<std::int64_t> millis_from_rfc3339(std::string_view text) {
  // Layout: YYYY-MM-DDTHH:MM:SS[.fff...](Z|±hh:mm); RFC 3339 allows 't' and 'z' in lower case.
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || !is_char(text, 10, 't', 'T') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto year = read_digits(text, 0, 4);
  const auto month = read_digits(text, 5, 2);
  const auto day = read_digits(text, 8, 2);
  const auto hour = read_digits(text, 11, 2);
  const auto minute = read_digits(text, 14, 2);
  const auto second = read_digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) {
    return std::nullopt;
  }
  // Leap seconds (60) are rejected: nothing we store or compare can represent them.
  if (*hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const auto fraction = read_fraction(text, pos);
    if (!fraction) {
      return std::nullopt;
    }
    millis = *fraction;
  }
  const auto offset_minutes = read_offset(text, pos);
  if (!offset_minutes) {
    return std::nullopt;
  }
  const std::int64_t day_count = std::chrono::sys_days{date}.time_since_epoch().count();
  const std::int64_t seconds =
      day_count * 86400 + *hour * 3600 + *minute * 60 + *second - *offset_minutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace ordo::core
