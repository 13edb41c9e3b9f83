// The orders service's HTTP routes: parse, authorize, price from the catalog view, place, wait.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "host/registry.hpp"
#include "platform/core/ids.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/log_context.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/pagination.hpp"
#include "platform/http/problem.hpp"
#include "platform/log/log.hpp"
#include "services/orders/consumes.hpp"
#include "services/orders/domain.hpp"
#include "services/orders/live.hpp"
#include "services/orders/requests.hpp"
#include "services/orders/service.hpp"
#include "services/orders/store.hpp"
#include "services/orders/waiters.hpp"

namespace ordo::services::orders {
namespace {

using boost::asio::awaitable;
constexpr std::chrono::milliseconds kPollWhileWaiting{100};
using http::Request;
using http::Response;
namespace json = boost::json;

constexpr std::string_view kService = "orders";

[[noreturn]] void raise_order_not_found() {
  errors::raise(errors::not_found("no such order"));
}

// The order priced, or one 400 naming the lines the catalog refuses.
PricedOrder priced(const PlaceOrderRequest& input,
                   const std::map<std::string, CatalogEntry>& catalog) {
  try {
    return price_order(input, catalog);
  } catch (const core::InvalidInput& invalid) {
    errors::raise(errors::validation_failed(invalid.errors()));
  }
}

class OrdersApi final : public host::Service {
 public:
  explicit OrdersApi(host::ServiceResources& resources)
      : resources_(resources),
        store_(resources.db),
        stream_slots_(resources.config.stream_max_open),
        metrics_(resources.metrics, resources.db) {}

  void add_routes(http::Router& router) override {
    router.post("/orders", [this](Request& r) { return place(r); });
    router.get("/orders", [this](Request& r) { return list(r); });
    router.get("/orders/{id}", [this](Request& r) { return get_order(r); });
    router.get("/orders/{id}/events", [this](Request& r) { return order_events(r); });
    router.post("/orders/{id}/cancel", [this](Request& r) { return cancel(r); });
  }

  std::vector<bus::Subscription> subscriptions() override {
    std::vector<bus::Subscription> all;
    all.push_back(subscription(resources_.db, waiters_, metrics_));
    return all;
  }

 private:
  awaitable<Response> place(Request& request) {
    const auto& principal = http::require_user(request);
    std::optional<std::string> key;
    if (auto header = request.headers.get("Idempotency-Key")) {
      if (!valid_idempotency_key(*header)) {
        errors::raise(errors::validation_failed(
            {{"Idempotency-Key", "must be 1 to 200 printable ASCII characters"}}));
      }
      key = std::string(*header);
    }
    std::optional<int> wait;
    if (auto prefer = request.headers.get("Prefer"))
      wait = parse_prefer_wait(*prefer);
    auto body = http::parse_json_object(request);
    auto input = parse_place_order(body);
    auto hash = request_hash(input);

    // A replay answers with the order the key made, even if the catalog changed since.
    std::optional<PlaceOutcome> outcome;
    if (key)
      outcome = co_await store_.replay(principal.user_id, *key, hash);
    if (!outcome) {
      auto catalog = co_await catalog_for(input, request);
      NewOrder new_order{principal.user_id, priced(input, catalog), input.note, key, hash};
      outcome = co_await store_.place(new_order, request.context.traceparent);
    }
    if (outcome->kind == PlaceOutcome::Kind::key_reused) {
      errors::raise(errors::unprocessable(
          "this Idempotency-Key was already used with a different request body"));
    }
    if (!outcome->order)
      raise_order_not_found();  // the key's order vanished: cannot happen short of manual edits
    if (outcome->kind == PlaceOutcome::Kind::replayed) {
      // The first answer exactly, once it was made; before that (the first request still
      // waiting), the order as it is now.
      Response response;
      if (outcome->first_answer) {
        response.status = outcome->first_answer->first;
        response.headers.set("Content-Type", "application/json");
        response.body = std::move(outcome->first_answer->second);
      } else {
        response = Response::json(202, contracts::to_json(*outcome->order));
      }
      response.headers.set("Idempotent-Replayed", "true");
      response.headers.set("Location", "/orders/" + outcome->order->id);
      co_return response;
    }
    log::debug(kService, "order placed",
               {{"orderId", outcome->order->id},
                {"userId", principal.user_id},
                {"totalCents", outcome->order->total_cents}},
               http::log_context(request));
    contracts::Order order = std::move(*outcome->order);
    if (wait)
      order = co_await wait_for_final(std::move(order), *wait);
    auto final_state = parse_status(order.status).value_or(OrderStatus::pending);
    auto response =
        Response::json(wait && is_final(final_state) ? 201 : 202, contracts::to_json(order));
    response.headers.set("Location", "/orders/" + order.id);
    if (wait)
      response.headers.set("Preference-Applied", "wait=" + std::to_string(*wait));
    if (key)
      co_await store_.record_answer(principal.user_id, *key, response.status, response.body);
    co_return response;
  }

