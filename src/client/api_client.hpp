// A typed client of Ordo's public API (through the gateway): used by the CLI, the end-to-end
// tests and the benchmarks. Every operation of docs/openapi.json that a program calls has a
// method here; failed calls throw ApiError carrying the problem document. The event streams
// (text/event-stream) are read with send() and a stream reader, not here.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "contracts/inventory.hpp"
#include "contracts/notification_preferences.hpp"
#include "contracts/notifications.hpp"
#include "contracts/orders.hpp"
#include "contracts/products.hpp"
#include "contracts/push_subscriptions.hpp"
#include "contracts/users.hpp"
#include "contracts/webhooks.hpp"
#include "platform/http/client.hpp"

namespace ordo::client {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, boost::json::value problem);
  int status() const { return status_; }
  const boost::json::value& problem() const { return problem_; }

 private:
  int status_;
  boost::json::value problem_;
};

// One page of a list and the cursor of the next (none on the last page).
template <typename Item>
struct Page {
  std::vector<Item> items;
  std::optional<std::string> next_cursor;
};

// A representation and its entity tag, for conditional changes (If-Match).
template <typename Value>
struct Tagged {
  Value value;
  std::string etag;  // as sent, quotes included
};

// Query parameters of a list, in order; values are percent-encoded by the client.
using Query = std::vector<std::pair<std::string, std::string>>;

// POST /orders: the lines (a product may appear more than once: the lines are merged), a note,
// and the two headers that shape the answer.
struct OrderRequest {
  struct Line {
    std::string product_id;
    std::int64_t quantity = 1;
  };
  std::vector<Line> lines;
  std::optional<std::string> note;
  std::optional<std::string> idempotency_key;  // Idempotency-Key
  std::optional<int> wait_seconds;             // Prefer: wait=N
};

// POST /products: a new catalog entry; initial_stock, when given, is counted in by inventory.
struct NewProduct {
  std::string sku;
  std::string name;
  std::string description;
  std::int64_t price_cents = 0;
  std::string currency = "EUR";
  std::string category;
  boost::json::object attributes;
  std::optional<std::int64_t> initial_stock;
};
boost::json::object to_json(const NewProduct& product);

// What POST /orders answered: 201 with a final order (after Prefer: wait), else 202 pending.
struct PlacedOrder {
  int status = 0;
  contracts::Order order;
  std::string location;
  bool replayed = false;  // Idempotent-Replayed: true
};

class ApiClient {
 public:
  // origin: "http://127.0.0.1:3000"
  ApiClient(http::Client& http, std::string origin) : http_(http), origin_(std::move(origin)) {}

  void set_access_token(std::string token) { access_token_ = std::move(token); }
  const std::string& access_token() const { return access_token_; }
  const std::string& origin() const { return origin_; }

  // Called with every exchange send() completes (the end-to-end tests record them to check the
  // answers against the published contract).
  using Observer = std::function<void(const http::OutgoingRequest&, const http::Response&)>;
  void observe(Observer observer) { observer_ = std::move(observer); }

  // Any call, as it is: no status check (for tests of error paths). Extra headers are sent as
  // given, after Content-Type and Authorization.
  boost::asio::awaitable<http::Response> send(std::string method, std::string target,
                                              std::string body = {},
                                              std::string content_type = "application/json",
                                              const http::Headers& extra = {});

  // --- users ---------------------------------------------------------------------------------
  boost::asio::awaitable<contracts::User> register_user(const std::string& email,
                                                        const std::string& password,
                                                        const std::string& name);
  // Logs in and keeps the access token for the calls that follow.
  boost::asio::awaitable<contracts::TokenPair> login(const std::string& email,
                                                     const std::string& password);
  boost::asio::awaitable<contracts::TokenPair> refresh(const std::string& refresh_token);
  boost::asio::awaitable<void> logout(const std::string& refresh_token);
  boost::asio::awaitable<contracts::User> me();
  // PATCH /users/me: name and/or phone ("phone": null clears it).
  boost::asio::awaitable<contracts::User> patch_me(const boost::json::object& changes);
  boost::asio::awaitable<contracts::NotificationPreferences> notification_preferences();
  boost::asio::awaitable<contracts::NotificationPreferences> set_notification_preferences(
      const contracts::NotificationPreferences& preferences);
  boost::asio::awaitable<std::vector<contracts::PushSubscription>> push_subscriptions();
  // subscription: a browser's PushSubscription.toJSON().
  boost::asio::awaitable<contracts::PushSubscription> add_push_subscription(
      const boost::json::object& subscription);
  boost::asio::awaitable<void> remove_push_subscription(const std::string& id);
  boost::asio::awaitable<contracts::User> user(const std::string& id);
  boost::asio::awaitable<Page<contracts::User>> users(int limit,
                                                      const std::optional<std::string>& cursor);
  boost::asio::awaitable<contracts::User> patch_user(const std::string& id,
                                                     const boost::json::object& changes);
  boost::asio::awaitable<boost::json::value> jwks();

