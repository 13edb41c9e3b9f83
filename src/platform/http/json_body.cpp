#include "platform/http/json_body.hpp"

#include <boost/json/parse.hpp>

#include "platform/core/encoding.hpp"
#include "platform/core/json_numbers.hpp"

namespace ordo::http {
namespace {

bool is_json_content_type(std::string_view value) {
  auto semicolon = value.find(';');
  std::string_view media = value.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  if (media.size() != 16)
    return false;
  constexpr std::string_view kJson = "application/json";
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != kJson[i])
      return false;
  }
  return true;
}

}  // namespace

boost::json::object parse_json_object(const Request& request) {
  auto content_type = request.headers.get("Content-Type");
  if (!content_type || !is_json_content_type(*content_type)) {
    errors::raise(errors::unsupported_media_type("the request body must be application/json"));
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec)
    errors::raise(errors::bad_request("the request body is not valid JSON: " + ec.message()));
  if (!value.is_object())
    errors::raise(errors::bad_request("the request body must be a JSON object"));
  // Parts of a body are stored as JSON text (product attributes): it must be writable back.
  if (!core::all_numbers_finite(value))
    errors::raise(errors::bad_request("the request body holds a number out of range"));
  return std::move(value.as_object());
}

const boost::json::value* FieldReader::find(std::string_view name) const {
  auto it = body_.find(name);
  if (it == body_.end())
    return nullptr;
  return &it->value();
}

std::optional<std::string> FieldReader::required_string(std::string_view name,
                                                        std::size_t min_length,
                                                        std::size_t max_length) {
  const auto* value = find(name);
  if (value == nullptr || value->is_null()) {
    add_error(std::string(name), "is required");
    return std::nullopt;
  }
  if (!value->is_string()) {
    add_error(std::string(name), "must be a string");
    return std::nullopt;
  }
  std::string text(value->as_string());
  auto length = core::utf8_length(text);
  if (length < min_length || length > max_length) {
    add_error(std::string(name), "must be " + std::to_string(min_length) + " to " +
                                     std::to_string(max_length) + " characters long");
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> FieldReader::optional_string(std::string_view name,
                                                        std::size_t max_length) {
  const auto* value = find(name);
  if (value == nullptr || value->is_null())
    return std::nullopt;
  return required_string(name, 0, max_length);
}

std::optional<std::int64_t> FieldReader::required_integer(std::string_view name, std::int64_t min,
                                                          std::int64_t max) {
  const auto* value = find(name);
  if (value == nullptr || value->is_null()) {
    add_error(std::string(name), "is required");
    return std::nullopt;
  }
  std::optional<std::int64_t> number;
  if (value->is_int64()) {
    number = value->as_int64();
  } else if (value->is_uint64() && value->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    number = static_cast<std::int64_t>(value->as_uint64());
  }
  if (!number) {
    add_error(std::string(name), "must be an integer");
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    add_error(std::string(name),
              "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return number;
}

std::optional<std::int64_t> FieldReader::optional_integer(std::string_view name, std::int64_t min,
                                                          std::int64_t max) {
  const auto* value = find(name);
  if (value == nullptr || value->is_null())
    return std::nullopt;
  return required_integer(name, min, max);
}

std::optional<bool> FieldReader::optional_bool(std::string_view name) {
  const auto* value = find(name);
  if (value == nullptr || value->is_null())
    return std::nullopt;
  if (!value->is_bool()) {
    add_error(std::string(name), "must be true or false");
    return std::nullopt;
  }
  return value->as_bool();
}

void FieldReader::add_error(std::string field, std::string message) {
  errors_.push_back({std::move(field), std::move(message)});
}

void FieldReader::throw_if_invalid() const {
  if (!errors_.empty())
    errors::raise(errors::validation_failed(errors_));
}

}  // namespace ordo::http
