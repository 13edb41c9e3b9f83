// Notifications domain: message texts per event type, low-stock recipients, money, retries.
#include <gtest/gtest.h>

#include "services/notifications/channel.hpp"
#include "services/notifications/domain.hpp"

namespace ordo::services::notifications {
namespace {
namespace events = contracts::events;
using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

events::OrderStatusChanged order(std::string status) {
  events::OrderStatusChanged o;
  o.order_id = "0190a0b0-0000-7000-8000-000000000001";
  o.user_id = "0190a0b0-0000-7000-8000-0000000000aa";
  o.status = std::move(status);
  o.total_cents = 12'345;
  o.currency = "EUR";
  o.lines = {{"p-1", 3, 4'115}};
  return o;
}

TEST(NotificationsMoney, UsesTheCurrencyDecimals) {
  EXPECT_EQ(format_money(12'345, "EUR"), "123.45 EUR");
  EXPECT_EQ(format_money(5, "USD"), "0.05 USD");
  EXPECT_EQ(format_money(0, "USD"), "0.00 USD");
  EXPECT_EQ(format_money(1'500, "JPY"), "1500 JPY");
  EXPECT_EQ(format_money(1'234, "KWD"), "1.234 KWD");
  EXPECT_EQ(format_money(-250, "EUR"), "-2.50 EUR");
  EXPECT_EQ(format_money(INT64_MIN, "EUR"), "-92233720368547758.08 EUR");
}

TEST(NotificationsMessages, WelcomeGreetsByNameWithoutNamingInTheSubject) {
  events::UserRegistered user{"u-1", "ann@example.com", "Ann", "user", true};
  auto message = welcome_message(user);
  EXPECT_EQ(message.subject, "Welcome to Ordo");
  EXPECT_TRUE(contains(message.body, "Ann"));
  EXPECT_TRUE(contains(message.body, "ann@example.com"));
  EXPECT_EQ(message.data.at("userId").as_string(), "u-1");
}

TEST(NotificationsMessages, ConfirmedNamesOrderAndTotal) {
  auto o = order("confirmed");
  auto message = order_message(events::kOrderConfirmed, o);
  EXPECT_TRUE(contains(message.subject, o.order_id));
  EXPECT_TRUE(contains(message.subject, "confirmed"));
  EXPECT_TRUE(contains(message.body, o.order_id));
  EXPECT_TRUE(contains(message.body, "123.45 EUR"));
  EXPECT_EQ(message.data.at("orderId").as_string(), o.order_id);
  EXPECT_EQ(message.data.at("totalCents").as_int64(), 12'345);
}

TEST(NotificationsMessages, RejectedGivesTheReasonAndShortLines) {
  auto o = order("rejected");
  o.rejection = events::InventoryRejected{o.order_id, "insufficient_stock", {{"p-1", 8, 7}}};
  auto message = order_message(events::kOrderRejected, o);
  EXPECT_TRUE(contains(message.subject, "rejected"));
  EXPECT_TRUE(contains(message.body, o.order_id));
  EXPECT_TRUE(contains(message.body, "123.45 EUR"));
  EXPECT_TRUE(contains(message.body, "not enough stock"));
  EXPECT_TRUE(contains(message.body, "product p-1: requested 8, available 7"));
  EXPECT_EQ(message.data.at("reason").as_string(), "insufficient_stock");
}

TEST(NotificationsMessages, RejectedWithoutDetailsStillReads) {
  auto message = order_message(events::kOrderRejected, order("rejected"));
  EXPECT_TRUE(contains(message.body, "was rejected"));
  EXPECT_FALSE(message.data.contains("reason"));
}

TEST(NotificationsMessages, CancelledMentionsReleaseOnlyWhenItWasConfirmed) {
  auto o = order("cancelled");
  o.previous_status = "confirmed";
  auto message = order_message(events::kOrderCancelled, o);
  EXPECT_TRUE(contains(message.subject, "cancelled"));
  EXPECT_TRUE(contains(message.body, "123.45 EUR"));
  EXPECT_TRUE(contains(message.body, "released"));
  o.previous_status = "pending";
  EXPECT_FALSE(contains(order_message(events::kOrderCancelled, o).body, "released"));
}

TEST(NotificationsMessages, LowStockNamesProductAndNumbers) {
  auto message = low_stock_message(events::LowStock{"p-9", 2, 5});
  EXPECT_TRUE(contains(message.subject, "p-9"));
  EXPECT_TRUE(contains(message.body, "2 units"));
  EXPECT_TRUE(contains(message.body, "threshold of 5"));
  EXPECT_EQ(message.data.at("available").as_int64(), 2);
}

TEST(NotificationsRecipients, LowStockGoesToEveryActiveAdminOnly) {
  std::vector<Recipient> view{{"a1", "a1@x.io", "A1", "admin", true},
                              {"u1", "u1@x.io", "U1", "user", true},
                              {"a2", "a2@x.io", "A2", "admin", false},
                              {"a3", "a3@x.io", "A3", "admin", true}};
  auto chosen = low_stock_recipients(view);
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0].user_id, "a1");
  EXPECT_EQ(chosen[1].user_id, "a3");
  EXPECT_TRUE(low_stock_recipients({}).empty());
}

TEST(NotificationsRetry, BacksOffExponentiallyThenGivesUp) {
  RetryPolicy policy{5, 1'000ms, 60'000ms};
  EXPECT_EQ(retry_delay(policy, 1), 1'000ms);
  EXPECT_EQ(retry_delay(policy, 2), 2'000ms);
  EXPECT_EQ(retry_delay(policy, 3), 4'000ms);
  EXPECT_EQ(retry_delay(policy, 4), 8'000ms);
  EXPECT_EQ(retry_delay(policy, 5), std::nullopt);
  RetryPolicy capped{50, 1'000ms, 3'000ms};
  EXPECT_EQ(retry_delay(capped, 40), 3'000ms);
}

TEST(NotificationsStatus, KnowsItsStatuses) {
  EXPECT_TRUE(is_status("pending"));
  EXPECT_TRUE(is_status("delivered"));
  EXPECT_TRUE(is_status("failed"));
  EXPECT_FALSE(is_status("sent"));
  EXPECT_FALSE(is_status(""));
}

TEST(NotificationsChannels, BuildsTheNamedChannels) {
  auto channels = make_channels(default_channel_names());
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(channels[0]->name(), "log");
  EXPECT_THROW(make_channels({"smtp-later"}), std::invalid_argument);
  EXPECT_THROW(make_channels({"log", "log"}), std::invalid_argument);
}

}  // namespace
}  // namespace ordo::services::notifications
