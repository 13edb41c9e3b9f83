// Reading the client's answers: pages of items and entity tags (internal to src/client).
#pragma once

#include <boost/json/value.hpp>

#include "client/api_client.hpp"

namespace ordo::client {

// {items: [...], nextCursor: "..." | null}, each item read by read_item.
template <typename ReadItem>
auto read_page(const boost::json::value& document, ReadItem read_item)
    -> Page<decltype(read_item(document))> {
  Page<decltype(read_item(document))> page;
  for (const auto& item : document.at("items").as_array())
    page.items.push_back(read_item(item));
  if (const auto* next = document.as_object().if_contains("nextCursor"); next && next->is_string())
    page.next_cursor = std::string(next->as_string());
  return page;
}

// The ETag of an answer; empty when it has none.
inline std::string etag_of(const http::Response& response) {
  return std::string(response.headers.get_or("ETag", ""));
}

}  // namespace ordo::client