  // The catalog entries of the request's products: from the local view, else from the products
  // service (an order is never refused because a product.created is still on its way).
  awaitable<std::map<std::string, CatalogEntry>> catalog_for(const PlaceOrderRequest& input,
                                                             const Request& request) {
    std::vector<std::string> ids;
    for (const auto& line : input.lines)
      ids.push_back(line.product_id);
    auto catalog = co_await store_.catalog_entries(ids);
    for (const auto& id : ids) {
      if (catalog.contains(id))
        continue;
      auto fetched = co_await fetch_product(id, request);
      if (fetched) {
        co_await store_.remember_product(*fetched);
        catalog.emplace(id, std::move(*fetched));
      }
    }
    co_return catalog;
  }

  // GET /products/{id} on the products service: the product, nullopt on 404, 503 otherwise.
  // Several configured instances take the calls in turn, and one that cannot be reached passes
  // the call to the next (a GET is safe to repeat); an origin with a host name balances over the
  // name's addresses in the client (upstreams.dns_refresh_ms).
  awaitable<std::optional<CatalogEntry>> fetch_product(const std::string& id,
                                                       const Request& request) {
    auto origins = resources_.config.upstream_origins("products");
    if (origins.empty())
      errors::raise(errors::service_unavailable("the product catalog is not reachable"));
    http::OutgoingRequest outgoing;
    outgoing.method = "GET";
    outgoing.target = "/products/" + id;
    outgoing.headers.set("Accept", "application/json");
    outgoing.headers.set("X-Request-Id", request.context.request_id);
    outgoing.headers.set("traceparent", http::child_traceparent(request.context.traceparent));
    std::optional<Response> response;
    std::size_t first = next_products_origin_++;
    bool next = true;  // only while no attempt reached an instance (a slow one is not retried)
    for (std::size_t attempt = 0; attempt < origins.size() && next; ++attempt) {
      const auto& origin = origins[(first + attempt) % origins.size()];
      http::OutgoingRequest copy = outgoing;
      try {
        response = co_await resources_.http.send(origin, std::move(copy),
                                                 resources_.config.upstream_timeout);
        next = false;
      } catch (const http::ClientError& e) {
        next = !e.may_have_reached();
        log::warn(kService, "products service unreachable",
                  {{"origin", origin}, {"error", e.what()}}, http::log_context(request));
      }
    }
    if (!response)
      errors::raise(errors::service_unavailable("the product catalog is not reachable"));
    if (response->status == 404)
      co_return std::nullopt;
    std::optional<CatalogEntry> entry;
    if (response->status == 200) {
      boost::system::error_code ec;
      auto parsed = json::parse(response->body, ec);
      if (!ec)
        entry = catalog_entry_from_product_json(parsed);
    }
    if (!entry) {
      log::warn(kService, "products service answered unexpectedly",
                {{"status", response->status}, {"productId", id}}, http::log_context(request));
      errors::raise(errors::service_unavailable("the product catalog is not available"));
    }
    co_return entry;
  }

