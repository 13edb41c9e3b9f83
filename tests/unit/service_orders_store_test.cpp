// The orders store and consumer against a real SQLite database: placing with idempotency keys,
// stock outcomes (confirm, reject, duplicates, late events for cancelled orders), the catalog
// view's versions, poison events, paging, and waking `Prefer: wait` waiters after commit.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "postgres_test_support.hpp"
#include "services/orders/consumes.hpp"
#include "services/orders/service.hpp"
#include "services/orders/store.hpp"
#include "services/orders/waiters.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::orders {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;
using asio::awaitable;
using namespace std::chrono_literals;
using ordo::testing::run_async;

// gtest's ASSERT_* return from the function, which a coroutine cannot: these co_return.
#define CO_ASSERT_TRUE(condition) \
  if (!(condition)) {             \
    ADD_FAILURE() << #condition;  \
    co_return;                    \
  }
#define CO_ASSERT_EQ(a, b) \
  EXPECT_EQ(a, b);         \
  if (!((a) == (b)))       \
  co_return

constexpr const char* kUser = "0190a000-0000-7000-8000-0000000000u1";
constexpr const char* kProductA = "0190a000-0000-7000-8000-00000000000a";
constexpr const char* kProductB = "0190a000-0000-7000-8000-00000000000b";

class OrdersStoreTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);
    run_async(ctx_, prepare());
  }

  awaitable<void> prepare() {
    auto schema = migrations();
    auto bus_tables = bus::bus_migrations();
    schema.insert(schema.end(), bus_tables.begin(), bus_tables.end());
    co_await sql::migrate(*db_, schema);
  }

  // A pending order of 2 x A (500) and 1 x B (300), EUR.
  awaitable<contracts::Order> place(std::optional<std::string> key = std::nullopt,
                                    std::string hash = "hash-1") {
    NewOrder order;
    order.user_id = kUser;
    order.priced.items = {{kProductA, "SKU-A", "A", 2, 500, 1000},
                          {kProductB, "SKU-B", "B", 1, 300, 300}};
    order.priced.total_cents = 1300;
    order.priced.currency = "EUR";
    order.idempotency_key = key;
    order.request_hash = hash;
    auto outcome = co_await store_.place(order, "");
    co_return *outcome.order;
  }

  awaitable<void> deliver(const bus::CloudEvent& event) {
    co_await bus::deliver_one(subscription_.handler, event);
  }

  static bus::CloudEvent reserved(const std::string& order_id) {
    events::StockMovement data{order_id, {{kProductA, 2, 0}, {kProductB, 1, 0}}};
    return bus::make_event("/ordo/inventory", std::string(events::kInventoryReserved), order_id,
                           events::to_json(data), "");
  }

  static bus::CloudEvent rejected(const std::string& order_id) {
    events::InventoryRejected data{order_id, "insufficient_stock", {{kProductA, 2, 1}}};
    return bus::make_event("/ordo/inventory", std::string(events::kInventoryRejected), order_id,
                           events::to_json(data), "");
  }

  static bus::CloudEvent product_event(std::string_view type, std::int64_t version,
                                       std::int64_t price, bool active = true) {
    events::ProductSnapshot snapshot{
        kProductA, "SKU-A", "A v" + std::to_string(version), price, "EUR", "mugs", active, version};
    boost::json::value data = type == events::kProductCreated
                                  ? events::to_json(events::ProductCreated{snapshot, 10})
                                  : events::to_json(snapshot);
    return bus::make_event("/ordo/products", std::string(type), kProductA, data, "");
  }

  awaitable<std::int64_t> count(std::string sql) {
    auto result = co_await db_->query(sql);
    co_return result.one().integer(0);
  }

  // Flips the order between two statuses `times` times, each flip and its history entry one
  // transaction, as the consumer writes them (not a transition the domain allows: only the
  // store's reads are under test).
  static awaitable<void> flip_status(sql::Database& db, std::string id, int times,
                                     std::shared_ptr<bool> writing) {
    for (int i = 0; i < times; ++i) {
      std::string status = i % 2 == 0 ? "confirmed" : "pending";
      co_await db.transact([&](sql::Transaction& tx) -> awaitable<void> {
        co_await tx.exec("UPDATE orders SET status = $2 WHERE id = $1", sql::params(id, status));
        co_await tx.exec(
            "INSERT INTO order_history (order_id, seq, status, reason, at) SELECT $1, "
            "COALESCE(MAX(seq), 0) + 1, $2, NULL, '2026-01-01T00:00:00Z' FROM order_history "
            "WHERE order_id = $1",
            sql::params(id, status));
      });
    }
    *writing = false;
  }

  awaitable<contracts::Order> reload(const std::string& id) {
    auto order = co_await store_.find(id);
    co_return *order;
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_ =
      ordo::testing::open_test_database(GetParam(), ctx_, dir_, "orders");
  OrderStore store_{*db_};
  OrderWaiters waiters_;
  metrics::Registry registry_;
  OrderMetrics metrics_{registry_, *db_};
  bus::Subscription subscription_ = subscription(*db_, waiters_, metrics_);
};

