// Notifications against a real SQLite database: the consumer (through the inbox), the recipients
// view, the store's queries and the dispatcher with its retries.
#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "postgres_test_support.hpp"
#include "services/notifications/consumes.hpp"
#include "services/notifications/dispatcher.hpp"
#include "services/notifications/log_channel.hpp"
#include "services/notifications/service.hpp"
#include "services/notifications/store.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::notifications {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;
using namespace std::chrono_literals;
using ordo::testing::run_async;

// A channel of our own interface that fails its first `failures` deliveries, then succeeds.
class FlakyChannel final : public Channel {
 public:
  explicit FlakyChannel(int failures) : failures_(failures) {}
  std::string_view name() const override { return "log"; }
  asio::awaitable<void> deliver(const Notification& notification,
                                const Recipient& recipient) override {
    ++calls;
    if (calls <= failures_)
      throw std::runtime_error("boom " + std::to_string(calls));
    delivered.push_back(notification.id);
    recipients.push_back(recipient);
    co_return;
  }
  int calls = 0;
  std::vector<std::string> delivered;
  std::vector<Recipient> recipients;

 private:
  int failures_;
};

bus::CloudEvent user_event(std::string_view type, const std::string& id, const std::string& role,
                           bool active = true) {
  events::UserRegistered user{id, id.substr(0, 8) + "@example.com", "User " + id.substr(0, 4), role,
                              active};
  return bus::make_event("/ordo/users", std::string(type), id, events::to_json(user), "");
}

bus::CloudEvent order_event(std::string_view type, const std::string& order_id,
                            const std::string& user_id) {
  events::OrderStatusChanged order;
  order.order_id = order_id;
  order.user_id = user_id;
  order.status = std::string(type.substr(type.find('.') + 1));
  order.total_cents = 999;
  order.currency = "EUR";
  order.lines = {{"p-1", 1, 999}};
  return bus::make_event("/ordo/orders", std::string(type), order_id, events::to_json(order), "");
}

bus::CloudEvent low_stock_event(const std::string& product_id) {
  events::LowStock low{product_id, 1, 5};
  return bus::make_event("/ordo/inventory", std::string(events::kInventoryLowStock), product_id,
                         events::to_json(low), "");
}

class NotificationsStoreTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // the poison and retry warnings are expected here
    db_ = ordo::testing::open_test_database(GetParam(), ctx_, dir_, "notifications");
    auto schema = migrations();
    for (auto& migration : bus::bus_migrations())
      schema.push_back(migration);
    run_async(ctx_, migrate(schema));
    handler_ = subscription(*db_, {"log"}, [this] { ++woken_; }).handler;
  }
  void TearDown() override {
    // Lets a destroyed dispatcher's stop request run while the database still exists.
    ctx_.restart();
    ctx_.poll();
    log::set_level(log::Level::info);
  }

  asio::awaitable<void> migrate(std::vector<sql::Migration> schema) {
    co_await sql::migrate(*db_, schema);
  }

  void deliver(const bus::CloudEvent& event) { run_async(ctx_, bus::deliver_one(handler_, event)); }

  std::int64_t count(const std::string& sql) {
    auto query = [&]() -> asio::awaitable<std::int64_t> {
      auto result = co_await db_->query(sql);
      co_return result.one().integer(0);
    };
    return run_async(ctx_, query());
  }

  std::vector<std::string> recipients_of(const bus::CloudEvent& event) {
    auto query = [&]() -> asio::awaitable<std::vector<std::string>> {
      auto result = co_await db_->query(
          "SELECT recipient_id FROM notifications WHERE event_id = $1 ORDER BY recipient_id",
          sql::params(event.id));
      std::vector<std::string> ids;
      for (const auto& row : result.rows)
        ids.push_back(row.text(0));
      co_return ids;
    };
    return run_async(ctx_, query());
  }

  Notification only_notification() {
    auto query = [&]() -> asio::awaitable<Notification> {
      ListFilter all;
      auto notifications = store();
      auto page = co_await notifications.list(all, std::nullopt, 10);
      if (page.items.size() != 1)
        throw std::runtime_error("expected one notification");
      co_return page.items.front();
    };
    return run_async(ctx_, query());
  }

  std::size_t pass(Dispatcher& dispatcher) { return run_async(ctx_, dispatcher.deliver_due()); }

  NotificationStore store() { return NotificationStore(*db_); }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;  // before anything that posts to it, so it is destroyed last
  std::unique_ptr<sql::Database> db_;
  bus::BatchHandler handler_;
  int woken_ = 0;
};

