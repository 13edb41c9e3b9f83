// The admin-only /webhooks routes and the webhook dispatcher they share a database with.
#pragma once

#include <functional>

#include "host/service.hpp"
#include "services/notifications/webhook_dispatcher.hpp"
#include "services/notifications/webhook_store.hpp"

namespace ordo::services::notifications {

WebhookOptions webhook_options(const config::Config& config);

class WebhookApi {
 public:
  // admin_notified: wakes the notifications dispatcher after a disabled webhook told its admin.
  WebhookApi(host::ServiceResources& resources, std::function<void()> admin_notified);

  void add_routes(http::Router& router);
  void start() { dispatcher_.start(); }
  void wake() { dispatcher_.wake(); }  // after a consumer batch committed deliveries
  boost::asio::awaitable<void> stop() { return dispatcher_.stop(); }

 private:
  boost::asio::awaitable<http::Response> create(http::Request& request);
  boost::asio::awaitable<http::Response> list(http::Request& request);
  boost::asio::awaitable<http::Response> get(http::Request& request);
  boost::asio::awaitable<http::Response> patch(http::Request& request);
  boost::asio::awaitable<http::Response> remove(http::Request& request);
  boost::asio::awaitable<http::Response> deliveries(http::Request& request);
  boost::asio::awaitable<http::Response> retry(http::Request& request);
  boost::asio::awaitable<Webhook> existing(const http::Request& request);
  boost::asio::awaitable<void> check_target(const std::string& url);

  WebhookOptions options_;
  WebhookStore store_;
  WebhookDispatcher dispatcher_;
};

}  // namespace ordo::services::notifications
