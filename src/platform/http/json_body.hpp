// Reading JSON request bodies: content type and syntax checks, then typed fields whose errors are
// collected and reported together as one 400 problem with a per-field list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "platform/http/message.hpp"
#include "platform/http/problem.hpp"

namespace ordo::http {

// 415 unless the content type is application/json (parameters allowed); 400 for malformed JSON
// or a body that is not an object.
boost::json::object parse_json_object(const Request& request);

class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& body) : body_(body) {}

  std::optional<std::string> required_string(std::string_view name, std::size_t min_length,
                                             std::size_t max_length);
  std::optional<std::string> optional_string(std::string_view name, std::size_t max_length);
  std::optional<std::int64_t> required_integer(std::string_view name, std::int64_t min,
                                               std::int64_t max);
  std::optional<std::int64_t> optional_integer(std::string_view name, std::int64_t min,
                                               std::int64_t max);
  std::optional<bool> optional_bool(std::string_view name);
  bool has(std::string_view name) const { return body_.contains(name); }

  void add_error(std::string field, std::string message);
  bool ok() const { return errors_.empty(); }
  // Throws a 400 validation problem listing every field error collected so far.
  void throw_if_invalid() const;

 private:
  const boost::json::value* find(std::string_view name) const;
  const boost::json::object& body_;
  std::vector<errors::FieldError> errors_;
};

}  // namespace ordo::http
