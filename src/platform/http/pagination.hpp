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

}  // namespace ordo::http
