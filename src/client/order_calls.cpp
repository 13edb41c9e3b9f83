// The client's orders, notifications and webhooks calls.
#include <boost/json.hpp>

#include "client/api_client.hpp"
#include "client/pages.hpp"
#include "client/requests.hpp"

namespace ordo::client {
namespace json = boost::json;

boost::asio::awaitable<PlacedOrder> ApiClient::place_order(const OrderRequest& order) {
  auto request = place_order_request(order);
  auto answer = co_await exchange(std::move(request.method), std::move(request.target),
                                  std::move(request.body), 201, request.headers, 202);
  co_return PlacedOrder{answer.response.status, contracts::order_from_json(answer.document),
                        std::string(answer.response.headers.get_or("Location", "")),
                        answer.response.headers.get_or("Idempotent-Replayed", "") == "true"};
}

boost::asio::awaitable<contracts::Order> ApiClient::order(const std::string& id) {
  co_return contracts::order_from_json(co_await call("GET", "/orders/" + id, {}, 200));
}

boost::asio::awaitable<Page<contracts::Order>> ApiClient::orders(const Query& query) {
  co_return read_page(co_await call("GET", with_query("/orders", query), {}, 200),
                      contracts::order_from_json);
}

boost::asio::awaitable<contracts::Order> ApiClient::cancel_order(const std::string& id) {
  co_return contracts::order_from_json(co_await call("POST", "/orders/" + id + "/cancel", {}, 200));
}

boost::asio::awaitable<Page<contracts::Notification>> ApiClient::notifications(const Query& query) {
  co_return read_page(co_await call("GET", with_query("/notifications", query), {}, 200),
                      contracts::notification_from_json);
}

boost::asio::awaitable<contracts::Notification> ApiClient::notification(const std::string& id) {
  co_return contracts::notification_from_json(
      co_await call("GET", "/notifications/" + id, {}, 200));
}

boost::asio::awaitable<std::string> ApiClient::vapid_public_key() {
  auto document = co_await call("GET", "/notifications/vapid-public-key", {}, 200);
  co_return std::string(document.at("publicKey").as_string());
}

boost::asio::awaitable<contracts::Webhook> ApiClient::create_webhook(
    const contracts::WebhookRegistration& registration) {
  co_return contracts::webhook_from_json(
      co_await call("POST", "/webhooks", json::serialize(contracts::to_json(registration)), 201));
}

boost::asio::awaitable<Page<contracts::Webhook>> ApiClient::webhooks(const Query& query) {
  co_return read_page(co_await call("GET", with_query("/webhooks", query), {}, 200),
                      contracts::webhook_from_json);
}

boost::asio::awaitable<contracts::Webhook> ApiClient::webhook(const std::string& id) {
  co_return contracts::webhook_from_json(co_await call("GET", "/webhooks/" + id, {}, 200));
}

boost::asio::awaitable<contracts::Webhook> ApiClient::patch_webhook(const std::string& id,
                                                                    const json::object& changes) {
  co_return contracts::webhook_from_json(
      co_await call("PATCH", "/webhooks/" + id, json::serialize(changes), 200));
}

boost::asio::awaitable<void> ApiClient::remove_webhook(const std::string& id) {
  co_await call("DELETE", "/webhooks/" + id, {}, 204);
}

boost::asio::awaitable<Page<contracts::WebhookDelivery>> ApiClient::webhook_deliveries(
    const std::string& id, const Query& query) {
  auto target = with_query("/webhooks/" + id + "/deliveries", query);
  co_return read_page(co_await call("GET", std::move(target), {}, 200),
                      contracts::webhook_delivery_from_json);
}

boost::asio::awaitable<contracts::WebhookDelivery> ApiClient::retry_webhook_delivery(
    const std::string& id, const std::string& delivery_id) {
  auto target = "/webhooks/" + id + "/deliveries/" + delivery_id + "/retry";
  co_return contracts::webhook_delivery_from_json(co_await call("POST", target, {}, 202));
}

}  // namespace ordo::client
