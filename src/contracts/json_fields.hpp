// Reading and writing the fields of contract JSON documents (internal to src/contracts). Readers
// throw std::exception on a missing field or a wrong type: callers treat that as a bad document.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace ordo::contracts::fields {

inline std::string text(const boost::json::object& o, std::string_view key) {
  return std::string(o.at(key).as_string());
}

inline std::int64_t integer(const boost::json::object& o, std::string_view key) {
  return o.at(key).to_number<std::int64_t>();
}

inline std::optional<std::string> optional_text(const boost::json::object& o,
                                                std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null())
    return std::nullopt;
  return std::string(it->value().as_string());
}

inline boost::json::value nullable(const std::optional<std::string>& value) {
  if (value)
    return boost::json::value(*value);
  return nullptr;
}

}  // namespace ordo::contracts::fields