TEST_P(NotificationsStoreTest, RegistrationStoresTheUserAndAWelcome) {
  auto id = core::uuid_v7();
  auto event = user_event(events::kUserRegistered, id, "user");
  deliver(event);
  EXPECT_EQ(count("SELECT COUNT(*) FROM recipients WHERE user_id = '" + id + "'"), 1);
  auto welcome = only_notification();
  EXPECT_EQ(welcome.recipient_id, id);
  EXPECT_EQ(welcome.event_id, event.id);
  EXPECT_EQ(welcome.event_type, "user.registered");
  EXPECT_EQ(welcome.channel, "log");
  EXPECT_EQ(welcome.subject, "Welcome to Ordo");
  EXPECT_EQ(welcome.status, "pending");
  EXPECT_EQ(welcome.attempts, 0);
  EXPECT_EQ(woken_, 1);  // the dispatcher is woken after the commit
}

TEST_P(NotificationsStoreTest, OrderConfirmedTwiceMakesOneNotification) {
  auto user = core::uuid_v7();
  auto registered = user_event(events::kUserRegistered, user, "user");
  deliver(registered);
  auto confirmed = order_event(events::kOrderConfirmed, core::uuid_v7(), user);
  deliver(confirmed);
  deliver(confirmed);  // a redelivery: the inbox skips it
  EXPECT_EQ(recipients_of(confirmed), std::vector<std::string>{user});
  // Even past the inbox (a replayed consumer: its inbox rows gone), the UNIQUE constraint keeps
  // it at one.
  auto forget = [&]() -> asio::awaitable<void> {
    co_await db_->transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec("DELETE FROM inbox");
    });
  };
  run_async(ctx_, forget());
  deliver(confirmed);
  EXPECT_EQ(recipients_of(confirmed).size(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications"), 2);  // welcome + confirmed
}

TEST_P(NotificationsStoreTest, EveryOrderOutcomeNotifiesItsUserEvenOutsideTheView) {
  auto stranger = core::uuid_v7();  // never registered as far as this service knows
  for (auto type : {events::kOrderConfirmed, events::kOrderRejected, events::kOrderCancelled}) {
    auto event = order_event(type, core::uuid_v7(), stranger);
    deliver(event);
    EXPECT_EQ(recipients_of(event), std::vector<std::string>{stranger}) << type;
  }
  auto channel = std::make_unique<FlakyChannel>(0);
  auto* flaky = channel.get();
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::move(channel));
  Dispatcher dispatcher(ctx_.get_executor(), *db_, std::move(channels));
  EXPECT_EQ(pass(dispatcher), 3u);
  ASSERT_EQ(flaky->recipients.size(), 3u);
  EXPECT_EQ(flaky->recipients[0].user_id, stranger);
  EXPECT_EQ(flaky->recipients[0].email, "");  // unknown, and that is fine
}

TEST_P(NotificationsStoreTest, LowStockGoesToEveryActiveAdminAndNoUser) {
  auto admin1 = core::uuid_v7();
  auto admin2 = core::uuid_v7();
  auto retired = core::uuid_v7();
  auto user = core::uuid_v7();
  auto e1 = user_event(events::kUserRegistered, admin1, "admin");
  auto e2 = user_event(events::kUserRegistered, admin2, "admin");
  auto e3 = user_event(events::kUserRegistered, retired, "admin", false);
  auto e4 = user_event(events::kUserRegistered, user, "user");
  for (const auto* event : {&e1, &e2, &e3, &e4})
    deliver(*event);
  auto low = low_stock_event("p-1");
  deliver(low);
  auto expected = std::vector<std::string>{admin1, admin2};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(recipients_of(low), expected);
}