  // Waits until the order is final or `seconds` have passed; re-reads the order after every
  // signal of this instance's consumer. With a broker, the event may be consumed by another
  // instance of the service, which cannot signal this one: then it also re-reads every 100 ms.
  awaitable<contracts::Order> wait_for_final(contracts::Order order, int seconds) {
    auto registration = waiters_.watch(order.id, co_await boost::asio::this_coro::executor);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (true) {
      auto fresh = co_await store_.find(order.id);
      if (fresh)
        order = std::move(*fresh);
      auto status = parse_status(order.status).value_or(OrderStatus::pending);
      if (is_final(status) || std::chrono::steady_clock::now() >= deadline)
        break;
      auto until = deadline;
      if (resources_.bus.kind() != "local")
        until = std::min(deadline, std::chrono::steady_clock::now() + kPollWhileWaiting);
      co_await registration->waiter().wait_until(until);
    }
    co_return order;
  }

  awaitable<Response> list(Request& request) {
    const auto& principal = http::require_user(request);
    auto page_request = http::page_request(request);
    auto filter = parse_list_filter(request, principal.is_admin(), page_request);
    // A user sees only their own orders, whatever userId says.
    if (!principal.is_admin())
      filter.user_id = principal.user_id;
    auto page = co_await store_.list(filter, page_request.after, page_request.limit);
    json::array items;
    for (const auto& order : page.items)
      items.push_back(contracts::to_json(order));
    co_return http::page_response(request, std::move(items), page.next_before_id);
  }

  awaitable<Response> get_order(Request& request) {
    const auto& principal = http::require_user(request);
    auto order = co_await visible_order(request, principal);
    co_return Response::json(200, contracts::to_json(order));
  }

  // The order's live status as Server-Sent Events (live.hpp, docs/streams.md).
  awaitable<Response> order_events(Request& request) {
    const auto& principal = http::require_user(request);
    auto order = co_await visible_order(request, principal);
    auto ticket = stream_slots_.take();
    if (!ticket)
      http::sse::raise_too_many_streams();
    std::optional<std::int64_t> last_event_id;
    if (auto header = request.headers.get("Last-Event-ID"))
      last_event_id = http::sse::parse_last_event_id(*header);
    OrderStreamSettings settings{resources_.config.stream_heartbeat, resources_.config.stream_poll};
    co_return http::sse::stream_response(
        [this, order, last_event_id, settings, ticket](http::StreamWriter& writer) {
          return stream_order(store_, waiters_, order, last_event_id, settings, ticket, writer);
        });
  }

  awaitable<Response> cancel(Request& request) {
    const auto& principal = http::require_user(request);
    auto order = co_await visible_order(request, principal);
    std::string reason = principal.is_admin() && principal.user_id != order.user_id
                             ? "cancelled by an admin"
                             : "cancelled by the customer";
    auto outcome = co_await store_.cancel(order.id, reason, request.context.traceparent);
    if (outcome.kind == CancelOutcome::Kind::not_found)
      raise_order_not_found();
    if (outcome.kind == CancelOutcome::Kind::conflict) {
      std::string status = outcome.order ? outcome.order->status : std::string("unknown");
      errors::raise(errors::conflict("the order is " + status +
                                     "; only pending or confirmed orders can be cancelled"));
    }
    waiters_.notify(order.id);
    metrics_.settled(*outcome.order);
    log::info(kService, "order cancelled", {{"orderId", order.id}, {"by", principal.user_id}},
              http::log_context(request));
    co_return Response::json(200, contracts::to_json(*outcome.order));
  }

  // The order of the path, when the caller may see it; someone else's order is "not found".
  awaitable<contracts::Order> visible_order(const Request& request,
                                            const http::Principal& principal) {
    std::string id(request.path_param("id"));
    std::optional<contracts::Order> order;
    if (core::is_uuid(id))
      order = co_await store_.find(id);
    if (!order || (!principal.is_admin() && order->user_id != principal.user_id))
      raise_order_not_found();
    co_return std::move(*order);
  }

  host::ServiceResources& resources_;
  OrderStore store_;
  OrderWaiters waiters_;
  http::sse::StreamSlots stream_slots_;
  OrderMetrics metrics_;
  std::atomic<std::size_t> next_products_origin_{0};  // the products instances, in turn
};

}  // namespace

const auto kRegistration = host::register_service<OrdersApi>(
    {.name = "orders", .port = 3003, .start_order = 4, .migrations = &migrations});

}  // namespace ordo::services::orders
