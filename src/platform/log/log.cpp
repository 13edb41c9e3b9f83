// Hand-written rather than spdlog: a JSON line needs per-field escaping that spdlog's patterns do
// not give, and one locked fwrite per line is all the sink we need.
#include "platform/log/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

#include <boost/json/serialize.hpp>

#include "platform/core/time.hpp"

namespace ordo::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::mutex g_write_mutex;

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
    case Level::off:
      return "off";
  }
  return "info";
}
}  // namespace

void set_level(Level level) {
  g_level.store(static_cast<int>(level));
}
Level level() {
  return static_cast<Level>(g_level.load());
}
bool enabled(Level l) {
  return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed);
}

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view service, std::string_view message,
           const boost::json::object& fields, Context context) {
  boost::json::object line;
  line["time"] = core::rfc3339();
  line["level"] = level_name(level);
  line["service"] = service;
  if (!context.request_id.empty())
    line["requestId"] = context.request_id;
  if (!context.trace_id.empty())
    line["traceId"] = context.trace_id;
  line["message"] = message;
  for (const auto& field : fields)
    line[field.key()] = field.value();
  std::string text = boost::json::serialize(line);
  text.push_back('\n');
  std::lock_guard lock(g_write_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace ordo::log
