// Request builders shared by ApiClient and the load generator.
#include "client/requests.hpp"

#include <boost/json.hpp>

namespace ordo::client {
namespace json = boost::json;

http::OutgoingRequest place_order_request(const OrderRequest& order) {
  json::array items;
  for (const auto& line : order.lines)
    items.push_back(json::object{{"productId", line.product_id}, {"quantity", line.quantity}});
  json::object body{{"items", std::move(items)}};
  if (order.note)
    body["note"] = *order.note;
  http::OutgoingRequest request{"POST", "/orders", {}, json::serialize(body)};
  request.headers.set("Content-Type", "application/json");
  if (order.idempotency_key)
    request.headers.set("Idempotency-Key", *order.idempotency_key);
  if (order.wait_seconds)
    request.headers.set("Prefer", "wait=" + std::to_string(*order.wait_seconds));
  return request;
}

http::OutgoingRequest login_request(const std::string& email, const std::string& password) {
  json::object body{{"email", email}, {"password", password}};
  http::OutgoingRequest request{"POST", "/users/login", {}, json::serialize(body)};
  request.headers.set("Content-Type", "application/json");
  return request;
}

http::OutgoingRequest get_request(std::string target) {
  return http::OutgoingRequest{"GET", std::move(target), {}, {}};
}

http::OutgoingRequest with_bearer(http::OutgoingRequest request, const std::string& token) {
  request.headers.set("Authorization", "Bearer " + token);
  return request;
}

}  // namespace ordo::client