TEST_P(OrdersStoreTest, PlacingWritesOrderLinesHistoryAndOrderCreated) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto placed = co_await place();
    auto order = co_await reload(placed.id);
    EXPECT_EQ(order.status, "pending");
    EXPECT_EQ(order.user_id, kUser);
    EXPECT_EQ(order.total_cents, 1300);
    CO_ASSERT_EQ(order.items.size(), 2u);
    EXPECT_EQ(order.items[0].product_id, kProductA);
    EXPECT_EQ(order.items[1].line_total_cents, 300);
    CO_ASSERT_EQ(order.history.size(), 1u);
    EXPECT_EQ(order.history[0].status, "pending");
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM outbox WHERE type = 'order.created'"), 1);
    auto payload = co_await db_->query("SELECT payload FROM outbox");
    auto event = bus::parse_event(payload.one().text(0));
    CO_ASSERT_TRUE(event);
    auto created = events::order_created_from_json(event->data);
    EXPECT_EQ(created.order_id, order.id);
    EXPECT_EQ(created.total_cents, 1300);
    CO_ASSERT_EQ(created.lines.size(), 2u);
    EXPECT_EQ(created.lines[0].quantity, 2);
    EXPECT_EQ(created.lines[0].unit_price_cents, 500);
  }());
}

TEST_P(OrdersStoreTest, ReservedConfirmsOnceAndEmitsOrderConfirmed) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto order = co_await place();
    auto event = reserved(order.id);
    co_await deliver(event);
    co_await deliver(event);  // a duplicate delivery changes nothing
    auto confirmed = co_await reload(order.id);
    EXPECT_EQ(confirmed.status, "confirmed");
    CO_ASSERT_EQ(confirmed.history.size(), 2u);
    EXPECT_EQ(confirmed.history[1].status, "confirmed");
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM outbox WHERE type = 'order.confirmed'"), 1);
    auto payload = co_await db_->query("SELECT payload FROM outbox WHERE type = 'order.confirmed'");
    auto parsed = bus::parse_event(payload.one().text(0));
    auto changed = events::order_status_changed_from_json(parsed->data);
    EXPECT_EQ(changed.status, "confirmed");
    EXPECT_EQ(changed.user_id, kUser);
    EXPECT_EQ(changed.lines.size(), 2u);

    // Another reserved event (a different id) for a confirmed order: ignored, too.
    auto again = reserved(order.id);
    co_await deliver(again);
    EXPECT_EQ((co_await reload(order.id)).history.size(), 2u);
    // A late rejection cannot undo the confirmation.
    auto late = rejected(order.id);
    co_await deliver(late);
    EXPECT_EQ((co_await reload(order.id)).status, "confirmed");
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM outbox WHERE type = 'order.rejected'"), 0);
  }());
}

TEST_P(OrdersStoreTest, RejectedStoresTheReasonAndEmitsOrderRejected) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto order = co_await place();
    auto event = rejected(order.id);
    co_await deliver(event);
    co_await deliver(event);
    auto result = co_await reload(order.id);
    EXPECT_EQ(result.status, "rejected");
    CO_ASSERT_TRUE(result.rejection);
    EXPECT_EQ(result.rejection->code, "insufficient_stock");
    CO_ASSERT_EQ(result.rejection->lines.size(), 1u);
    EXPECT_EQ(result.rejection->lines[0].product_id, kProductA);
    EXPECT_EQ(result.rejection->lines[0].requested, 2);
    EXPECT_EQ(result.rejection->lines[0].available, 1);
    CO_ASSERT_EQ(result.history.size(), 2u);
    EXPECT_EQ(result.history[1].reason, "insufficient_stock");
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM outbox WHERE type = 'order.rejected'"), 1);
    auto payload = co_await db_->query("SELECT payload FROM outbox WHERE type = 'order.rejected'");
    auto changed =
        events::order_status_changed_from_json(bus::parse_event(payload.one().text(0))->data);
    CO_ASSERT_TRUE(changed.rejection);
    EXPECT_EQ(changed.rejection->reason, "insufficient_stock");
    EXPECT_EQ(changed.rejection->lines[0].available, 1);
  }());
}

