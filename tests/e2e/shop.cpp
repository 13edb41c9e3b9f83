#include "shop.hpp"

#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

namespace ordo::e2e {

client::Tagged<contracts::Product> create_tagged_product(Session& admin, const ProductSeed& seed) {
  static std::atomic<int> counter{0};
  client::NewProduct product;
  product.sku = !seed.sku.empty() ? seed.sku
                                  : "E2E-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(counter.fetch_add(1));
  product.name = seed.name;
  product.description = seed.description;
  product.price_cents = seed.price_cents;
  product.currency = seed.currency;
  product.category = seed.category;
  product.attributes = seed.attributes;
  product.initial_stock = seed.stock;
  return admin.run(admin.api().create_product(product));
}

std::string create_product(Session& admin, const ProductSeed& seed) {
  return create_tagged_product(admin, seed).value.id;
}

void expect_stock(Session& session, const std::string& product_id, std::int64_t units) {
  EXPECT_TRUE(eventually([&] { return available(session, product_id) == units; }))
      << "the stock of " << product_id << " never reached " << units
      << " (last: " << available(session, product_id) << ")";
}

client::OrderRequest order_of(const Lines& lines) {
  client::OrderRequest order;
  for (const auto& [product, quantity] : lines)
    order.lines.push_back({product, quantity});
  return order;
}

client::PlacedOrder place_order(Session& buyer, const Lines& lines) {
  return buyer.run(buyer.api().place_order(order_of(lines)));
}

client::PlacedOrder place_order_waiting(Session& buyer, const Lines& lines, int seconds) {
  auto order = order_of(lines);
  order.wait_seconds = seconds;
  return buyer.run(buyer.api().place_order(order));
}

bool reaches_status(Session& session, const std::string& order_id, const std::string& status,
                    std::string* last) {
  std::string seen;
  bool reached = eventually([&] {
    seen = session.run(session.api().order(order_id)).status;
    return seen == status;
  });
  if (last != nullptr)
    *last = seen;
  return reached;
}

std::string confirmed_order(Session& buyer, const Lines& lines) {
  auto placed = place_order(buyer, lines);
  std::string last;
  EXPECT_TRUE(reaches_status(buyer, placed.order.id, "confirmed", &last))
      << "order " << placed.order.id << " stayed " << last;
  return placed.order.id;
}

}  // namespace ordo::e2e
