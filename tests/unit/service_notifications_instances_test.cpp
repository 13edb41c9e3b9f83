// Several notifications instances on one database (SQLite and PostgreSQL): two dispatchers, each
// with its own database handle as two processes would have, race over the same pending rows and
// deliver each once; a claim whose holder crashed is taken over when its lease ends, and one whose
// holder stopped, at once.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "postgres_test_support.hpp"
#include "services/notifications/consumes.hpp"
#include "services/notifications/dispatcher.hpp"
#include "services/notifications/service.hpp"
#include "services/notifications/webhook_domain.hpp"
#include "services/notifications/webhook_store.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::notifications {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;
using namespace std::chrono_literals;
using ordo::testing::run_async;

// Every notification id any instance's log channel sent, in order; shared by the instances.
using Sent = std::vector<std::string>;

// Waits as a mail server or a webhook receiver would: long enough, next to a database round
// trip, for the other instance to claim meanwhile.
asio::awaitable<void> slow_send() {
  asio::steady_timer timer(co_await asio::this_coro::executor, 5ms);
  co_await timer.async_wait(asio::use_awaitable);
}

// A log channel that records what it sends, slowly; `began`, when given, says a send began.
class RecordingChannel final : public Channel {
 public:
  explicit RecordingChannel(Sent& sent, bool* began = nullptr) : sent_(sent), began_(began) {}
  std::string_view name() const override { return "log"; }
  asio::awaitable<void> deliver(const Notification& notification, const Recipient&) override {
    if (began_ != nullptr)
      *began_ = true;
    co_await slow_send();
    sent_.push_back(notification.id);
  }

 private:
  Sent& sent_;
  bool* began_;
};

bus::CloudEvent registration() {
  auto id = core::uuid_v7();
  events::UserRegistered user{id, id.substr(0, 8) + "@example.com", "User", "user", true};
  return bus::make_event("/ordo/users", std::string(events::kUserRegistered), id,
                         events::to_json(user), "");
}

bus::CloudEvent low_stock(int i) {
  events::LowStock low{"p-" + std::to_string(i), 1, 5};
  return bus::make_event("/ordo/inventory", std::string(events::kInventoryLowStock),
                         "p-" + std::to_string(i), events::to_json(low), "");
}

std::map<std::string, int> tally(const std::vector<std::string>& ids) {
  std::map<std::string, int> out;
  for (const auto& id : ids)
    ++out[id];
  return out;
}

class NotificationInstancesTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);
    db_ = ordo::testing::open_test_database(GetParam(), ctx_, dir_, "notifications");
    auto schema = migrations();
    for (auto& migration : bus::bus_migrations())
      schema.push_back(migration);
    run_async(ctx_, sql::migrate(*db_, schema));
    handler_ = subscription(*db_, {"log"}, nullptr).handler;
    other_db_ = second_handle();
  }
  void TearDown() override {
    ctx_.restart();
    ctx_.poll();
    other_db_.reset();
    log::set_level(log::Level::info);
  }

  // Another handle on the same database: the second instance's.
  std::unique_ptr<sql::Database> second_handle() {
    if (GetParam() == sql::Dialect::sqlite)
      return sql::open_sqlite("notifications", {.path = dir_.file("notifications.db")});
    auto schema = [&]() -> asio::awaitable<std::string> {
      auto result = co_await db_->query("SELECT current_schema()");
      co_return result.one().text(0);
    };
    sql::PostgresOptions options;
    options.url = ordo::testing::postgres_test_url();
    options.schema = run_async(ctx_, schema());
    return sql::open_postgres(ctx_.get_executor(), "notifications", options);
  }

  void deliver(const bus::CloudEvent& event) { run_async(ctx_, bus::deliver_one(handler_, event)); }

  std::int64_t count(const std::string& statement) {
    auto query = [&]() -> asio::awaitable<std::int64_t> {
      auto result = co_await db_->query(statement);
      co_return result.one().integer(0);
    };
    return run_async(ctx_, query());
  }

  // Runs both coroutines at once on the test's context until both are done.
  void race(asio::awaitable<void> first, asio::awaitable<void> second) {
    int done = 0;
    std::exception_ptr failure;
    auto finished = [&](std::exception_ptr e) {
      ++done;
      if (e)
        failure = e;
    };
    asio::co_spawn(ctx_, std::move(first), finished);
    asio::co_spawn(ctx_, std::move(second), finished);
    auto deadline = std::chrono::steady_clock::now() + 30s;
    ctx_.restart();
    while (done < 2 && std::chrono::steady_clock::now() < deadline) {
      ctx_.run_one_for(50ms);
      if (ctx_.stopped())
        ctx_.restart();
    }
    ASSERT_EQ(done, 2) << "the race did not finish";
    if (failure)
      std::rethrow_exception(failure);
  }

  static asio::awaitable<void> drain(Dispatcher& dispatcher) {
    for (;;) {
      std::size_t tried = co_await dispatcher.deliver_due();
      if (tried == 0)
        co_return;
    }
  }

  static asio::awaitable<void> claim_and_succeed(WebhookStore& store,
                                                 std::vector<std::string>& attempted) {
    for (;;) {
      auto claimed = co_await store.claim_due(core::unix_millis(), 3, 60'000);
      if (claimed.empty())
        co_return;
      for (const auto& delivery : claimed) {
        co_await slow_send();
        attempted.push_back(delivery.id);
        AttemptOutcome succeeded{true, 204, std::nullopt, std::nullopt};
        co_await store.record_attempt(delivery, succeeded, core::unix_millis());
      }
    }
  }

  Webhook add_webhook() {
    auto now = core::rfc3339();
    Webhook webhook{
        core::uuid_v7(), "http://example.com/h", {"*"},        "",  make_webhook_secret(),
        "active",        core::uuid_v7(),        std::nullopt, now, now};
    WebhookStore store(*db_);
    run_async(ctx_, store.add(webhook));
    return webhook;
  }

  static DispatcherOptions small_batches(std::chrono::milliseconds lease = 60s) {
    DispatcherOptions options;
    options.batch = 3;
    options.claim_lease = lease;
    return options;
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<sql::Database> other_db_;
  bus::BatchHandler handler_;
};

TEST_P(NotificationInstancesTest, TwoDispatchersDeliverEachNotificationOnce) {
  constexpr int kNotifications = 20;
  for (int i = 0; i < kNotifications; ++i)
    deliver(registration());
  Sent sent;
  std::vector<std::unique_ptr<Channel>> first_channels;
  first_channels.push_back(std::make_unique<RecordingChannel>(sent));
  std::vector<std::unique_ptr<Channel>> second_channels;
  second_channels.push_back(std::make_unique<RecordingChannel>(sent));
  Dispatcher first(ctx_.get_executor(), *db_, std::move(first_channels), small_batches());
  Dispatcher second(ctx_.get_executor(), *other_db_, std::move(second_channels), small_batches());

  race(drain(first), drain(second));

  ASSERT_EQ(sent.size(), static_cast<std::size_t>(kNotifications));
  for (const auto& [id, times] : tally(sent))
    EXPECT_EQ(times, 1) << id;
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications WHERE status = 'delivered' AND attempts = 1"),
            kNotifications);
}

TEST_P(NotificationInstancesTest, ACrashedInstancesClaimIsTakenOverAfterItsLease) {
  deliver(registration());
  deliver(registration());
  // The first instance claims both and "crashes": it never sends nor records them.
  NotificationStore crashed(*db_);
  auto claim = run_async(ctx_, crashed.claim_due(core::unix_millis(), 10, 300));
  ASSERT_EQ(claim.deliveries.size(), 2u);

  Sent sent;
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<RecordingChannel>(sent));
  Dispatcher survivor(ctx_.get_executor(), *other_db_, std::move(channels), small_batches());
  EXPECT_EQ(run_async(ctx_, survivor.deliver_due()), 0u);  // still claimed
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(run_async(ctx_, survivor.deliver_due()), 2u);
  EXPECT_EQ(sent.size(), 2u);

  // The crashed claim's holder, back late, records nothing over the survivor's outcome.
  std::vector<std::string> ids{claim.deliveries[0].notification.id};
  EXPECT_EQ(run_async(ctx_, crashed.record_delivered(claim.id, ids)), 0);
  run_async(ctx_, crashed.record_failure(claim.id, ids[0], "late", std::nullopt));
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications WHERE status = 'delivered' AND attempts = 1 "
                  "AND last_error IS NULL"),
            2);
}

// A process stopping mid-pass (SIGTERM) finishes the send under way, records it, and hands back
// what it claimed but did not send: another instance takes it at once, not after the lease.
TEST_P(NotificationInstancesTest, AStoppedDispatcherFinishesItsSendAndHandsBackTheRest) {
  for (int i = 0; i < 3; ++i)
    deliver(registration());
  Sent sent;
  bool began = false;
  std::vector<std::unique_ptr<Channel>> channels;
  channels.push_back(std::make_unique<RecordingChannel>(sent, &began));
  Dispatcher stopping(ctx_.get_executor(), *db_, std::move(channels), small_batches());
  stopping.start();
  ctx_.restart();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!began && std::chrono::steady_clock::now() < deadline)
    ctx_.run_one_for(50ms);
  ASSERT_TRUE(began) << "the dispatcher never sent";
  run_async(ctx_, stopping.stop());
  ASSERT_EQ(sent.size(), 1u) << "the send under way finished, and no other began";
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications WHERE status = 'delivered'"), 1);

  Sent taken_over;
  std::vector<std::unique_ptr<Channel>> survivor_channels;
  survivor_channels.push_back(std::make_unique<RecordingChannel>(taken_over));
  Dispatcher survivor(ctx_.get_executor(), *other_db_, std::move(survivor_channels),
                      small_batches());
  run_async(ctx_, drain(survivor));
  EXPECT_EQ(taken_over.size(), 2u);
  taken_over.push_back(sent.front());
  for (const auto& [id, times] : tally(taken_over))
    EXPECT_EQ(times, 1) << id;
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications WHERE status = 'delivered' AND attempts = 1"),
            3);
}

