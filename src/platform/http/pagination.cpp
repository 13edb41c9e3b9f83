#include "platform/http/pagination.hpp"

#include <charconv>

#include "platform/core/encoding.hpp"
#include "platform/http/problem.hpp"

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

std::string next_page_target(const Request& request, const std::string& cursor) {
  std::string_view target = request.target;
  auto question = target.find('?');
  std::string out(target.substr(0, question));
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  char separator = '?';
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto name = pair.substr(0, pair.find('='));
    if (pair.empty() || name == "cursor")
      continue;
    out.push_back(separator);
    out.append(pair);
    separator = '&';
  }
  out.push_back(separator);
  out.append("cursor=").append(cursor);  // base64url: nothing to escape
  // Inside <...> of a Link value: escape what would end it or split the field. A target the
  // server parsed holds none of these; the escape only guards against a handler's odd input.
  std::string safe;
  safe.reserve(out.size());
  for (char c : out) {
    if (c == '<' || c == '>' || c == '"' || c == ' ' || c == '\r' || c == '\n') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      auto byte = static_cast<unsigned char>(c);
      safe.push_back('%');
      safe.push_back(kHex[byte >> 4]);
      safe.push_back(kHex[byte & 15]);
    } else {
      safe.push_back(c);
    }
  }
  return safe;
}

Response page_response(const Request& request, boost::json::array items,
                       const std::optional<std::string>& next) {
  std::optional<std::string> cursor;
  if (next)
    cursor = make_cursor(*next);
  boost::json::object body;
  body["items"] = std::move(items);
  body["nextCursor"] = cursor ? boost::json::value(*cursor) : boost::json::value(nullptr);
  auto response = Response::json(200, body);
  if (cursor)
    response.headers.set("Link", "<" + next_page_target(request, *cursor) + ">; rel=\"next\"");
  return response;
}

}  // namespace ordo::http
