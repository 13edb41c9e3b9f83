// Outbox, inbox, relay and local bus together: nothing lost, nothing applied twice.
#include <gtest/gtest.h>

#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/bus/consumer.hpp"
#include "platform/bus/local_bus.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/bus/relay.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "sql_test_support.hpp"

namespace ordo::bus {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using ordo::testing::run_async;

constexpr RelayOptions kFast{.batch = 4, .poll_interval = 20ms, .max_backoff = 80ms};

asio::awaitable<bool> eventually(std::function<bool()> condition,
                                 std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      co_return false;
    }
    timer.expires_after(2ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return true;
}

asio::awaitable<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<std::int64_t> count(sql::Database& db, std::string sql) {
  sql::Result result = co_await db.query(sql);
  co_return result.one().integer(0);
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // the relay's retry warnings are expected here
    run_async(ctx_, prepare());
  }

  asio::awaitable<void> prepare() {
    std::vector<sql::Migration> consumer_schema = bus_migrations();
    consumer_schema.push_back(
        {1, "effects", "any", "CREATE TABLE effects (event_id TEXT, who TEXT)"});
    co_await sql::migrate(*producer_, bus_migrations());
    co_await sql::migrate(*consumer_, consumer_schema);
  }

  asio::awaitable<std::vector<CloudEvent>> emit(int n, std::string type = "order.created") {
    std::vector<CloudEvent> events;
    for (int i = 0; i < n; ++i) {
      events.push_back(make_event("/ordo/orders", type, "order-" + std::to_string(i),
                                  boost::json::object{{"n", i}}, ""));
    }
    co_await producer_->transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      for (const CloudEvent& e : events) {
        co_await enqueue(tx, e);
      }
    });
    co_return events;
  }

  // A consumer (bus::Consumer: inbox, batches) whose effect is one row in `effects` per applied
  // event.
  Subscription recorder(std::string who, std::function<void()> before_effect = {}) {
    auto apply = [who, before_effect](sql::Transaction& tx, const boost::json::value&,
                                      const CloudEvent& e) {
      return record_effect(tx, e, who, before_effect);
    };
    Consumer consumer(*consumer_, who);
    consumer.on(
        "order.created", [](const boost::json::value& data) { return data; }, apply);
    return consumer.subscription();
  }

  static asio::awaitable<void> record_effect(sql::Transaction& tx, const CloudEvent& e,
                                             const std::string& who,
                                             const std::function<void()>& before_effect) {
    co_await tx.exec("INSERT INTO effects (event_id, who) VALUES ($1, $2)", sql::params(e.id, who));
    if (before_effect) {
      before_effect();  // may throw after the insert: the rollback must undo it
    }
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> producer_ =
      sql::open_sqlite("orders", {.path = dir_.file("orders.db")});
  std::unique_ptr<sql::Database> consumer_ =
      sql::open_sqlite("inventory", {.path = dir_.file("inventory.db")});
  std::unique_ptr<Bus> bus_ = make_local_bus(ctx_.get_executor());
};

