// Plain request/response values: case-insensitive headers, convenience constructors, target
// parsing.
#include "platform/http/message.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

namespace ordo::http {
namespace {

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [field, value] : fields_) {
    if (iequals(field, name)) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::string Headers::get_or(std::string_view name, std::string_view fallback) const {
  return std::string(get(name).value_or(fallback));
}

void Headers::set(std::string name, std::string value) {
  // Replace the first occurrence in place so the field keeps its position, drop the others.
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [&](const auto& field) { return iequals(field.first, name); });
  if (first == fields_.end()) {
    fields_.emplace_back(std::move(name), std::move(value));
    return;
  }
  first->second = std::move(value);
  auto rest = std::remove_if(std::next(first), fields_.end(),
                             [&](const auto& field) { return iequals(field.first, name); });
  fields_.erase(rest, fields_.end());
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const auto& field) { return iequals(field.first, name); });
}

std::string_view Request::path_param(const std::string& name) const {
  auto it = path_params.find(name);
  return it == path_params.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string_view> Request::query_param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) {
    return std::nullopt;
  }
  return std::string_view(it->second);
}

Response Response::json(int status, const boost::json::value& body) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  response.body = boost::json::serialize(body);
  return response;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

Response Response::empty(int status) {
  Response response;
  response.status = status;
  return response;
}

bool parse_target(std::string_view target, std::string& path,
                  std::map<std::string, std::string>& query) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    return false;
  }
  const boost::urls::url_view& url = *parsed;
  std::string decoded_path = url.path();
  // A NUL smuggled in as %00 would truncate the path in C APIs (file lookups, logs): refuse it.
  if (decoded_path.find('\0') != std::string::npos) {
    return false;
  }
  std::map<std::string, std::string> decoded_query;
  // params() decodes percent-escapes and '+' as space, the way HTML forms and most clients encode.
  for (const auto& param : url.params()) {
    if (param.key.empty() && !param.has_value) {
      continue;  // "?a=1&&b=2" or a bare "?": nothing to record
    }
    decoded_query[param.key] = param.value;
  }
  path = std::move(decoded_path);
  query = std::move(decoded_query);
  return true;
}

}  // namespace ordo::http
