// Wall-clock time as the API shows it: RFC 3339 UTC with milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ordo::core {

using Clock = std::chrono::system_clock;
std::int64_t unix_seconds(Clock::time_point t = Clock::now());
std::int64_t unix_millis(Clock::time_point t = Clock::now());
std::string rfc3339(Clock::time_point t = Clock::now());  // "2026-11-25T15:27:26.123Z"
std::string rfc3339_from_millis(std::int64_t millis);
std::optional<std::int64_t> millis_from_rfc3339(std::string_view text);

}  // namespace ordo::core
