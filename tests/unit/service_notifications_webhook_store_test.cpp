// Webhook deliveries against real databases (SQLite and PostgreSQL): the consumer writes them as
// outbox rows, attempts are recorded with the endpoint's failing streak, and disabling fails the
// pending ones and tells the admin.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "postgres_test_support.hpp"
#include "services/notifications/consumes.hpp"
#include "services/notifications/service.hpp"
#include "services/notifications/webhook_domain.hpp"
#include "services/notifications/webhook_store.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::notifications {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;
using ordo::testing::run_async;

bus::CloudEvent user_event(std::string_view type) {
  auto id = core::uuid_v7();
  events::UserRegistered user{id, "someone@example.com", "Someone", "user", true};
  return bus::make_event("/ordo/users", std::string(type), id, events::to_json(user), "");
}

bus::CloudEvent low_stock_event() {
  events::LowStock low{"p-1", 1, 5};
  return bus::make_event("/ordo/inventory", std::string(events::kInventoryLowStock), "p-1",
                         events::to_json(low), "");
}

class WebhookStoreTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);
    db_ = ordo::testing::open_test_database(GetParam(), ctx_, dir_, "notifications");
    auto schema = migrations();
    for (auto& migration : bus::bus_migrations())
      schema.push_back(migration);
    run_async(ctx_, sql::migrate(*db_, schema));
    handler_ = subscription(*db_, {"log"}, nullptr).handler;
  }
  void TearDown() override { log::set_level(log::Level::info); }

  Webhook add_webhook(std::vector<std::string> events, std::string status = "active") {
    auto now = core::rfc3339();
    Webhook webhook{
        core::uuid_v7(),   "http://example.com/h", std::move(events), "",  make_webhook_secret(),
        std::move(status), core::uuid_v7(),        std::nullopt,      now, now};
    WebhookStore store(*db_);
    run_async(ctx_, store.add(webhook));
    return webhook;
  }

  void deliver(const bus::CloudEvent& event) { run_async(ctx_, bus::deliver_one(handler_, event)); }

  std::vector<WebhookDelivery> deliveries_of(const Webhook& webhook) {
    WebhookStore store(*db_);
    return run_async(ctx_, store.deliveries(webhook.id, std::nullopt, 100)).items;
  }

  Webhook reload(const Webhook& webhook) {
    WebhookStore store(*db_);
    return *run_async(ctx_, store.find(webhook.id));
  }

  std::int64_t count(const std::string& statement) {
    auto query = [&]() -> asio::awaitable<std::int64_t> {
      auto result = co_await db_->query(statement);
      co_return result.one().integer(0);
    };
    return run_async(ctx_, query());
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_;
  bus::BatchHandler handler_;
};

TEST_P(WebhookStoreTest, ConsumedEventsBecomeDeliveriesOfSubscribedActiveWebhooks) {
  auto all = add_webhook({"*"});
  auto stock = add_webhook({"stock.low"});
  auto disabled = add_webhook({"*"}, "disabled");
  auto registered = user_event(events::kUserRegistered);
  deliver(registered);
  deliver(registered);  // a redelivery adds nothing
  deliver(user_event(events::kUserUpdated));
  deliver(low_stock_event());

  auto to_all = deliveries_of(all);
  ASSERT_EQ(to_all.size(), 3u);
  EXPECT_EQ(to_all[2].event_type, "user.registered");
  EXPECT_EQ(to_all[2].event_id, registered.id);
  EXPECT_EQ(to_all[2].status, "pending");
  EXPECT_EQ(to_all[1].event_type, "user.updated");
  EXPECT_EQ(to_all[0].event_type, "stock.low");
  auto body = boost::json::parse(to_all[0].body);
  EXPECT_EQ(body.at("type").as_string(), "stock.low");
  EXPECT_EQ(body.at("data").at("productId").as_string(), "p-1");
  auto to_stock = deliveries_of(stock);
  ASSERT_EQ(to_stock.size(), 1u);
  EXPECT_EQ(to_stock[0].event_type, "stock.low");
  EXPECT_TRUE(deliveries_of(disabled).empty());

  // The same event inserted again directly (a replayed consumer) adds nothing either.
  auto again = [&]() -> asio::awaitable<void> {
    co_await db_->transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      co_await add_webhook_deliveries(tx, registered);
    });
  };
  run_async(ctx_, again());
  EXPECT_EQ(deliveries_of(all).size(), 3u);
}

TEST_P(WebhookStoreTest, AttemptsKeepTheFailingStreakAndDisablingTellsTheAdmin) {
  auto webhook = add_webhook({"*"});
  deliver(low_stock_event());
  WebhookStore store(*db_);
  auto due = run_async(ctx_, store.claim_due(core::unix_millis(), 10, 60'000));
  ASSERT_EQ(due.size(), 1u);

  AttemptOutcome failed{false, 500, "the endpoint answered 500", 1'000};
  run_async(ctx_, store.record_attempt(due[0], failed, 500));
  EXPECT_EQ(reload(webhook).failing_since_ms, 500);
  run_async(ctx_, store.record_attempt(due[0], failed, 700));
  EXPECT_EQ(reload(webhook).failing_since_ms, 500);  // the streak started at the first failure
  auto delivery = deliveries_of(webhook).front();
  EXPECT_EQ(delivery.attempts, 2);
  EXPECT_EQ(delivery.last_response_code, 500);
  EXPECT_EQ(delivery.next_attempt_at_ms, 1'000);
  EXPECT_EQ(run_async(ctx_, store.next_due_ms()), 1'000);

  AttemptOutcome succeeded{true, 204, std::nullopt, std::nullopt};
  run_async(ctx_, store.record_attempt(due[0], succeeded, 900));
  EXPECT_FALSE(reload(webhook).failing_since_ms);
  EXPECT_EQ(deliveries_of(webhook).front().status, "succeeded");
  EXPECT_TRUE(deliveries_of(webhook).front().delivered_at);

  deliver(user_event(events::kUserRegistered));
  EXPECT_TRUE(run_async(ctx_, store.disable(webhook, core::unix_millis())));
  EXPECT_FALSE(run_async(ctx_, store.disable(webhook, core::unix_millis())));  // once
  EXPECT_EQ(reload(webhook).status, "disabled");
  EXPECT_EQ(deliveries_of(webhook).front().status, "failed");
  EXPECT_TRUE(run_async(ctx_, store.claim_due(core::unix_millis(), 10, 60'000)).empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications WHERE event_type = 'webhook.disabled' "
                  "AND channel = 'log' AND recipient_id = '" +
                  webhook.created_by + "'"),
            1);

  // The admin's retry makes a delivery due again; a disabled webhook's stay out of due().
  auto first = deliveries_of(webhook).front();
  run_async(ctx_, store.retry_now(first.id, core::unix_millis()));
  EXPECT_EQ(deliveries_of(webhook).front().status, "pending");
  EXPECT_TRUE(run_async(ctx_, store.claim_due(core::unix_millis(), 10, 60'000)).empty());
  webhook.status = "active";
  run_async(ctx_, store.update(webhook));
  EXPECT_EQ(run_async(ctx_, store.claim_due(core::unix_millis(), 10, 60'000)).size(), 1u);

  EXPECT_TRUE(run_async(ctx_, store.remove(webhook.id)));
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries"), 0);
}

INSTANTIATE_TEST_SUITE_P(Dialects, WebhookStoreTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::services::notifications
