// Reading the inventory service's request bodies: the admin's replenish and stock count.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "platform/http/problem.hpp"
#include "problem_test_support.hpp"
#include "services/inventory/domain.hpp"
#include "services/inventory/requests.hpp"

namespace ordo::services::inventory {
namespace {

boost::json::object body(std::string_view text) {
  return boost::json::parse(text).as_object();
}

// The fields of the 400 problem parse raised for this body.
template <typename Parse>
std::vector<std::string> refused_fields(Parse parse, std::string_view text) {
  return testing::problem_fields([&] { parse(body(text)); });
}

using Fields = std::vector<std::string>;

TEST(InventoryRequests, ReplenishTakesAQuantityAndAnOptionalReason) {
  auto replenish = parse_replenish(body(R"({"quantity":5,"reason":"delivery"})"));
  EXPECT_EQ(replenish.quantity, 5);
  EXPECT_EQ(replenish.reason, "delivery");
  EXPECT_EQ(parse_replenish(body(R"({"quantity":1})")).reason, std::nullopt);
  EXPECT_EQ(refused_fields(parse_replenish, R"({"quantity":0})"), Fields{"quantity"});
  EXPECT_EQ(refused_fields(parse_replenish, R"({"quantity":1000000001})"), Fields{"quantity"});
  EXPECT_EQ(refused_fields(parse_replenish, "{}"), Fields{"quantity"});
  auto long_reason = std::string(kMaxNoteLength + 1, 'r');
  EXPECT_EQ(refused_fields(parse_replenish, R"({"quantity":"x","reason":")" + long_reason + "\"}"),
            (Fields{"quantity", "reason"}));
}

TEST(InventoryRequests, StockCountTakesAvailableReasonAndThreshold) {
  auto count = parse_stock_count(body(R"({"available":0,"lowStockThreshold":3})"));
  EXPECT_EQ(count.available, 0);
  EXPECT_EQ(count.low_stock_threshold, 3);
  EXPECT_EQ(count.reason, std::nullopt);
  EXPECT_EQ(refused_fields(parse_stock_count, R"({"available":-1,"lowStockThreshold":-1})"),
            (Fields{"available", "lowStockThreshold"}));
}

}  // namespace
}  // namespace ordo::services::inventory