TEST_P(NotificationsStoreTest, PromotedUserReceivesTheNextLowStock) {
  auto user = core::uuid_v7();
  auto registered = user_event(events::kUserRegistered, user, "user");
  deliver(registered);
  auto before = low_stock_event("p-1");
  deliver(before);
  EXPECT_TRUE(recipients_of(before).empty());

  auto promoted = user_event(events::kUserUpdated, user, "admin");
  deliver(promoted);
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications WHERE event_type = 'user.updated'"), 0);
  auto after = low_stock_event("p-1");
  deliver(after);
  EXPECT_EQ(recipients_of(after), std::vector<std::string>{user});

  // A late user.registered does not undo what user.updated taught the view.
  auto late = user_event(events::kUserRegistered, user, "user");
  deliver(late);
  EXPECT_EQ(count("SELECT COUNT(*) FROM recipients WHERE role = 'admin'"), 1);
}

TEST_P(NotificationsStoreTest, MalformedPayloadsAreDeadNotRetried) {
  auto bad_order = bus::make_event("/ordo/orders", std::string(events::kOrderConfirmed), "x",
                                   boost::json::object{{"orderId", 5}}, "");
  auto bad_user = bus::make_event("/ordo/users", std::string(events::kUserRegistered), "x",
                                  boost::json::value("not an object"), "");
  auto empty_low = bus::make_event("/ordo/inventory", std::string(events::kInventoryLowStock), "x",
                                   events::to_json(events::LowStock{"", 1, 2}), "");
  deliver(bad_order);
  deliver(bad_user);
  deliver(empty_low);
  deliver(bad_order);  // redelivered: already recorded
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events WHERE consumer = 'notifications'"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM recipients"), 0);
}

TEST_P(NotificationsStoreTest, DispatcherDeliversThroughTheLogChannelOnce) {
  auto registered = user_event(events::kUserRegistered, core::uuid_v7(), "user");
  deliver(registered);
  Dispatcher dispatcher(ctx_.get_executor(), *db_, make_channels({"log"}));
  EXPECT_EQ(pass(dispatcher), 1u);
  auto delivered = only_notification();
  EXPECT_EQ(delivered.status, "delivered");
  EXPECT_EQ(delivered.attempts, 1);
  EXPECT_FALSE(delivered.last_error.has_value());
  EXPECT_TRUE(delivered.delivered_at.has_value());
  EXPECT_EQ(pass(dispatcher), 0u);  // nothing is delivered twice
}

TEST_P(NotificationsStoreTest, FailedDeliveriesAreRetriedAndCounted) {
  auto registered = user_event(events::kUserRegistered, core::uuid_v7(), "user");
  deliver(registered);
  auto channel = std::make_unique<FlakyChannel>(2);
  auto* flaky = channel.get();
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::move(channel));
  DispatcherOptions immediate;
  immediate.retry.base_delay = 0ms;  // retries fall due at once, so passes drive them
  Dispatcher dispatcher(ctx_.get_executor(), *db_, std::move(channels), immediate);

  EXPECT_EQ(pass(dispatcher), 1u);
  auto first = only_notification();
  EXPECT_EQ(first.status, "pending");
  EXPECT_EQ(first.attempts, 1);
  EXPECT_EQ(first.last_error, "boom 1");
  pass(dispatcher);
  EXPECT_EQ(only_notification().last_error, "boom 2");
  pass(dispatcher);
  auto done = only_notification();
  EXPECT_EQ(done.status, "delivered");
  EXPECT_EQ(done.attempts, 3);
  EXPECT_TRUE(done.delivered_at.has_value());
  EXPECT_EQ(flaky->calls, 3);
}

TEST_P(NotificationsStoreTest, DeliveryGivesUpAfterFiveAttempts) {
  auto registered = user_event(events::kUserRegistered, core::uuid_v7(), "user");
  deliver(registered);
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<FlakyChannel>(100));
  DispatcherOptions immediate;
  immediate.retry.base_delay = 0ms;
  Dispatcher dispatcher(ctx_.get_executor(), *db_, std::move(channels), immediate);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(pass(dispatcher), 1u);
  EXPECT_EQ(pass(dispatcher), 0u);
  auto failed = only_notification();
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.attempts, 5);
  EXPECT_EQ(failed.last_error, "boom 5");
  EXPECT_FALSE(failed.delivered_at.has_value());
}

