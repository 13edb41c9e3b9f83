// The inventory domain: merging order lines, the low-stock crossing rule, rejections.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "platform/http/conditional.hpp"
#include "services/inventory/domain.hpp"

namespace ordo::services::inventory {
namespace {

using contracts::events::OrderLine;

TEST(InventoryMergeLines, SumsDuplicatesAndSortsByProduct) {
  std::vector<OrderLine> lines{{"b", 2, 100}, {"a", 1, 50}, {"b", 3, 100}};
  auto merged = merge_lines(lines);
  ASSERT_TRUE(merged);
  std::vector<Line> expected{{"a", 1}, {"b", 5}};
  EXPECT_EQ(*merged, expected);
}

TEST(InventoryMergeLines, RefusesWhatCannotBeReserved) {
  EXPECT_FALSE(merge_lines({}));
  std::vector<OrderLine> empty_product{{"", 1, 0}};
  EXPECT_FALSE(merge_lines(empty_product));
  std::vector<OrderLine> zero{{"a", 0, 0}};
  EXPECT_FALSE(merge_lines(zero));
  std::vector<OrderLine> negative{{"a", -3, 0}};
  EXPECT_FALSE(merge_lines(negative));
}

TEST(InventoryMergeLines, RefusesSumsBeyondTheLargestStock) {
  std::vector<OrderLine> huge{{"a", kMaxStock, 0}, {"a", 1, 0}};
  EXPECT_FALSE(merge_lines(huge));
  std::vector<OrderLine> overflow{{"a", INT64_MAX, 0}, {"a", INT64_MAX, 0}};
  EXPECT_FALSE(merge_lines(overflow));
  std::vector<OrderLine> at_limit{{"a", kMaxStock - 1, 0}, {"a", 1, 0}};
  ASSERT_TRUE(merge_lines(at_limit));
  EXPECT_EQ(merge_lines(at_limit)->front().quantity, kMaxStock);
}

TEST(InventoryLowStock, CrossingDownIsAnnouncedOnce) {
  EXPECT_EQ(low_stock_change(6, 5, false), LowStockChange::none);
  EXPECT_EQ(low_stock_change(5, 5, false), LowStockChange::crossed);  // "at or under"
  EXPECT_EQ(low_stock_change(0, 5, false), LowStockChange::crossed);
  EXPECT_EQ(low_stock_change(4, 5, true), LowStockChange::none);  // already announced
}

TEST(InventoryLowStock, RisingAboveClearsTheFlag) {
  EXPECT_EQ(low_stock_change(6, 5, true), LowStockChange::recovered);
  EXPECT_EQ(low_stock_change(5, 5, true), LowStockChange::none);
  EXPECT_EQ(low_stock_change(1, 0, true), LowStockChange::recovered);
  EXPECT_EQ(low_stock_change(0, 0, false), LowStockChange::crossed);
}

TEST(InventoryRejection, ListsOnlyTheShortLinesWithWhatThereIs) {
  std::vector<Line> lines{{"a", 3}, {"b", 8}, {"c", 2}};
  std::map<std::string, std::int64_t> available{{"a", 10}, {"b", 7}, {"c", 1}};
  auto rejection = build_rejection("o1", lines, available);
  ASSERT_TRUE(rejection);
  EXPECT_EQ(rejection->order_id, "o1");
  EXPECT_EQ(rejection->reason, "insufficient_stock");
  ASSERT_EQ(rejection->lines.size(), 2u);
  EXPECT_EQ(rejection->lines[0].product_id, "b");
  EXPECT_EQ(rejection->lines[0].requested, 8);
  EXPECT_EQ(rejection->lines[0].available, 7);
  EXPECT_EQ(rejection->lines[1].product_id, "c");
  EXPECT_EQ(rejection->lines[1].available, 1);
}

TEST(InventoryRejection, UnknownProductsComeFirst) {
  std::vector<Line> lines{{"a", 3}, {"ghost", 1}};
  std::map<std::string, std::int64_t> available{{"a", 0}};
  auto rejection = build_rejection("o1", lines, available);
  ASSERT_TRUE(rejection);
  EXPECT_EQ(rejection->reason, "unknown_product");
  ASSERT_EQ(rejection->lines.size(), 1u);
  EXPECT_EQ(rejection->lines[0].product_id, "ghost");
  EXPECT_EQ(rejection->lines[0].available, 0);
}

TEST(InventoryRejection, ArchivedProductsComeAfterUnknownOnesAndBeforeShortOnes) {
  std::vector<Line> lines{{"a", 3}, {"old", 1}, {"short", 9}};
  std::map<std::string, std::int64_t> available{{"a", 5}, {"old", 4}, {"short", 1}};
  auto rejection = build_rejection("o1", lines, available, {"old"});
  ASSERT_TRUE(rejection);
  EXPECT_EQ(rejection->reason, "product_archived");
  ASSERT_EQ(rejection->lines.size(), 1u);
  EXPECT_EQ(rejection->lines[0].product_id, "old");
  EXPECT_EQ(rejection->lines[0].available, 4);
  lines.push_back({"ghost", 1});
  EXPECT_EQ(build_rejection("o1", lines, available, {"old"})->reason, "unknown_product");
}

TEST(InventoryRejection, NoneWhenEverythingFits) {
  std::vector<Line> lines{{"a", 3}};
  std::map<std::string, std::int64_t> available{{"a", 3}};
  EXPECT_FALSE(build_rejection("o1", lines, available));
}

TEST(InventoryGrace, YoungEventsMayWaitForTheirProduct) {
  EXPECT_TRUE(within_grace(1'000, 1'000));
  EXPECT_TRUE(within_grace(1'000, 1'000 + kUnknownProductGraceMs - 1));
  EXPECT_FALSE(within_grace(1'000, 1'000 + kUnknownProductGraceMs));
  EXPECT_FALSE(within_grace(std::nullopt, 1'000));
}

TEST(InventoryLines, CarryNoMoney) {
  std::vector<Line> lines{{"a", 2}};
  auto out = to_order_lines(lines);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].product_id, "a");
  EXPECT_EQ(out[0].quantity, 2);
  EXPECT_EQ(out[0].unit_price_cents, 0);
}

TEST(InventoryStockTag, ChangesWithEveryNumberAndIsMatchedStrongly) {
  contracts::Stock stock{"p", 5, 1, 2, "2026-01-01T00:00:00Z"};
  auto tag = stock_etag(stock);
  EXPECT_TRUE(tag.starts_with('"') && tag.ends_with('"')) << tag;
  EXPECT_EQ(stock_etag(stock), tag);  // a pure function of the state
  for (auto changed : {contracts::Stock{"p", 6, 1, 2, stock.updated_at},
                       contracts::Stock{"p", 5, 2, 2, stock.updated_at},
                       contracts::Stock{"p", 5, 1, 3, stock.updated_at},
                       contracts::Stock{"p", 5, 1, 2, "2026-01-01T00:00:01Z"}}) {
    EXPECT_NE(stock_etag(changed), tag);
  }
  EXPECT_TRUE(http::if_match_satisfied(tag, tag));
  EXPECT_TRUE(http::if_match_satisfied("*", tag));
  EXPECT_TRUE(http::if_match_satisfied("\"other\", " + tag, tag));
  EXPECT_FALSE(http::if_match_satisfied("W/" + tag, tag));
  EXPECT_FALSE(http::if_match_satisfied("\"other\"", tag));
  EXPECT_FALSE(http::if_match_satisfied("", tag));
}

}  // namespace
}  // namespace ordo::services::inventory
