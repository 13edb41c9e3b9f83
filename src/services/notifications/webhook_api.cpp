#include "services/notifications/webhook_api.hpp"
#include "services/notifications/settings.hpp"

#include <boost/json.hpp>

#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/pagination.hpp"
#include "platform/http/problem.hpp"
#include "services/notifications/requests.hpp"
#include "services/notifications/webhook_domain.hpp"
#include "services/notifications/webhook_target.hpp"

namespace ordo::services::notifications {
namespace {
using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace json = boost::json;

json::array events_json(const std::vector<std::string>& events) {
  json::array out;
  for (const auto& event : events)
    out.emplace_back(event);
  return out;
}

// Never the secret: it is shown once, in the answer to the registration.
json::object webhook_json(const Webhook& w) {
  return {{"id", w.id},
          {"url", w.url},
          {"events", events_json(w.events)},
          {"description", w.description},
          {"status", w.status},
          {"createdAt", w.created_at},
          {"updatedAt", w.updated_at}};
}

json::value optional_json(const std::optional<std::string>& text) {
  return text ? json::value(*text) : json::value(nullptr);
}

json::object delivery_json(const WebhookDelivery& d) {
  json::value next = nullptr;
  if (d.status == kDeliveryPending)
    next = core::rfc3339_from_millis(d.next_attempt_at_ms);
  json::value code = nullptr;
  if (d.last_response_code)
    code = *d.last_response_code;
  return {{"id", d.id},
          {"webhookId", d.webhook_id},
          {"eventId", d.event_id},
          {"eventType", d.event_type},
          {"status", d.status},
          {"attempts", d.attempts},
          {"lastResponseCode", code},
          {"lastError", optional_json(d.last_error)},
          {"nextAttemptAt", next},
          {"createdAt", d.created_at},
          {"deliveredAt", optional_json(d.delivered_at)}};
}

http::PageRequest checked_page(const Request& request) {
  auto page = http::page_request(request);
  if (page.after && !core::is_uuid(*page.after))
    errors::raise(errors::validation_failed({{"cursor", "is not a cursor this API issued"}}));
  return page;
}

}  // namespace

WebhookOptions webhook_options(const config::Config& config) {
  WebhookOptions options;
  options.timeout = config.section<Settings>().webhook_timeout;
  options.retry_base = config.section<Settings>().webhook_retry_base;
  options.retry_max = config.section<Settings>().webhook_retry_max;
  options.disable_after = std::chrono::seconds(config.section<Settings>().webhook_disable_after_s);
  options.allow_private = config.section<Settings>().webhook_allow_private;
  return options;
}

WebhookApi::WebhookApi(host::ServiceResources& resources, std::function<void()> admin_notified)
    : options_(webhook_options(resources.config)),
      store_(resources.db),
      dispatcher_(resources.executor, resources.db, options_, std::move(admin_notified)) {}

void WebhookApi::add_routes(http::Router& router) {
  router.post("/webhooks", [this](Request& r) { return create(r); });
  router.get("/webhooks", [this](Request& r) { return list(r); });
  router.get("/webhooks/{id}", [this](Request& r) { return get(r); });
  router.patch("/webhooks/{id}", [this](Request& r) { return patch(r); });
  router.del("/webhooks/{id}", [this](Request& r) { return remove(r); });
  router.get("/webhooks/{id}/deliveries", [this](Request& r) { return deliveries(r); });
  router.post("/webhooks/{id}/deliveries/{deliveryId}/retry",
              [this](Request& r) { return retry(r); });
}

// The SSRF check at registration; the dispatcher checks again on every attempt.
awaitable<void> WebhookApi::check_target(const std::string& url) {
  std::optional<std::string> problem;
  try {
    co_await resolve_webhook_target(url, options_.allow_private, options_.timeout);
  } catch (const ForbiddenTarget&) {
    problem = "must not point to a loopback, private, link-local or unspecified address";
  } catch (const std::exception&) {
    problem = "does not resolve";
  }
  if (problem)
    errors::raise(errors::validation_failed({{"url", *problem}}));
}

awaitable<Webhook> WebhookApi::existing(const Request& request) {
  std::string id(request.path_param("id"));
  std::optional<Webhook> webhook;
  if (core::is_uuid(id))
    webhook = co_await store_.find(id);
  if (!webhook)
    errors::raise(errors::not_found("no such webhook"));
  co_return *webhook;
}

awaitable<Response> WebhookApi::create(Request& request) {
  const auto& principal = http::require_admin(request);
  auto registration = parse_webhook_registration(http::parse_json_object(request));
  co_await check_target(registration.url);
  auto now = core::rfc3339();
  Webhook webhook{core::uuid_v7(),
                  registration.url,
                  registration.events,
                  registration.description,
                  make_webhook_secret(),
                  std::string(kWebhookActive),
                  principal.user_id,
                  std::nullopt,
                  now,
                  now};
  co_await store_.add(webhook);
  auto body = webhook_json(webhook);
  body["secret"] = webhook.secret;
  auto response = Response::json(201, body);
  response.headers.set("Location", "/webhooks/" + webhook.id);
  co_return response;
}

awaitable<Response> WebhookApi::list(Request& request) {
  http::require_admin(request);
  auto page_request = checked_page(request);
  auto page = co_await store_.list(page_request.after, page_request.limit);
  json::array items;
  for (const auto& webhook : page.items)
    items.push_back(webhook_json(webhook));
  co_return http::page_response(request, std::move(items), page.next_after_id);
}

awaitable<Response> WebhookApi::get(Request& request) {
  http::require_admin(request);
  auto webhook = co_await existing(request);
  co_return Response::json(200, webhook_json(webhook));
}

awaitable<Response> WebhookApi::patch(Request& request) {
  http::require_admin(request);
  auto changes = parse_webhook_patch(http::parse_json_object(request));
  auto webhook = co_await existing(request);
  if (changes.url) {
    co_await check_target(*changes.url);
    webhook.url = *changes.url;
  }
  if (changes.events)
    webhook.events = *changes.events;
  if (changes.description)
    webhook.description = *changes.description;
  if (changes.status) {
    // Enabled again: its failing streak starts afresh.
    if (*changes.status == kWebhookActive && webhook.status != kWebhookActive)
      webhook.failing_since_ms.reset();
    webhook.status = *changes.status;
  }
  webhook.updated_at = core::rfc3339();
  co_await store_.update(webhook);
  co_return Response::json(200, webhook_json(webhook));
}

awaitable<Response> WebhookApi::remove(Request& request) {
  http::require_admin(request);
  auto webhook = co_await existing(request);
  co_await store_.remove(webhook.id);
  co_return Response::empty(204);
}

awaitable<Response> WebhookApi::deliveries(Request& request) {
  http::require_admin(request);
  auto page_request = checked_page(request);
  auto webhook = co_await existing(request);
  auto page = co_await store_.deliveries(webhook.id, page_request.after, page_request.limit);
  json::array items;
  for (const auto& delivery : page.items)
    items.push_back(delivery_json(delivery));
  co_return http::page_response(request, std::move(items), page.next_after_id);
}

awaitable<Response> WebhookApi::retry(Request& request) {
  http::require_admin(request);
  auto webhook = co_await existing(request);
  std::string delivery_id(request.path_param("deliveryId"));
  std::optional<WebhookDelivery> delivery;
  if (core::is_uuid(delivery_id))
    delivery = co_await store_.delivery(webhook.id, delivery_id);
  if (!delivery)
    errors::raise(errors::not_found("no such delivery"));
  if (webhook.status != kWebhookActive)
    errors::raise(errors::conflict("the webhook is disabled: enable it first"));
  co_await store_.retry_now(delivery->id, core::unix_millis());
  dispatcher_.wake();
  delivery = co_await store_.delivery(webhook.id, delivery_id);
  co_return Response::json(202, delivery_json(*delivery));
}

}  // namespace ordo::services::notifications