TEST_P(NotificationInstancesTest, TwoInstancesAttemptEachWebhookDeliveryOnce) {
  constexpr int kEvents = 12;
  add_webhook();
  add_webhook();
  for (int i = 0; i < kEvents; ++i)
    deliver(low_stock(i));
  WebhookStore first(*db_);
  WebhookStore second(*other_db_);
  std::vector<std::string> attempted;

  race(claim_and_succeed(first, attempted), claim_and_succeed(second, attempted));

  ASSERT_EQ(attempted.size(), static_cast<std::size_t>(2 * kEvents));
  for (const auto& [id, times] : tally(attempted))
    EXPECT_EQ(times, 1) << id;
  EXPECT_EQ(count("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded' "
                  "AND attempts = 1"),
            2 * kEvents);
}

TEST_P(NotificationInstancesTest, ACrashedInstancesWebhookClaimIsTakenOverAfterItsLease) {
  auto webhook = add_webhook();
  deliver(low_stock(1));
  WebhookStore crashed(*db_);
  WebhookStore survivor(*other_db_);
  auto claimed = run_async(ctx_, crashed.claim_due(core::unix_millis(), 10, 300));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_TRUE(run_async(ctx_, survivor.claim_due(core::unix_millis(), 10, 60'000)).empty());
  // Its retry time is not earlier than the claim's end: nobody may try before then.
  EXPECT_GE(run_async(ctx_, survivor.next_due_ms()).value_or(0), core::unix_millis() + 100);

  std::this_thread::sleep_for(400ms);
  auto taken_over = run_async(ctx_, survivor.claim_due(core::unix_millis(), 10, 60'000));
  ASSERT_EQ(taken_over.size(), 1u);
  AttemptOutcome succeeded{true, 204, std::nullopt, std::nullopt};
  AttemptOutcome failed{false, 500, "the endpoint answered 500", core::unix_millis() + 1'000};
  EXPECT_TRUE(run_async(ctx_, survivor.record_attempt(taken_over[0], succeeded, 1'000)));
  // The crashed holder's late outcome changes neither the delivery nor the webhook's streak.
  EXPECT_FALSE(run_async(ctx_, crashed.record_attempt(claimed[0], failed, 2'000)));
  WebhookStore reader(*db_);
  auto delivery = run_async(ctx_, reader.delivery(webhook.id, claimed[0].id));
  ASSERT_TRUE(delivery);
  EXPECT_EQ(delivery->status, "succeeded");
  EXPECT_EQ(delivery->attempts, 1);
  EXPECT_FALSE(run_async(ctx_, reader.find(webhook.id))->failing_since_ms);
}

TEST_P(NotificationInstancesTest, ReleasedClaimsAreClaimableAtOnce) {
  add_webhook();
  deliver(registration());
  NotificationStore first(*db_);
  NotificationStore second(*other_db_);
  auto claim = run_async(ctx_, first.claim_due(core::unix_millis(), 10, 60'000));
  ASSERT_EQ(claim.deliveries.size(), 1u);
  EXPECT_TRUE(
      run_async(ctx_, second.claim_due(core::unix_millis(), 10, 60'000)).deliveries.empty());
  run_async(ctx_, first.release(claim.id));
  EXPECT_EQ(run_async(ctx_, second.claim_due(core::unix_millis(), 10, 60'000)).deliveries.size(),
            1u);

  WebhookStore first_webhooks(*db_);
  WebhookStore second_webhooks(*other_db_);
  auto claimed = run_async(ctx_, first_webhooks.claim_due(core::unix_millis(), 10, 60'000));
  ASSERT_EQ(claimed.size(), 1u);  // the registration's delivery to the webhook
  EXPECT_TRUE(run_async(ctx_, second_webhooks.claim_due(core::unix_millis(), 10, 60'000)).empty());
  run_async(ctx_, first_webhooks.release(*claimed[0].claimed_by));
  EXPECT_EQ(run_async(ctx_, second_webhooks.claim_due(core::unix_millis(), 10, 60'000)).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Dialects, NotificationInstancesTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::services::notifications