  // --- products ------------------------------------------------------------------------------
  // query: q, category, minPriceCents, maxPriceCents, sort, limit, cursor.
  boost::asio::awaitable<Page<contracts::Product>> products(const Query& query = {});
  boost::asio::awaitable<Tagged<contracts::Product>> product(const std::string& id);
  // product: sku, name, price_cents, currency (others optional); initialStock when given.
  boost::asio::awaitable<Tagged<contracts::Product>> create_product(
      const boost::json::object& product);
  boost::asio::awaitable<Tagged<contracts::Product>> create_product(const NewProduct& product);
  // changes: the fields to change. if_match: the ETag the change was based on.
  boost::asio::awaitable<Tagged<contracts::Product>> patch_product(
      const std::string& id, const boost::json::object& changes, const std::string& if_match);
  boost::asio::awaitable<void> archive_product(const std::string& id, const std::string& if_match);

  // --- stock ---------------------------------------------------------------------------------
  boost::asio::awaitable<Tagged<contracts::Stock>> stock(const std::string& product_id);
  // A stock count (an absolute value): if_match is the stock's ETag (empty: none sent).
  boost::asio::awaitable<Tagged<contracts::Stock>> set_stock(
      const std::string& product_id, const contracts::StockCountRequest& count,
      const std::string& if_match);
  boost::asio::awaitable<Tagged<contracts::Stock>> replenish(
      const std::string& product_id, const contracts::ReplenishRequest& request);
  boost::asio::awaitable<Page<contracts::LedgerEntry>> stock_movements(
      const std::string& product_id, const Query& query = {});
  boost::asio::awaitable<Page<contracts::Stock>> low_stock(const Query& query = {});

  // --- orders --------------------------------------------------------------------------------
  boost::asio::awaitable<PlacedOrder> place_order(const OrderRequest& request);
  boost::asio::awaitable<contracts::Order> order(const std::string& id);
  // query: status, userId (admins), limit, cursor.
  boost::asio::awaitable<Page<contracts::Order>> orders(const Query& query = {});
  boost::asio::awaitable<contracts::Order> cancel_order(const std::string& id);

  // --- notifications and webhooks ------------------------------------------------------------
  // query: status, limit, cursor.
  boost::asio::awaitable<Page<contracts::Notification>> notifications(const Query& query = {});
  boost::asio::awaitable<contracts::Notification> notification(const std::string& id);
  boost::asio::awaitable<std::string> vapid_public_key();
  // The secret is returned once, here.
  boost::asio::awaitable<contracts::Webhook> create_webhook(
      const contracts::WebhookRegistration& registration);
  boost::asio::awaitable<Page<contracts::Webhook>> webhooks(const Query& query = {});
  boost::asio::awaitable<contracts::Webhook> webhook(const std::string& id);
  boost::asio::awaitable<contracts::Webhook> patch_webhook(const std::string& id,
                                                           const boost::json::object& changes);
  boost::asio::awaitable<void> remove_webhook(const std::string& id);
  boost::asio::awaitable<Page<contracts::WebhookDelivery>> webhook_deliveries(
      const std::string& id, const Query& query = {});
  boost::asio::awaitable<contracts::WebhookDelivery> retry_webhook_delivery(
      const std::string& id, const std::string& delivery_id);

 private:
  struct Answer {
    http::Response response;
    boost::json::value document = nullptr;
  };
  // Sends, reads the body as JSON, and throws ApiError unless the status is expected (or
  // also_expected, when given). Not a list of statuses: g++ 12 miscompiles braced temporaries in
  // co_await expressions.
  boost::asio::awaitable<Answer> exchange(std::string method, std::string target, std::string body,
                                          int expected, const http::Headers& extra = {},
                                          int also_expected = 0);
  boost::asio::awaitable<boost::json::value> call(std::string method, std::string target,
                                                  std::string body, int expected_status);

  http::Client& http_;
  std::string origin_;
  std::string access_token_;
  Observer observer_;
};

// "/products" + "?q=red%20shoe&limit=5" (empty query: the path alone).
std::string with_query(std::string path, const Query& query);

}  // namespace ordo::client
