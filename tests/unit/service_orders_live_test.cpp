// The live order status: terminal states, event names, versions and the order at a version, and
// the SSE event of an order.
#include <gtest/gtest.h>

#include "services/orders/domain.hpp"
#include "services/orders/live.hpp"

namespace ordo::services::orders {
namespace {

contracts::Order cancelled_after_confirmation() {
  contracts::Order order;
  order.id = "0190a000-0000-7000-8000-000000000001";
  order.status = "cancelled";
  order.created_at = "2026-01-01T00:00:00Z";
  order.updated_at = "2026-01-01T00:00:03Z";
  order.history = {{"pending", std::nullopt, "2026-01-01T00:00:00Z"},
                   {"confirmed", std::nullopt, "2026-01-01T00:00:01Z"},
                   {"cancelled", std::string("cancelled by the customer"), "2026-01-01T00:00:03Z"}};
  return order;
}

TEST(OrderLive, OnlyRejectedAndCancelledAreTerminal) {
  EXPECT_FALSE(is_terminal(OrderStatus::pending));
  EXPECT_FALSE(is_terminal(OrderStatus::confirmed));  // may still be cancelled
  EXPECT_TRUE(is_terminal(OrderStatus::rejected));
  EXPECT_TRUE(is_terminal(OrderStatus::cancelled));
  // Terminal means no transition leaves it.
  for (auto from : {OrderStatus::rejected, OrderStatus::cancelled}) {
    for (auto to : {OrderStatus::pending, OrderStatus::confirmed, OrderStatus::rejected,
                    OrderStatus::cancelled})
      EXPECT_FALSE(can_transition(from, to));
  }
}

TEST(OrderLive, EventTypesAreTheCatalogs) {
  EXPECT_EQ(event_type(OrderStatus::pending), "order.created");
  EXPECT_EQ(event_type(OrderStatus::confirmed), "order.confirmed");
  EXPECT_EQ(event_type(OrderStatus::rejected), "order.rejected");
  EXPECT_EQ(event_type(OrderStatus::cancelled), "order.cancelled");
}

TEST(OrderLive, TheOrderAtAnEarlierVersion) {
  auto order = cancelled_after_confirmation();
  EXPECT_EQ(order_version(order), 3);
  auto first = order_at_version(order, 1);
  EXPECT_EQ(first.status, "pending");
  EXPECT_EQ(first.history.size(), 1u);
  EXPECT_EQ(first.updated_at, "2026-01-01T00:00:00Z");
  auto second = order_at_version(order, 2);
  EXPECT_EQ(second.status, "confirmed");
  EXPECT_EQ(second.updated_at, "2026-01-01T00:00:01Z");
  auto now = order_at_version(order, 3);
  EXPECT_EQ(now.status, "cancelled");
  EXPECT_EQ(now.history.size(), 3u);
  EXPECT_EQ(order_at_version(order, 9).status, "cancelled");  // out of range: as it is
}

TEST(OrderLive, ARejectionBelongsOnlyToTheRejectedVersion) {
  contracts::Order order;
  order.status = "rejected";
  order.rejection = contracts::OrderRejection{"insufficient_stock", {}};
  order.history = {{"pending", std::nullopt, "t1"}, {"rejected", std::nullopt, "t2"}};
  EXPECT_FALSE(order_at_version(order, 1).rejection);
  EXPECT_TRUE(order_at_version(order, 2).rejection);
}

TEST(OrderLive, AnEventOfTheOrder) {
  auto order = order_at_version(cancelled_after_confirmation(), 2);
  auto text = order_event(order, 2, true);
  EXPECT_EQ(text.rfind("retry: 2000\nid: 2\nevent: order.confirmed\ndata: {", 0), 0u) << text;
  EXPECT_NE(text.find("\"status\":\"confirmed\""), std::string::npos);
  EXPECT_TRUE(text.ends_with("}\n\n"));
  EXPECT_EQ(order_event(order, 2, false).rfind("id: 2\n", 0), 0u);
}

}  // namespace
}  // namespace ordo::services::orders
