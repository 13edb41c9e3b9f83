// Reading what reaches the orders service over HTTP: the body of POST /orders, its Prefer header,
// the filters of GET /orders and the products service's answer for a product. Each request
// reader throws one 400 problem naming every bad field; the rules themselves are domain.hpp.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "platform/http/message.hpp"
#include "platform/http/pagination.hpp"
#include "services/orders/domain.hpp"
#include "services/orders/store.hpp"

namespace ordo::services::orders {

// The body of POST /orders: items 1..100 lines, each {productId: UUID, quantity: integer
// 1..10000}; duplicate productIds are merged and the merged quantity must still be at most
// 10000; note at most 500 characters. Throws one 400 validation problem naming every bad field
// ("items[2].quantity").
PlaceOrderRequest parse_place_order(const boost::json::object& body);

// The wait=N preference of a Prefer header (RFC 7240): seconds clamped to 0..30; nullopt when
// the header does not ask to wait (or asks in a malformed way, which RFC 7240 says to ignore).
std::optional<int> parse_prefer_wait(std::string_view header);

// GET /orders: ?status= and, for an admin, ?userId= (a user's is ignored: the api lists a user's
// own orders only), and the shape of the page's cursor. One 400 naming every bad parameter.
OrderFilter parse_list_filter(const http::Request& request, bool caller_is_admin,
                              const http::PageRequest& page);

// A product as GET /products/{id} answers it; nullopt when the shape is not a product.
std::optional<CatalogEntry> catalog_entry_from_product_json(const boost::json::value& product);

}  // namespace ordo::services::orders
