// The inventory service's HTTP routes ("Stock" in API.md): parse, authorize, call the store,
// answer. Writes by admins are ledger rows with the admin as actor.
#include <boost/json.hpp>

#include "contracts/inventory.hpp"
#include "host/registry.hpp"
#include "platform/core/ids.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/log_context.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/pagination.hpp"
#include "platform/http/problem.hpp"
#include "platform/log/log.hpp"
#include "services/inventory/consumes.hpp"
#include "services/inventory/domain.hpp"
#include "services/inventory/requests.hpp"
#include "services/inventory/service.hpp"
#include "services/inventory/settings.hpp"
#include "services/inventory/store.hpp"

namespace ordo::services::inventory {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace json = boost::json;

constexpr std::string_view kService = "inventory";

[[noreturn]] void raise_no_stock() {
  errors::raise(errors::not_found("no stock is known for this product"));
}

metrics::Counter& reservations_counter(metrics::Registry& registry) {
  return registry.counter("ordo_inventory_reservations_total", "Orders whose stock was reserved.",
                          {});
}

// Reservations by outcome, rejections also by reason. Counted when the handler's change is
// applied: a batch rolled back and retried may count an order twice.
void count_reservation(metrics::Registry& registry, const ReserveOutcome& outcome) {
  if (outcome.kind == ReserveOutcome::Kind::reserved) {
    reservations_counter(registry).add();
  } else if (outcome.kind == ReserveOutcome::Kind::rejected && outcome.rejection) {
    registry
        .counter("ordo_inventory_rejections_total",
                 "Orders refused, by reason (insufficient_stock, unknown_product, ...).",
                 {{"reason", outcome.rejection->reason}})
        .add();
  }
}

class InventoryApi final : public host::Service {
 public:
  explicit InventoryApi(host::ServiceResources& resources)
      : resources_(resources), store_(resources.db) {
    reservations_counter(resources.metrics);  // shown from the start, at 0
  }

  void add_routes(http::Router& router) override {
    router.get("/products/{id}/stock", [this](Request& r) { return get_stock(r); });
    router.put("/products/{id}/stock", [this](Request& r) { return put_stock(r); });
    router.patch("/products/{id}/replenish", [this](Request& r) { return replenish(r); });
    router.get("/products/{id}/stock/movements", [this](Request& r) { return movements(r); });
    router.get("/inventory/low-stock", [this](Request& r) { return low_stock_list(r); });
  }

  std::vector<bus::Subscription> subscriptions() override {
    HandlerOptions options{resources_.config.section<Settings>().low_stock_threshold, {}};
    options.reserved = [&registry = resources_.metrics](const ReserveOutcome& outcome) {
      count_reservation(registry, outcome);
    };
    std::vector<bus::Subscription> all;
    all.push_back(subscription(resources_.db, std::move(options)));
    return all;
  }

 private:
  awaitable<Response> get_stock(Request& request) {
    std::string id(request.path_param("id"));
    std::optional<contracts::Stock> stock;
    if (core::is_uuid(id))
      stock = co_await store_.find(id);
    if (!stock)
      raise_no_stock();
    co_return stock_response(*stock);
  }

  awaitable<Response> replenish(Request& request) {
    const auto& admin = http::require_admin(request);
    std::string id(request.path_param("id"));
    auto input = parse_replenish(http::parse_json_object(request));
    WriteResult result;
    if (core::is_uuid(id)) {
      result = co_await store_.replenish(id, input.quantity, input.reason, admin.user_id,
                                         request.context.traceparent);
    }
    co_return answer_write(request, id, result, "stock replenished");
  }

  awaitable<Response> put_stock(Request& request) {
    const auto& admin = http::require_admin(request);
    std::string id(request.path_param("id"));
    auto input = parse_stock_count(http::parse_json_object(request));
    if (!core::is_uuid(id))
      raise_no_stock();
    // An absolute number overwrites whatever happened since it was read: say which reading.
    std::optional<std::string> if_match;
    if (auto field = request.headers.get("If-Match"))
      if_match = std::string(*field);
    if (!if_match && resources_.config.require_if_match) {
      errors::raise(errors::precondition_required(
          "setting a stock level needs If-Match with the ETag of GET /products/{id}/stock (or "
          "\"*\"); PATCH /products/{id}/replenish adds to it without one"));
    }
    auto result =
        co_await store_.count(id, input.available, input.low_stock_threshold, input.reason,
                              admin.user_id, request.context.traceparent, if_match);
    co_return answer_write(request, id, result, "stock counted");
  }

  awaitable<Response> movements(Request& request) {
    http::require_admin(request);
    std::string id(request.path_param("id"));
    auto page_request = http::page_request(request);
    std::optional<Page<contracts::LedgerEntry>> page;
    if (core::is_uuid(id))
      page = co_await store_.movements(id, page_request.after, page_request.limit);
    if (!page)
      raise_no_stock();
    json::array items;
    for (const auto& entry : page->items)
      items.push_back(contracts::to_json(entry));
    co_return http::page_response(request, std::move(items), page->next_after);
  }

  awaitable<Response> low_stock_list(Request& request) {
    http::require_admin(request);
    auto page_request = http::page_request(request);
    auto page = co_await store_.low_stock(page_request.after, page_request.limit);
    json::array items;
    for (const auto& stock : page.items)
      items.push_back(contracts::to_json(stock));
    co_return http::page_response(request, std::move(items), page.next_after);
  }

  Response answer_write(const Request& request, const std::string& id, const WriteResult& result,
                        std::string_view what) {
    if (result.status == WriteStatus::not_found)
      raise_no_stock();
    if (result.status == WriteStatus::too_large)
      errors::raise(errors::conflict("the stock would exceed the largest amount Ordo keeps"));
    if (result.status == WriteStatus::stale) {
      errors::raise(errors::precondition_failed(
          "the stock has changed since If-Match's reading; fetch it again and retry"));
    }
    log::info(kService, std::string(what),
              {{"productId", id},
               {"available", result.stock->available},
               {"by", request.context.principal->user_id}},
              http::log_context(request));
    return stock_response(*result.stock);
  }

  // The stock with its entity tag, which a later PUT names in If-Match.
  static Response stock_response(const contracts::Stock& stock) {
    auto response = Response::json(200, contracts::to_json(stock));
    response.headers.set("ETag", stock_etag(stock));
    return response;
  }

  host::ServiceResources& resources_;
  InventoryStore store_;
};

}  // namespace

const auto kRegistration = host::register_service<InventoryApi>({.name = "inventory",
                                                                 .port = 3004,
                                                                 .start_order = 3,
                                                                 .migrations = &migrations,
                                                                 .settings = settings_section()});

}  // namespace ordo::services::inventory
