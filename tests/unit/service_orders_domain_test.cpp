// The orders domain: the state machine, line merging, the idempotency key and pricing with
// overflow checks. (Reading the request: service_orders_requests_test.cpp.)
#include <climits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "services/orders/domain.hpp"

namespace ordo::services::orders {
namespace {

constexpr const char* kA = "0190a000-0000-7000-8000-00000000000a";
constexpr const char* kB = "0190a000-0000-7000-8000-00000000000b";
constexpr const char* kC = "0190a000-0000-7000-8000-00000000000c";

// An order of distinct products, each line at its position in the request.
PlaceOrderRequest order_of(const std::vector<std::pair<std::string, std::int64_t>>& lines) {
  PlaceOrderRequest request;
  for (std::size_t i = 0; i < lines.size(); ++i)
    request.lines.push_back({lines[i].first, lines[i].second, i});
  return request;
}

// The field errors of the core::InvalidInput fn throws (fails the test when it does not throw).
template <typename Fn>
std::map<std::string, std::string> field_errors(Fn fn) {
  std::map<std::string, std::string> fields;
  try {
    fn();
    ADD_FAILURE() << "expected invalid input";
  } catch (const core::InvalidInput& e) {
    for (const auto& error : e.errors())
      fields[error.field] = error.message;
  }
  return fields;
}

CatalogEntry product(std::string id, std::int64_t price, std::string currency = "EUR",
                     bool active = true) {
  return {id, "SKU-" + id.substr(34), "Product " + id.substr(34), price, currency, "", active, 1};
}

// ---------------------------------------------------------------------------------------------
// The state machine

TEST(OrdersStateMachine, AllowsOnlyTheDocumentedTransitions) {
  using S = OrderStatus;
  const S all[] = {S::pending, S::confirmed, S::rejected, S::cancelled};
  for (S from : all) {
    for (S to : all) {
      bool expected = (from == S::pending && (to == S::confirmed || to == S::rejected)) ||
                      ((from == S::pending || from == S::confirmed) && to == S::cancelled);
      EXPECT_EQ(can_transition(from, to), expected) << to_string(from) << " -> " << to_string(to);
    }
  }
}

TEST(OrdersStateMachine, FinalStatesAndNames) {
  EXPECT_FALSE(is_final(OrderStatus::pending));
  EXPECT_TRUE(is_final(OrderStatus::confirmed));
  EXPECT_TRUE(is_final(OrderStatus::rejected));
  EXPECT_TRUE(is_final(OrderStatus::cancelled));
  for (auto status : {OrderStatus::pending, OrderStatus::confirmed, OrderStatus::rejected,
                      OrderStatus::cancelled}) {
    EXPECT_EQ(parse_status(to_string(status)), status);
  }
  EXPECT_EQ(parse_status("Pending"), std::nullopt);
  EXPECT_EQ(parse_status("shipped"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Merging lines

TEST(OrdersLines, MergesByProductInOrderOfFirstAppearance) {
  auto merged = merge_lines({{kB, 1, 0}, {kA, 2, 1}, {kB, 3, 2}});
  EXPECT_TRUE(merged.errors.empty());
  ASSERT_EQ(merged.lines.size(), 2u);
  EXPECT_EQ(merged.lines[0].product_id, kB);
  EXPECT_EQ(merged.lines[0].quantity, 4);
  EXPECT_EQ(merged.lines[0].first_index, 0u);
  EXPECT_EQ(merged.lines[1].product_id, kA);
  EXPECT_EQ(merged.lines[1].first_index, 1u);
}

TEST(OrdersLines, NamesEachLineThatPushesAProductOverTheLimit) {
  auto merged = merge_lines({{kA, 6000, 0}, {kA, 5000, 1}, {kA, 1, 2}});
  ASSERT_EQ(merged.errors.size(), 2u);
  EXPECT_EQ(merged.errors[0].field, "items[1].quantity");
  EXPECT_EQ(merged.errors[1].field, "items[2].quantity");
  EXPECT_EQ(merged.lines[0].quantity, kMaxQuantity);
  EXPECT_EQ(item_field(7, "productId"), "items[7].productId");
}

// ---------------------------------------------------------------------------------------------
// The idempotency key

TEST(OrdersIdempotency, KeyIsOneToTwoHundredPrintableCharacters) {
  EXPECT_TRUE(valid_idempotency_key("a"));
  EXPECT_TRUE(valid_idempotency_key("order 2026-01-01 #1"));
  EXPECT_TRUE(valid_idempotency_key(std::string(200, 'k')));
  EXPECT_FALSE(valid_idempotency_key(""));
  EXPECT_FALSE(valid_idempotency_key(std::string(201, 'k')));
  EXPECT_FALSE(valid_idempotency_key("tab\there"));
  EXPECT_FALSE(valid_idempotency_key("caf\xc3\xa9"));
}

// ---------------------------------------------------------------------------------------------
// Pricing

TEST(OrdersPricing, CopiesCatalogPricesAndSumsLines) {
  std::map<std::string, CatalogEntry> catalog{{kA, product(kA, 250)}, {kB, product(kB, 1999)}};
  auto request = order_of({{kA, 4}, {kB, 2}});
  auto priced = price_order(request, catalog);
  ASSERT_EQ(priced.items.size(), 2u);
  EXPECT_EQ(priced.items[0].unit_price_cents, 250);
  EXPECT_EQ(priced.items[0].line_total_cents, 1000);
  EXPECT_EQ(priced.items[1].line_total_cents, 3998);
  EXPECT_EQ(priced.items[1].sku, catalog[kB].sku);
  EXPECT_EQ(priced.total_cents, 4998);
  EXPECT_EQ(priced.currency, "EUR");
}

TEST(OrdersPricing, UnknownArchivedAndMixedCurrencyProductsAreNamed) {
  std::map<std::string, CatalogEntry> catalog{{kB, product(kB, 100, "EUR", false)},
                                              {kC, product(kC, 100, "USD")},
                                              {kA, product(kA, 100, "EUR")}};
  auto request = order_of({{kA, 1}, {"0190a000-0000-7000-8000-0000000000ff", 1}, {kB, 1}, {kC, 1}});
  auto errors = field_errors([&] { price_order(request, catalog); });
  EXPECT_EQ(errors["items[1].productId"], "unknown product");
  EXPECT_EQ(errors["items[2].productId"], "product is archived");
  EXPECT_TRUE(errors.contains("items[3].productId"));  // USD in an EUR order
}

TEST(OrdersPricing, OverflowIsABadRequestNotAWrongTotal) {
  std::map<std::string, CatalogEntry> catalog{{kA, product(kA, INT64_MAX / 2)},
                                              {kB, product(kB, INT64_MAX / 2)},
                                              {kC, product(kC, INT64_MAX / 4)}};
  auto line_overflow = order_of({{kA, 3}});
  EXPECT_TRUE(
      field_errors([&] { price_order(line_overflow, catalog); }).contains("items[0].quantity"));
  auto total_overflow = order_of({{kA, 1}, {kB, 1}, {kC, 1}});
  EXPECT_TRUE(field_errors([&] { price_order(total_overflow, catalog); }).contains("items"));
  auto fits = order_of({{kA, 1}, {kB, 1}});
  EXPECT_EQ(price_order(fits, catalog).total_cents, (INT64_MAX / 2) * 2);
}

}  // namespace
}  // namespace ordo::services::orders
