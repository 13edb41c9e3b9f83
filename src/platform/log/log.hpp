// Structured logs: one JSON object per line on stderr, with time, level, service, request and
// trace ids and a message. Never pass passwords, hashes or tokens in fields.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace ordo::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

// Ids that tie a line to a request; empty when the line is not about one.
struct Context {
  std::string_view request_id;
  std::string_view trace_id;
};

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level& out);
bool enabled(Level level);

void write(Level level, std::string_view service, std::string_view message,
           const boost::json::object& fields = {}, Context context = {});

inline void debug(std::string_view service, std::string_view message,
                  const boost::json::object& fields = {}, Context context = {}) {
  if (enabled(Level::debug))
    write(Level::debug, service, message, fields, context);
}
inline void info(std::string_view service, std::string_view message,
                 const boost::json::object& fields = {}, Context context = {}) {
  if (enabled(Level::info))
    write(Level::info, service, message, fields, context);
}
inline void warn(std::string_view service, std::string_view message,
                 const boost::json::object& fields = {}, Context context = {}) {
  if (enabled(Level::warn))
    write(Level::warn, service, message, fields, context);
}
inline void error(std::string_view service, std::string_view message,
                  const boost::json::object& fields = {}, Context context = {}) {
  if (enabled(Level::error))
    write(Level::error, service, message, fields, context);
}

}  // namespace ordo::log