// Order is kept per subject (the entity an event is about); different subjects go out
// concurrently so that consumers' transactions can share commits.
TEST_F(OutboxTest, RelayPublishesInOrderPerSubjectAndDeletesOnlyAfterSuccess) {
  std::vector<std::string> seen;
  std::map<std::string, std::vector<std::string>> seen_by_subject;
  std::int64_t outbox_rows_while_handling = -1;
  bus_->subscribe({"inventory",
                   {"order.created"},
                   each_event([&](const CloudEvent& e) -> asio::awaitable<void> {
                     if (seen.empty()) {
                       outbox_rows_while_handling =
                           co_await count(*producer_, "SELECT COUNT(*) FROM outbox");
                     }
                     seen.push_back(e.id);
                     seen_by_subject[e.subject].push_back(e.id);
                   })});
  OutboxRelay relay(ctx_.get_executor(), *producer_, *bus_, kFast);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    std::vector<CloudEvent> first = co_await emit(6);
    std::vector<CloudEvent> second = co_await emit(3);
    relay.start();
    relay.notify();
    EXPECT_TRUE(co_await eventually([&] { return seen.size() == 9; }));
    EXPECT_TRUE(co_await eventually([&] { return relay.published() == 9; }));
    std::map<std::string, std::vector<std::string>> expected;
    for (const auto& e : first) {
      expected[e.subject].push_back(e.id);
    }
    for (const auto& e : second) {
      expected[e.subject].push_back(e.id);
    }
    EXPECT_EQ(seen_by_subject, expected);
    EXPECT_EQ(outbox_rows_while_handling, 9);
    EXPECT_EQ(co_await count(*producer_, "SELECT COUNT(*) FROM outbox"), 0);

    // notify() wakes the idle relay long before its poll interval.
    co_await emit(1);
    relay.notify();
    EXPECT_TRUE(co_await eventually([&] { return seen.size() == 10; }));
    co_await relay.stop();
  }());
}

TEST_F(OutboxTest, FailingSubscriberIsRetriedAndEveryEffectAppliesOnce) {
  int failures_left = 2;
  int attempts = 0;
  bus_->subscribe(recorder("inventory", [&] {
    ++attempts;
    if (failures_left > 0) {
      --failures_left;
      throw std::runtime_error("database hiccup");
    }
  }));
  bus_->subscribe(recorder("notifications"));
  OutboxRelay relay(ctx_.get_executor(), *producer_, *bus_, kFast);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await emit(1);
    relay.start();
    EXPECT_TRUE(co_await eventually([&] { return relay.published() == 1; }));
    co_await relay.stop();
    EXPECT_EQ(attempts, 3);
    EXPECT_EQ(co_await count(*producer_, "SELECT COUNT(*) FROM outbox"), 0);
    EXPECT_EQ(co_await count(*consumer_, "SELECT COUNT(*) FROM effects WHERE who = 'inventory'"),
              1);
    EXPECT_EQ(
        co_await count(*consumer_, "SELECT COUNT(*) FROM effects WHERE who = 'notifications'"), 1);
    EXPECT_EQ(co_await count(*consumer_, "SELECT COUNT(*) FROM inbox"), 2);
  }());
}

TEST_F(OutboxTest, DuplicateDeliveryIsSkipped) {
  Subscription subscription = recorder("inventory");
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    CloudEvent event = make_event("/ordo/orders", "order.created", "o1", nullptr, "");
    co_await deliver_one(subscription.handler, event);
    co_await deliver_one(subscription.handler, event);
    EXPECT_EQ(co_await count(*consumer_, "SELECT COUNT(*) FROM effects"), 1);
  }());
}

TEST_F(OutboxTest, PoisonEventIsRecordedDeadAndNotRetried) {
  int calls = 0;
  bus_->subscribe(recorder("inventory", [&] {
    ++calls;
    throw PoisonEvent("order has no lines");
  }));
  OutboxRelay relay(ctx_.get_executor(), *producer_, *bus_, kFast);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    std::vector<CloudEvent> events = co_await emit(1);
    relay.start();
    EXPECT_TRUE(co_await eventually([&] { return relay.published() == 1; }));
    co_await pause(50ms);  // time enough for a (wrong) retry
    co_await relay.stop();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(co_await count(*producer_, "SELECT COUNT(*) FROM outbox"), 0);
    EXPECT_EQ(co_await count(*consumer_, "SELECT COUNT(*) FROM effects"), 0);
    sql::Result dead =
        co_await consumer_->query("SELECT consumer, reason, payload FROM dead_events");
    EXPECT_EQ(dead.one().text(0), "inventory");
    EXPECT_EQ(dead.one().text(1), "order has no lines");
    EXPECT_EQ(parse_event(dead.one().text(2))->id, events[0].id);

    // A redelivery of the same poison event is a duplicate, not a second dead record.
    Subscription again = recorder("inventory", [&] { ++calls; });
    co_await deliver_one(again.handler, events[0]);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(co_await count(*consumer_, "SELECT COUNT(*) FROM dead_events"), 1);
  }());
}