TEST_P(OrdersStoreTest, CancelEmitsOrderCancelledAndLaterStockEventsAreIgnored) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto order = co_await place();
    auto cancelled = co_await store_.cancel(order.id, "cancelled by the customer", "");
    EXPECT_EQ(cancelled.kind, CancelOutcome::Kind::cancelled);
    EXPECT_EQ(cancelled.order->status, "cancelled");
    auto event = reserved(order.id);
    co_await deliver(event);
    auto after = co_await reload(order.id);
    EXPECT_EQ(after.status, "cancelled");
    CO_ASSERT_EQ(after.history.size(), 2u);
    EXPECT_EQ(after.history[1].reason, "cancelled by the customer");
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM outbox WHERE type = 'order.confirmed'"), 0);
    auto payload = co_await db_->query("SELECT payload FROM outbox WHERE type = 'order.cancelled'");
    auto changed =
        events::order_status_changed_from_json(bus::parse_event(payload.one().text(0))->data);
    EXPECT_EQ(changed.previous_status, "pending");
    EXPECT_EQ(changed.lines.size(), 2u);
    // Cancelled is final: a second cancel is a conflict.
    auto twice = co_await store_.cancel(order.id, "again", "");
    EXPECT_EQ(twice.kind, CancelOutcome::Kind::conflict);
    auto unknown = co_await store_.cancel("0190a000-0000-7000-8000-000000000999", "x", "");
    EXPECT_EQ(unknown.kind, CancelOutcome::Kind::not_found);
  }());
}

TEST_P(OrdersStoreTest, ConfirmedOrdersCanBeCancelledRejectedOnesCannot) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto first = co_await place();
    auto ok = reserved(first.id);
    co_await deliver(ok);
    auto cancelled = co_await store_.cancel(first.id, "changed my mind", "");
    EXPECT_EQ(cancelled.kind, CancelOutcome::Kind::cancelled);
    auto payload = co_await db_->query("SELECT payload FROM outbox WHERE type = 'order.cancelled'");
    auto changed =
        events::order_status_changed_from_json(bus::parse_event(payload.one().text(0))->data);
    EXPECT_EQ(changed.previous_status, "confirmed");

    auto second = co_await place();
    auto no = rejected(second.id);
    co_await deliver(no);
    auto refused = co_await store_.cancel(second.id, "x", "");
    EXPECT_EQ(refused.kind, CancelOutcome::Kind::conflict);
    EXPECT_EQ(refused.order->status, "rejected");
  }());
}

TEST_P(OrdersStoreTest, StockEventForUnknownOrderIsIgnored) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto event = reserved("0190a000-0000-7000-8000-000000000777");
    co_await deliver(event);
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM inbox"), 1);
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM dead_events"), 0);
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM outbox"), 0);
  }());
}

TEST_P(OrdersStoreTest, MalformedEventIsRecordedAsDead) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto order = co_await place();
    auto event = bus::make_event("/ordo/inventory", std::string(events::kInventoryReserved),
                                 order.id, boost::json::object{{"orderId", 42}}, "");
    co_await deliver(event);
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM dead_events"), 1);
    EXPECT_EQ((co_await reload(order.id)).status, "pending");
  }());
}

