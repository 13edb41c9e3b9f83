// Every JSON body decoder of the API, on one body: the request bodies of each service (read by
// parse_json_object, then the service's parser, which throws one 400 problem) and the response
// shapes of src/contracts (which throw std::exception on a bad shape). Promises: a body either
// decodes or is refused with a documented error; a decoded body encoded again decodes to the same.
#include <boost/json.hpp>

#include "contracts/inventory.hpp"
#include "contracts/notifications.hpp"
#include "contracts/orders.hpp"
#include "contracts/products.hpp"
#include "contracts/users.hpp"
#include "fuzz_support.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/problem.hpp"
#include "services/inventory/requests.hpp"
#include "services/orders/requests.hpp"
#include "services/products/requests.hpp"
#include "services/users/requests.hpp"

namespace {

using namespace ordo;
namespace json = boost::json;
namespace users = services::users;
namespace products = services::products;
namespace orders = services::orders;
namespace inventory = services::inventory;

// Runs a request-body parser (or a domain rule): its value, or nullopt when it refused the body
// with a 400 (or the rule refused it, which the api answers with a 400).
template <typename Parse>
auto request_body(Parse parse, const json::object& body) -> std::optional<decltype(parse(body))> {
  try {
    return parse(body);
  } catch (const errors::ProblemException& problem) {
    fuzz::check(problem.problem().status == 400, "a body refused with another status than 400");
    return std::nullopt;
  } catch (const core::InvalidInput& invalid) {
    fuzz::check(!invalid.errors().empty(), "a rule refused a body without naming a field");
    return std::nullopt;
  }
}

void users_bodies(const json::object& body) {
  if (auto r = request_body(users::parse_registration, body)) {
    fuzz::check(users::normalize_email(r->email) == r->email, "a registered e-mail not normal");
    fuzz::check(!users::password_problem(r->password), "an unacceptable password accepted");
    json::object again{{"email", r->email}, {"password", r->password}, {"name", r->name}};
    auto copy = users::parse_registration(again);
    fuzz::check(copy.email == r->email && copy.name == r->name && copy.password == r->password,
                "a registration does not re-encode");
  }
  request_body(users::parse_credentials, body);
  if (auto token = request_body(users::parse_refresh_token_field, body)) {
    if (auto parts = users::parse_refresh_token(*token))
      fuzz::check(users::refresh_token_text(*parts) == *token,
                  "a refresh token does not re-encode");
  }
  if (auto patch = request_body(users::parse_user_patch, body)) {
    json::object again;
    if (patch->role)
      again["role"] = *patch->role;
    if (patch->active)
      again["active"] = *patch->active;
    auto copy = users::parse_user_patch(again);
    fuzz::check(copy.role == patch->role && copy.active == patch->active,
                "a user patch does not re-encode");
  }
}

json::object product_json(const products::NewProduct& p) {
  return {{"sku", p.sku},
          {"name", p.name},
          {"description", p.description},
          {"priceCents", p.price_cents},
          {"currency", p.currency},
          {"category", p.category},
          {"attributes", p.attributes},
          {"initialStock", p.initial_stock}};
}

void products_bodies(const json::object& body) {
  if (auto p = request_body(products::parse_new_product, body)) {
    auto again = products::parse_new_product(product_json(*p));
    fuzz::check(product_json(again) == product_json(*p), "a new product does not re-encode");
  }
  if (auto patch = request_body(products::parse_patch, body)) {
    contracts::Product stored;
    stored.sku = "SKU-1";
    auto patched = products::apply_patch(stored, *patch, "2026-01-01T00:00:00.000Z");
    fuzz::check(patched.version == stored.version + 1, "a patch did not bump the version");
  }
}

void orders_bodies(const json::object& body) {
  if (auto order = request_body(orders::parse_place_order, body)) {
    json::array items;
    std::map<std::string, orders::CatalogEntry> catalog;
    for (const auto& line : order->lines) {
      items.push_back(json::object{{"productId", line.product_id}, {"quantity", line.quantity}});
      catalog[line.product_id] = {line.product_id, "SKU", "name", 999'999'999'999,
                                  "EUR",           "",    true,   1};
    }
    json::object again{{"items", std::move(items)}};
    if (order->note)
      again["note"] = *order->note;
    auto copy = orders::parse_place_order(again);
    fuzz::check(orders::request_hash(copy) == orders::request_hash(*order),
                "an order request does not re-encode");
    request_body([&](const json::object&) { return orders::price_order(*order, catalog); }, body);
  }
  if (auto entry = orders::catalog_entry_from_product_json(body))
    fuzz::check(!entry->product_id.empty(), "a catalog entry without a product id");
}

void inventory_bodies(const json::object& body) {
  if (auto r = request_body(inventory::parse_replenish, body)) {
    auto copy = inventory::parse_replenish(contracts::to_json(*r).as_object());
    fuzz::check(copy.quantity == r->quantity && copy.reason == r->reason,
                "a replenish request does not re-encode");
  }
  if (auto r = request_body(inventory::parse_stock_count, body)) {
    auto copy = inventory::parse_stock_count(contracts::to_json(*r).as_object());
    fuzz::check(copy.available == r->available && copy.reason == r->reason &&
                    copy.low_stock_threshold == r->low_stock_threshold,
                "a stock count does not re-encode");
  }
}

// A response shape: decoded, encoded and decoded again, it encodes the same.
template <typename Decode>
void response_shape(Decode decode, const json::value& body) {
  json::value encoded;
  try {
    encoded = contracts::to_json(decode(body));
  } catch (const std::exception&) {
    return;  // a bad shape: documented
  }
  fuzz::check(contracts::to_json(decode(encoded)) == encoded, "a response does not re-encode");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    http::Request request;
    request.headers.set("Content-Type", "application/json");
    request.body = std::string(fuzz::as_text(data, size));
    json::object body;
    try {
      body = http::parse_json_object(request);
    } catch (const errors::ProblemException& problem) {
      fuzz::check(problem.problem().status == 400, "a body refused with another status");
      return 0;
    }
    // Services store parts of a body as JSON text (product attributes) and read them back.
    boost::system::error_code ec;
    json::parse(json::serialize(body), ec);
    fuzz::check(!ec, "an accepted body cannot be written back as JSON");
    users_bodies(body);
    products_bodies(body);
    orders_bodies(body);
    inventory_bodies(body);
    json::value value(body);
    response_shape(contracts::user_from_json, value);
    response_shape(contracts::token_pair_from_json, value);
    response_shape(contracts::product_from_json, value);
    response_shape(contracts::order_from_json, value);
    response_shape(contracts::order_rejection_from_json, value);
    response_shape(contracts::stock_from_json, value);
    response_shape(contracts::ledger_entry_from_json, value);
    response_shape(contracts::notification_from_json, value);
  } catch (const std::exception& e) {
    fuzz::violated(std::string("unexpected exception: ") + e.what());
  }
  return 0;
}