TEST_F(OutboxTest, UnreadableRowMovesToDeadEventsAndTheRestFlows) {
  std::vector<std::string> types;
  bus_->subscribe({"inventory",
                   {"order.created"},
                   each_event([&](const CloudEvent& e) -> asio::awaitable<void> {
                     types.push_back(e.type);
                     co_return;
                   })});
  OutboxRelay relay(ctx_.get_executor(), *producer_, *bus_, kFast);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await producer_->transact([](sql::Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec(
          "INSERT INTO outbox (id, type, payload, created_at) VALUES ('x', 't', '{oops', 'now')");
    });
    co_await emit(2);
    relay.start();
    EXPECT_TRUE(co_await eventually([&] { return types.size() == 2; }));
    EXPECT_TRUE(co_await eventually([&] { return relay.published() == 2; }));
    co_await relay.stop();
    EXPECT_EQ(co_await count(*producer_, "SELECT COUNT(*) FROM outbox"), 0);
    EXPECT_EQ(co_await count(*producer_, "SELECT COUNT(*) FROM dead_events"), 1);
  }());
}

TEST_F(OutboxTest, ANewRelayResendsWhatTheOldOneLeft) {
  bool broker_up = false;
  int delivered = 0;
  bus_->subscribe(
      {"inventory", {"order.created"}, each_event([&](const CloudEvent&) -> asio::awaitable<void> {
         if (!broker_up) {
           throw std::runtime_error("unreachable");
         }
         ++delivered;
         co_return;
       })});
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await emit(2);
    {
      OutboxRelay first(ctx_.get_executor(), *producer_, *bus_, kFast);
      first.start();
      EXPECT_TRUE(co_await eventually([&]() { return false; }, 150ms) == false);
      co_await first.stop();
      EXPECT_EQ(first.published(), 0U);
    }
    sql::Result left =
        co_await producer_->query("SELECT attempts, last_error FROM outbox ORDER BY seq");
    EXPECT_EQ(left.rows.size(), 2U);
    EXPECT_GE(left.rows[0].integer(0), 1);
    EXPECT_EQ(left.rows[0].optional_text(1), "unreachable");

    broker_up = true;
    OutboxRelay second(ctx_.get_executor(), *producer_, *bus_, kFast);
    second.start();
    EXPECT_TRUE(co_await eventually([&] { return second.published() == 2; }));
    co_await second.stop();
    EXPECT_EQ(delivered, 2);
    EXPECT_EQ(co_await count(*producer_, "SELECT COUNT(*) FROM outbox"), 0);
  }());
}

TEST_F(OutboxTest, StopIsPromptWhenIdleAndWhenBackingOff) {
  bus_->subscribe(
      {"inventory", {"order.created"}, each_event([](const CloudEvent&) -> asio::awaitable<void> {
         throw std::runtime_error("down");
         co_return;
       })});
  RelayOptions slow{.batch = 8, .poll_interval = 60s, .max_backoff = 60s};
  run_async(
      ctx_,
      [&]() -> asio::awaitable<void> {
        OutboxRelay idle(ctx_.get_executor(), *producer_, *bus_, slow);
        idle.start();
        co_await pause(30ms);
        auto begin = std::chrono::steady_clock::now();
        co_await idle.stop();
        EXPECT_LT(std::chrono::steady_clock::now() - begin, 500ms);

        co_await emit(1);
        OutboxRelay failing(ctx_.get_executor(), *producer_, *bus_, slow);
        failing.start();
        co_await pause(30ms);
        begin = std::chrono::steady_clock::now();
        co_await failing.stop();
        EXPECT_LT(std::chrono::steady_clock::now() - begin, 500ms);
        co_await failing.stop();  // a second stop is harmless
      }(),
      10s);
}

