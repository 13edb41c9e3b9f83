#include "platform/http/pagination.hpp"

#include <charconv>

#include "platform/core/encoding.hpp"
#include "platform/errors/problem.hpp"

namespace ordo::http {
namespace {
// Cursors carry a version prefix so their format can change without misreading old ones.
constexpr std::string_view kCursorPrefix = "v1:";
}  // namespace

PageRequest page_request(const Request& request) {
  PageRequest page;
  if (auto limit = request.query_param("limit")) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc{} || ptr != limit->data() + limit->size() || value < 1 || value > 100) {
      errors::raise(errors::validation_failed({{"limit", "must be an integer from 1 to 100"}}));
    }
    page.limit = value;
  }
  if (auto cursor = request.query_param("cursor"); cursor && !cursor->empty()) {
    auto decoded = core::base64url_decode(*cursor);
    if (!decoded || decoded->rfind(kCursorPrefix, 0) != 0) {
      errors::raise(errors::validation_failed({{"cursor", "is not a cursor this API issued"}}));
    }
    page.after = decoded->substr(kCursorPrefix.size());
  }
  return page;
}

std::string make_cursor(const std::string& position) {
  return core::base64url_encode(std::string(kCursorPrefix) + position);
}

boost::json::object page_body(boost::json::array items, const std::optional<std::string>& next) {
  boost::json::object body;
  body["items"] = std::move(items);
  body["nextCursor"] = next ? boost::json::value(make_cursor(*next)) : boost::json::value(nullptr);
  return body;
}

}  // namespace ordo::http
