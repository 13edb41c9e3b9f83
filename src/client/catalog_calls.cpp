// The client's products and stock calls.
#include <boost/json.hpp>

#include "client/api_client.hpp"
#include "client/pages.hpp"

namespace ordo::client {
namespace json = boost::json;

namespace {

http::Headers if_match_header(const std::string& etag) {
  http::Headers headers;
  if (!etag.empty())
    headers.set("If-Match", etag);
  return headers;
}

}  // namespace

boost::asio::awaitable<Page<contracts::Product>> ApiClient::products(const Query& query) {
  co_return read_page(co_await call("GET", with_query("/products", query), {}, 200),
                      contracts::product_from_json);
}

boost::asio::awaitable<Tagged<contracts::Product>> ApiClient::product(const std::string& id) {
  auto answer = co_await exchange("GET", "/products/" + id, {}, 200);
  co_return Tagged<contracts::Product>{contracts::product_from_json(answer.document),
                                       etag_of(answer.response)};
}

boost::asio::awaitable<Tagged<contracts::Product>> ApiClient::create_product(
    const json::object& product) {
  auto answer = co_await exchange("POST", "/products", json::serialize(product), 201);
  co_return Tagged<contracts::Product>{contracts::product_from_json(answer.document),
                                       etag_of(answer.response)};
}

boost::asio::awaitable<Tagged<contracts::Product>> ApiClient::create_product(
    const NewProduct& product) {
  co_return co_await create_product(to_json(product));
}

json::object to_json(const NewProduct& product) {
  json::object body{{"sku", product.sku},
                    {"name", product.name},
                    {"priceCents", product.price_cents},
                    {"currency", product.currency}};
  if (!product.description.empty())
    body["description"] = product.description;
  if (!product.category.empty())
    body["category"] = product.category;
  if (!product.attributes.empty())
    body["attributes"] = product.attributes;
  if (product.initial_stock)
    body["initialStock"] = *product.initial_stock;
  return body;
}

boost::asio::awaitable<Tagged<contracts::Product>> ApiClient::patch_product(
    const std::string& id, const json::object& changes, const std::string& if_match) {
  auto answer = co_await exchange("PATCH", "/products/" + id, json::serialize(changes), 200,
                                  if_match_header(if_match));
  co_return Tagged<contracts::Product>{contracts::product_from_json(answer.document),
                                       etag_of(answer.response)};
}

boost::asio::awaitable<void> ApiClient::archive_product(const std::string& id,
                                                        const std::string& if_match) {
  co_await exchange("DELETE", "/products/" + id, {}, 204, if_match_header(if_match));
}

boost::asio::awaitable<Tagged<contracts::Stock>> ApiClient::stock(const std::string& product_id) {
  auto answer = co_await exchange("GET", "/products/" + product_id + "/stock", {}, 200);
  co_return Tagged<contracts::Stock>{contracts::stock_from_json(answer.document),
                                     etag_of(answer.response)};
}

boost::asio::awaitable<Tagged<contracts::Stock>> ApiClient::set_stock(
    const std::string& product_id, const contracts::StockCountRequest& count,
    const std::string& if_match) {
  auto answer =
      co_await exchange("PUT", "/products/" + product_id + "/stock",
                        json::serialize(contracts::to_json(count)), 200, if_match_header(if_match));
  co_return Tagged<contracts::Stock>{contracts::stock_from_json(answer.document),
                                     etag_of(answer.response)};
}

boost::asio::awaitable<Tagged<contracts::Stock>> ApiClient::replenish(
    const std::string& product_id, const contracts::ReplenishRequest& request) {
  auto answer = co_await exchange("PATCH", "/products/" + product_id + "/replenish",
                                  json::serialize(contracts::to_json(request)), 200);
  co_return Tagged<contracts::Stock>{contracts::stock_from_json(answer.document),
                                     etag_of(answer.response)};
}

boost::asio::awaitable<Page<contracts::LedgerEntry>> ApiClient::stock_movements(
    const std::string& product_id, const Query& query) {
  auto target = with_query("/products/" + product_id + "/stock/movements", query);
  co_return read_page(co_await call("GET", std::move(target), {}, 200),
                      contracts::ledger_entry_from_json);
}

boost::asio::awaitable<Page<contracts::Stock>> ApiClient::low_stock(const Query& query) {
  co_return read_page(co_await call("GET", with_query("/inventory/low-stock", query), {}, 200),
                      contracts::stock_from_json);
}

}  // namespace ordo::client
