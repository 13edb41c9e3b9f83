// Setting up a shop through the typed client (src/client): the products and orders most tests
// need before their own checks. Tests of the wire itself (headers, bad bodies, statuses) build
// their requests by hand with Session::request; everything else goes through these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/api_client.hpp"
#include "harness.hpp"

namespace ordo::e2e {

// A product to create: a unique SKU is made when sku is empty.
struct ProductSeed {
  std::string name = "Test mug";
  std::optional<std::int64_t> stock;  // initialStock
  std::int64_t price_cents = 1250;
  std::string currency = "EUR";
  std::string category = "tests";
  boost::json::object attributes{};
  std::string sku{};
  std::string description = "a test product";
};

// Creates the product as the (admin) session; returns its id. Throws client::ApiError.
std::string create_product(Session& admin, const ProductSeed& seed);
// The same, with the created product and its ETag.
client::Tagged<contracts::Product> create_tagged_product(Session& admin, const ProductSeed& seed);

// Inventory learns of a product from its event; orders placed before would be rejected.
// Waits until the product's stock is visible with `available` units; fails the test if not.
void expect_stock(Session& session, const std::string& product_id, std::int64_t available);

// One line per product, then POST /orders through the client (201 or 202; else ApiError).
using Lines = std::vector<std::pair<std::string, std::int64_t>>;
client::OrderRequest order_of(const Lines& lines);
client::PlacedOrder place_order(Session& buyer, const Lines& lines);
// With Prefer: wait=seconds, so the answer carries a final order when it came in time.
client::PlacedOrder place_order_waiting(Session& buyer, const Lines& lines, int seconds = 10);

// Places the order and waits until it is confirmed (fails the test if it is not); its id.
std::string confirmed_order(Session& buyer, const Lines& lines);
// Whether the order reaches the status before the deadline (the last status seen in `last`).
bool reaches_status(Session& session, const std::string& order_id, const std::string& status,
                    std::string* last = nullptr);

}  // namespace ordo::e2e