TEST_P(OrdersStoreTest, CatalogViewKeepsTheNewestVersion) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto created = product_event(events::kProductCreated, 2, 700);
    co_await deliver(created);
    auto older = product_event(events::kProductUpdated, 1, 100);
    co_await deliver(older);
    std::vector<std::string> ids{kProductA};
    auto view = co_await store_.catalog_entries(ids);
    CO_ASSERT_EQ(view.size(), 1u);
    EXPECT_EQ(view[kProductA].price_cents, 700);
    EXPECT_EQ(view[kProductA].version, 2);
    EXPECT_EQ(view[kProductA].category, "mugs");

    auto newer = product_event(events::kProductUpdated, 3, 900);
    co_await deliver(newer);
    view = co_await store_.catalog_entries(ids);
    EXPECT_EQ(view[kProductA].price_cents, 900);
    EXPECT_TRUE(view[kProductA].active);

    auto deleted = product_event(events::kProductDeleted, 4, 900, false);
    co_await deliver(deleted);
    view = co_await store_.catalog_entries(ids);
    EXPECT_FALSE(view[kProductA].active);

    // A snapshot fetched over HTTP (version 0, or older) never overwrites the view.
    CatalogEntry fetched{kProductA, "SKU-A", "A", 1, "EUR", "", true, 0};
    co_await store_.remember_product(fetched);
    view = co_await store_.catalog_entries(ids);
    EXPECT_FALSE(view[kProductA].active);
    EXPECT_EQ(view[kProductA].version, 4);
  }());
}

TEST_P(OrdersStoreTest, FetchedProductIsReplacedByTheFirstEvent) {
  run_async(ctx_, [&]() -> awaitable<void> {
    CatalogEntry fetched{kProductB, "SKU-B", "B", 300, "EUR", "", true, 0};
    co_await store_.remember_product(fetched);
    std::vector<std::string> ids{kProductB, kProductA};
    auto view = co_await store_.catalog_entries(ids);
    CO_ASSERT_EQ(view.size(), 1u);
    EXPECT_EQ(view[kProductB].price_cents, 300);
  }());
}

TEST_P(OrdersStoreTest, IdempotencyKeyReplaysSameBodyAndRefusesAnother) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto first = co_await place(std::string("key-1"), "hash-1");
    NewOrder again;
    again.user_id = kUser;
    again.priced.items = {{kProductA, "SKU-A", "A", 2, 500, 1000}};
    again.priced.total_cents = 1000;
    again.priced.currency = "EUR";
    again.idempotency_key = "key-1";
    again.request_hash = "hash-1";
    auto replay = co_await store_.place(again, "");
    EXPECT_EQ(replay.kind, PlaceOutcome::Kind::replayed);
    EXPECT_EQ(replay.order->id, first.id);
    EXPECT_EQ(replay.order->total_cents, 1300);  // the original order, not the new body

    auto looked_up = co_await store_.replay(kUser, "key-1", "hash-1");
    CO_ASSERT_TRUE(looked_up);
    EXPECT_EQ(looked_up->kind, PlaceOutcome::Kind::replayed);
    EXPECT_EQ(looked_up->order->id, first.id);
    auto other_body = co_await store_.replay(kUser, "key-1", "hash-2");
    CO_ASSERT_TRUE(other_body);
    EXPECT_EQ(other_body->kind, PlaceOutcome::Kind::key_reused);
    again.request_hash = "hash-2";
    auto refused = co_await store_.place(again, "");
    EXPECT_EQ(refused.kind, PlaceOutcome::Kind::key_reused);
    EXPECT_FALSE(co_await store_.replay(kUser, "key-2", "hash-1"));
    // Keys are per user.
    again.user_id = "0190a000-0000-7000-8000-0000000000u2";
    auto other_user = co_await store_.place(again, "");
    EXPECT_EQ(other_user.kind, PlaceOutcome::Kind::created);
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM orders"), 2);
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM outbox WHERE type = 'order.created'"), 2);
  }());
}

TEST_P(OrdersStoreTest, OldIdempotencyKeysAreForgotten) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto first = co_await place(std::string("old-key"), "hash-1");
    co_await db_->transact([&](sql::Transaction& tx) -> awaitable<void> {
      co_await tx.exec("UPDATE idempotency_keys SET created_at_ms = created_at_ms - $1",
                       sql::params(kIdempotencyKeyLifetimeMs + 1000));
    });
    EXPECT_FALSE(co_await store_.replay(kUser, "old-key", "hash-1"));
    auto second = co_await place(std::string("old-key"), "hash-1");
    EXPECT_NE(second.id, first.id);
    EXPECT_EQ(co_await count("SELECT COUNT(*) FROM idempotency_keys"), 1);
  }());
}

