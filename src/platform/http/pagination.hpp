// List paging as API.md defines it: ?limit= (default 20, max 100) and an opaque ?cursor=.
#pragma once

#include <optional>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "platform/http/message.hpp"

namespace ordo::http {

struct PageRequest {
  int limit = 20;
  std::optional<std::string> after;  // the decoded cursor: where the previous page ended
};

// 400 problem on a limit outside 1..100 or a cursor that was not made by make_cursor.
PageRequest page_request(const Request& request);
std::string make_cursor(const std::string& position);
// {"items": items, "nextCursor": cursor | null}
boost::json::object page_body(boost::json::array items, const std::optional<std::string>& next);

// The next page's target, relative to the origin: the request's own path and query (filters,
// limit, sort as the client spelled them) with its cursor replaced by this one.
std::string next_page_target(const Request& request, const std::string& cursor);
// 200 with page_body, and when another page follows, Link: <next_page_target>; rel="next"
// (RFC 8288) carrying the same cursor as nextCursor.
Response page_response(const Request& request, boost::json::array items,
                       const std::optional<std::string>& next);

}  // namespace ordo::http