TEST_P(NotificationsStoreTest, RetriesWaitForTheirBackoff) {
  auto registered = user_event(events::kUserRegistered, core::uuid_v7(), "user");
  deliver(registered);
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<FlakyChannel>(1));
  Dispatcher dispatcher(ctx_.get_executor(), *db_, std::move(channels));  // 1 s first backoff
  EXPECT_EQ(pass(dispatcher), 1u);
  EXPECT_EQ(pass(dispatcher), 0u);  // not due yet
  EXPECT_EQ(only_notification().status, "pending");
}

TEST_P(NotificationsStoreTest, BackgroundLoopDeliversLeftoversAndNewNotifications) {
  auto leftover = user_event(events::kUserRegistered, core::uuid_v7(), "user");
  deliver(leftover);  // stored before the dispatcher runs: what a crash would leave behind
  Dispatcher dispatcher(ctx_.get_executor(), *db_, make_channels({"log"}));
  handler_ = subscription(*db_, {"log"}, [&] { dispatcher.wake(); }).handler;
  dispatcher.start();
  auto wait_delivered = [&](std::int64_t n) -> asio::awaitable<bool> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto result =
          co_await db_->query("SELECT COUNT(*) FROM notifications WHERE status = 'delivered'");
      if (result.one().integer(0) == n)
        co_return true;
      timer.expires_after(5ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_return false;
  };
  EXPECT_TRUE(run_async(ctx_, wait_delivered(1)));
  auto fresh = user_event(events::kUserRegistered, core::uuid_v7(), "user");
  auto started = std::chrono::steady_clock::now();
  deliver(fresh);
  EXPECT_TRUE(run_async(ctx_, wait_delivered(2)));
  // Woken, not polled: well under the 5 s safety-net interval.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  run_async(ctx_, dispatcher.stop());
}

TEST_P(NotificationsStoreTest, ListsNewestFirstWithFiltersAndCursor) {
  auto ann = core::uuid_v7();
  auto bob = core::uuid_v7();
  auto e1 = user_event(events::kUserRegistered, ann, "user");
  auto e2 = user_event(events::kUserRegistered, bob, "user");
  auto e3 = order_event(events::kOrderConfirmed, core::uuid_v7(), ann);
  for (const auto* event : {&e1, &e2, &e3})
    deliver(*event);
  auto list = [&](ListFilter filter, std::optional<std::string> before, int limit) {
    auto query = [&]() -> asio::awaitable<NotificationPage> {
      auto notifications = store();
      co_return co_await notifications.list(filter, before, limit);
    };
    return run_async(ctx_, query());
  };
  auto first = list({}, std::nullopt, 2);
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].event_id, e3.id);
  EXPECT_EQ(first.items[1].event_id, e2.id);
  ASSERT_TRUE(first.next_after_id);
  auto second = list({}, first.next_after_id, 2);
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].event_id, e1.id);
  EXPECT_FALSE(second.next_after_id);

  EXPECT_EQ(list(ListFilter{ann, std::nullopt}, std::nullopt, 10).items.size(), 2u);
  EXPECT_EQ(list(ListFilter{bob, std::string("pending")}, std::nullopt, 10).items.size(), 1u);
  EXPECT_TRUE(list(ListFilter{bob, std::string("delivered")}, std::nullopt, 10).items.empty());

  auto find = [&](const std::string& id) {
    auto query = [&]() -> asio::awaitable<std::optional<Notification>> {
      auto notifications = store();
      co_return co_await notifications.find(id);
    };
    return run_async(ctx_, query());
  };
  EXPECT_EQ(find(first.items[0].id)->recipient_id, ann);
  EXPECT_FALSE(find(core::uuid_v7()).has_value());
}

INSTANTIATE_TEST_SUITE_P(Dialects, NotificationsStoreTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::services::notifications