TEST(LocalBus, DeliversByTypeAndReportsFailures) {
  asio::io_context ctx;
  auto bus = make_local_bus(ctx.get_executor());
  EXPECT_EQ(bus->kind(), "local");
  std::vector<std::string> log;
  run_async(ctx, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await bus->ping());
    CloudEvent created = make_event("/ordo/orders", "order.created", "o1", nullptr, "");
    co_await bus->publish(created);  // no subscribers: completes at once

    bus->subscribe({"inventory",
                    {"order.created", "order.cancelled"},
                    each_event([&](const CloudEvent& e) -> asio::awaitable<void> {
                      log.push_back("inventory:" + e.type);
                      co_return;
                    })});
    bus->subscribe({"users",
                    {"user.registered"},
                    each_event([&](const CloudEvent& e) -> asio::awaitable<void> {
                      log.push_back("users:" + e.type);
                      co_return;
                    })});
    bus->subscribe({"notifications",
                    {"order.created"},
                    each_event([&](const CloudEvent& e) -> asio::awaitable<void> {
                      log.push_back("notifications:" + e.type);
                      if (e.subject == "poison") {
                        throw PoisonEvent("bad");
                      }
                      if (e.subject == "fail") {
                        throw std::runtime_error("smtp down");
                      }
                      co_return;
                    })});
    co_await bus->publish(created);
    std::sort(log.begin(), log.end());
    EXPECT_EQ(log,
              (std::vector<std::string>{"inventory:order.created", "notifications:order.created"}));
    log.clear();
    co_await bus->publish(make_event("/ordo/orders", "order.created", "poison", nullptr, ""));
    EXPECT_EQ(log.size(), 2U);
    EXPECT_THROW(
        co_await bus->publish(make_event("/ordo/orders", "order.created", "fail", nullptr, "")),
        std::runtime_error);
  }());
}

asio::awaitable<std::vector<Settlement>> settle_later(std::size_t count,
                                                      std::chrono::milliseconds after) {
  co_await pause(after);
  co_return std::vector<Settlement>(count);
}

// The in-process bus hands a subscription what was queued while its previous batch ran, at
// most max_events at a time; a lone event never waits, even with a batch wait set.
TEST(LocalBus, HandsASubscriptionEverythingWaitingAndALoneEventAtOnce) {
  asio::io_context ctx;
  auto bus = make_local_bus(ctx.get_executor(), {.max_events = 4, .max_wait = 100ms});
  std::vector<std::size_t> sizes;
  bus->subscribe({"inventory", {"order.created"}, [&](std::span<const Delivery> batch) {
                    sizes.push_back(batch.size());
                    return settle_later(batch.size(), 20ms);
                  }});
  run_async(ctx, [&]() -> asio::awaitable<void> {
    auto started = std::chrono::steady_clock::now();
    co_await bus->publish(make_event("/ordo/orders", "order.created", "o0", nullptr, ""));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 90ms);  // no batch wait for it
    EXPECT_EQ(sizes, std::vector<std::size_t>{1});

    sizes.clear();
    int done = 0;
    for (int i = 1; i <= 10; ++i) {
      asio::co_spawn(ctx,
                     bus->publish(make_event("/ordo/orders", "order.created", "o", nullptr, "")),
                     [&](std::exception_ptr) { ++done; });
    }
    EXPECT_TRUE(co_await eventually([&] { return done == 10; }, 5s));
    std::size_t total = 0;
    for (auto size : sizes)
      total += size;
    EXPECT_EQ(total, 10u);
    EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()), 4u);
    EXPECT_LE(sizes.size(), 4u) << "batches, not one by one";
  }());
}

}  // namespace
}  // namespace ordo::bus
