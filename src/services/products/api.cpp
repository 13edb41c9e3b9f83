// The products service's HTTP routes: parse, authorize, call domain and store, answer.
#include <boost/json.hpp>

#include "host/registry.hpp"
#include "platform/core/ids.hpp"
#include "platform/http/conditional.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/log_context.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/pagination.hpp"
#include "platform/http/problem.hpp"
#include "platform/log/log.hpp"
#include "services/products/domain.hpp"
#include "services/products/requests.hpp"
#include "services/products/service.hpp"
#include "services/products/store.hpp"

namespace ordo::services::products {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace json = boost::json;

constexpr std::string_view kService = "products";

std::optional<std::string> header(const Request& request, std::string_view name) {
  auto value = request.headers.get(name);
  if (!value)
    return std::nullopt;
  return std::string(*value);
}

// The product with the headers every representation of it carries.
Response product_response(int status, const contracts::Product& product) {
  auto response = Response::json(status, contracts::to_json(product));
  response.headers.set("ETag", etag(product.version));
  // Cacheable, but revalidated (If-None-Match) each time: a price must not be served stale.
  response.headers.set("Cache-Control", "no-cache");
  return response;
}

[[noreturn]] void raise_not_found() {
  errors::raise(errors::not_found("no such product"));
}

// A write that replaces what the client read must say what it read (If-Match), unless the
// operator relaxed it (http.require_if_match = false).
void require_if_match(const Request& request, const config::Config& config) {
  if (config.require_if_match && !request.headers.has("If-Match")) {
    errors::raise(errors::precondition_required(
        "this change needs If-Match with the product's ETag (from GET /products/{id}), or \"*\" "
        "to overwrite whatever version it has"));
  }
}

// Another writer changed the product between the store's read and its conditional write.
[[noreturn]] void raise_raced() {
  errors::raise(errors::conflict("the product changed concurrently; fetch it and retry"));
}

[[noreturn]] void raise_stale() {
  errors::raise(errors::precondition_failed(
      "the product has changed since If-Match's version; fetch it again and retry"));
}

class ProductsApi final : public host::Service {
 public:
  explicit ProductsApi(host::ServiceResources& resources)
      : resources_(resources), store_(resources.db) {}

  void add_routes(http::Router& router) override {
    router.get("/products", [this](Request& r) { return list(r); });
    router.post("/products", [this](Request& r) { return create(r); });
    router.get("/products/{id}", [this](Request& r) { return get_product(r); });
    router.patch("/products/{id}", [this](Request& r) { return patch_product(r); });
    router.del("/products/{id}", [this](Request& r) { return archive_product(r); });
  }

 private:
  awaitable<Response> create(Request& request) {
    http::require_admin(request);
    auto body = http::parse_json_object(request);
    auto input = parse_new_product(body);
    auto product = co_await store_.create(input, request.context.traceparent);
    if (!product)
      errors::raise(errors::conflict("a product with SKU \"" + input.sku + "\" already exists"));
    log::info(kService, "product created", {{"productId", product->id}, {"sku", product->sku}},
              http::log_context(request));
    auto response = product_response(201, *product);
    response.headers.set("Location", "/products/" + product->id);
    co_return response;
  }

  awaitable<Response> get_product(Request& request) {
    std::string id(request.path_param("id"));
    if (!core::is_uuid(id))
      raise_not_found();
    auto product = co_await store_.find(id);
    if (!product)
      raise_not_found();
    if (auto cached = request.headers.get("If-None-Match");
        cached && http::if_none_match_matches(*cached, etag(product->version))) {
      auto response = Response::empty(304);
      response.headers.set("ETag", etag(product->version));
      response.headers.set("Cache-Control", "no-cache");
      co_return response;
    }
    co_return product_response(200, *product);
  }

  awaitable<Response> patch_product(Request& request) {
    http::require_admin(request);
    std::string id(request.path_param("id"));
    auto body = http::parse_json_object(request);
    auto patch = parse_patch(body);
    if (!core::is_uuid(id))
      raise_not_found();
    require_if_match(request, resources_.config);
    auto if_match = header(request, "If-Match");
    auto outcome = co_await store_.patch(id, patch, if_match, request.context.traceparent);
    if (!outcome)
      raise_not_found();
    switch (outcome->decision) {
      case WriteDecision::stale:
        raise_stale();
      case WriteDecision::archived:
        errors::raise(errors::conflict("the product is archived and can no longer change"));
      case WriteDecision::sku_changed:
        errors::raise(errors::validation_failed({{"sku", "cannot be changed"}}));
      case WriteDecision::raced:
        raise_raced();
      case WriteDecision::proceed:
        break;
    }
    log::info(kService, "product updated",
              {{"productId", id}, {"version", std::to_string(outcome->product.version)}},
              http::log_context(request));
    co_return product_response(200, outcome->product);
  }

  awaitable<Response> archive_product(Request& request) {
    http::require_admin(request);
    std::string id(request.path_param("id"));
    if (!core::is_uuid(id))
      raise_not_found();
    require_if_match(request, resources_.config);
    auto if_match = header(request, "If-Match");
    auto outcome = co_await store_.archive(id, if_match, request.context.traceparent);
    if (!outcome)
      raise_not_found();
    if (outcome->decision == ArchiveDecision::stale)
      raise_stale();
    if (outcome->decision == ArchiveDecision::raced)
      raise_raced();
    if (outcome->decision == ArchiveDecision::archive) {
      log::info(kService, "product archived", {{"productId", id}}, http::log_context(request));
    }
    co_return Response::empty(204);
  }

  awaitable<Response> list(Request& request) {
    ListParams params{request.query_param("q"), request.query_param("category"),
                      request.query_param("minPriceCents"), request.query_param("maxPriceCents"),
                      request.query_param("sort")};
    auto filter = parse_list_filter(params);
    auto page_request = http::page_request(request);
    std::optional<ListPosition> after;
    if (page_request.after) {
      after = decode_position(*page_request.after, filter.sort);
      if (!after) {
        errors::raise(errors::validation_failed(
            {{"cursor", "does not belong to this list (was it made with another sort?)"}}));
      }
    }
    auto page = co_await store_.list(filter, after, page_request.limit);
    json::array items;
    for (const auto& product : page.items)
      items.push_back(contracts::to_json(product));
    std::optional<std::string> next;
    if (page.next)
      next = encode_position(*page.next);
    co_return http::page_response(request, std::move(items), next);
  }

  host::ServiceResources& resources_;
  ProductStore store_;
};

}  // namespace

const auto kRegistration = host::register_service<ProductsApi>(
    {.name = "products", .port = 3002, .start_order = 2, .migrations = &migrations});

}  // namespace ordo::services::products