TEST_P(OrdersStoreTest, ListsNewestFirstWithFiltersAndCursor) {
  run_async(ctx_, [&]() -> awaitable<void> {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i)
      ids.push_back((co_await place()).id);
    auto confirm = reserved(ids[1]);
    co_await deliver(confirm);
    OrderFilter mine{std::string(kUser), std::nullopt};
    auto first = co_await store_.list(mine, std::nullopt, 2);
    CO_ASSERT_EQ(first.items.size(), 2u);
    EXPECT_EQ(first.items[0].id, ids[4]);
    EXPECT_EQ(first.items[1].id, ids[3]);
    CO_ASSERT_TRUE(first.next_before_id);
    auto second = co_await store_.list(mine, first.next_before_id, 2);
    CO_ASSERT_EQ(second.items.size(), 2u);
    EXPECT_EQ(second.items[0].id, ids[2]);
    auto third = co_await store_.list(mine, second.next_before_id, 2);
    CO_ASSERT_EQ(third.items.size(), 1u);
    EXPECT_FALSE(third.next_before_id);
    EXPECT_EQ(third.items[0].items.size(), 2u);

    OrderFilter confirmed{std::nullopt, std::string("confirmed")};
    auto only = co_await store_.list(confirmed, std::nullopt, 20);
    CO_ASSERT_EQ(only.items.size(), 1u);
    EXPECT_EQ(only.items[0].id, ids[1]);
    OrderFilter someone_else{std::string("0190a000-0000-7000-8000-0000000000u2"), std::nullopt};
    EXPECT_TRUE((co_await store_.list(someone_else, std::nullopt, 20)).items.empty());
  }());
}

// Status changes committing while orders are read: every read's history ends with its status
// (the row and the history are two reads; a torn one is read again).
TEST_P(OrdersStoreTest, ReadsDuringStatusChangesAreNeverTorn) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto order = co_await place();
    auto writing = std::make_shared<bool>(true);
    asio::co_spawn(ctx_, flip_status(*db_, order.id, 300, writing), asio::detached);
    int reads = 0;
    int torn = 0;
    while (*writing) {
      auto found = co_await store_.find(order.id);
      CO_ASSERT_TRUE(found && !found->history.empty());
      torn += found->history.back().status != found->status;
      auto page = co_await store_.list({}, std::nullopt, 10);
      CO_ASSERT_EQ(page.items.size(), 1u);
      torn += page.items[0].history.back().status != page.items[0].status;
      reads += 2;
      // SQLite answers these reads on this thread: let the writer's turns run too.
      co_await asio::post(ctx_, asio::use_awaitable);
    }
    EXPECT_EQ(torn, 0) << "of " << reads << " reads";
  }());
}

TEST_P(OrdersStoreTest, WaitersAreWokenAfterTheConsumerCommitted) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto order = co_await place();
    auto registration = waiters_.watch(order.id, co_await asio::this_coro::executor);
    bool woken = false;
    std::string status_when_woken;
    auto waiting = [&]() -> awaitable<void> {
      woken = co_await registration->waiter().wait_until(std::chrono::steady_clock::now() + 5s);
      status_when_woken = (co_await reload(order.id)).status;
    };
    asio::co_spawn(ctx_, waiting(), asio::detached);
    auto event = reserved(order.id);
    co_await deliver(event);
    asio::steady_timer timer(ctx_, 5s);
    for (int i = 0; i < 200 && status_when_woken.empty(); ++i) {
      timer.expires_after(5ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    EXPECT_TRUE(woken);
    EXPECT_EQ(status_when_woken, "confirmed");
  }());
  EXPECT_EQ(waiters_.watched(), 0u);
}

TEST_P(OrdersStoreTest, WaiterTimesOutWithoutASignalAndKeepsAnEarlySignal) {
  run_async(ctx_, [&]() -> awaitable<void> {
    auto registration = waiters_.watch("some-order", co_await asio::this_coro::executor);
    auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(co_await registration->waiter().wait_until(start + 50ms));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
    // A signal that arrives before the wait starts is not lost.
    waiters_.notify("some-order");
    asio::steady_timer timer(ctx_, 10ms);
    co_await timer.async_wait(asio::use_awaitable);
    EXPECT_TRUE(co_await registration->waiter().wait_until(std::chrono::steady_clock::now() + 5s));
  }());
}

INSTANTIATE_TEST_SUITE_P(Dialects, OrdersStoreTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::services::orders
