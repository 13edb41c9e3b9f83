// The db ceiling: the SQL work one order causes in every service, replayed in-process through the
// services' own stores and event handlers at the bench's concurrency, without HTTP or a bus.
#include <atomic>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/bench.hpp"
#include "bench/db_ceiling_world.hpp"
#include "contracts/events.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/http/middleware.hpp"
#include "services/orders/domain.hpp"
#include "services/orders/store.hpp"

namespace ordo::bench {
namespace {

namespace asio = boost::asio;
namespace events = contracts::events;
using Clock = std::chrono::steady_clock;

// Long enough for SQLite's page cache and the WAL to reach their steady size.
constexpr std::chrono::milliseconds kWarmup{500};

// The shared state of one run. Every coroutine runs on the one io thread, as the services do in
// `ordo serve`, so plain counters suffice.
struct Run {
  Clock::time_point measure_from;
  Clock::time_point measure_until;
  bool stopping = false;
  int running = 0;
  std::uint64_t finished = 0;  // all orders, warm-up and tail included
  std::uint64_t measured = 0;  // orders that finished inside the measured window
  LatencyRecorder latency;
  std::map<std::string, std::uint64_t> errors;
  bool error_reported = false;
};

struct OutboxEntry {
  std::int64_t seq = 0;
  bus::CloudEvent event;
};

// What a relay reads and parses before publishing: the outbox row of this event. The relay reads
// rows in seq order; a replay finds its own row by type and subject, on a table just as small.
asio::awaitable<OutboxEntry> read_outbox(sql::Database& db, std::string_view type,
                                         const std::string& subject) {
  // The payload is a TEXT column in both dialects.
  const char* statement = db.dialect() == sql::Dialect::postgres
                              ? "SELECT seq, payload FROM outbox WHERE type = $1 AND "
                                "CAST(payload AS JSON) ->> 'subject' = $2 ORDER BY seq LIMIT 1"
                              : "SELECT seq, payload FROM outbox WHERE type = $1 AND "
                                "json_extract(payload, '$.subject') = $2 ORDER BY seq LIMIT 1";
  auto result = co_await db.query(statement, sql::params(type, subject));
  if (result.empty())
    throw std::runtime_error(db.name() + ": no " + std::string(type) + " in the outbox for " +
                             subject);
  std::string error;
  auto event = bus::parse_event(result.rows.front().text(1), &error);
  if (!event)
    throw std::runtime_error(db.name() + ": unreadable outbox row: " + error);
  co_return OutboxEntry{result.rows.front().integer(0), std::move(*event)};
}

// The relay's delete once the bus confirmed the event (one transaction, as an idle relay does).
asio::awaitable<void> forget(sql::Database& db, std::int64_t seq) {
  co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec("DELETE FROM outbox WHERE seq = $1", sql::params(seq));
  });
}

// One order, from POST /orders (after its parsing) to the notification of its confirmation.
asio::awaitable<void> one_order(DbCeilingWorld& world, const std::string& user_id,
                                const std::string& product_id) {
  std::string traceparent = http::new_traceparent();
  // (a) orders: what the POST handler does once the body is parsed: the catalog view, pricing,
  // then the transaction with the order, its line, its history and order.created.
  services::orders::PlaceOrderRequest input;
  input.lines.push_back(services::orders::RequestedLine{product_id, 1, 0});
  auto hash = services::orders::request_hash(input);
  std::vector<std::string> ids{product_id};
  auto catalog = co_await world.order_store().catalog_entries(ids);
  services::orders::NewOrder order{user_id, services::orders::price_order(input, catalog),
                                   input.note, std::nullopt, hash};
  auto placed = co_await world.order_store().place(order, traceparent);
  if (!placed.order)
    throw std::runtime_error("orders: place returned no order");
  const std::string order_id = placed.order->id;

  // (b) the orders relay hands order.created to inventory (inbox, reservation, ledger,
  // inventory.reserved), then deletes its row.
  auto created = co_await read_outbox(world.orders_db(), events::kOrderCreated, order_id);
  co_await world.deliver_to_inventory(created.event);
  co_await forget(world.orders_db(), created.seq);

  // (c) the inventory relay hands inventory.reserved to orders (inbox, confirm, history,
  // order.confirmed), then deletes its row.
  auto reserved = co_await read_outbox(world.inventory_db(), events::kInventoryReserved, order_id);
  co_await world.deliver_to_orders(reserved.event);
  co_await forget(world.inventory_db(), reserved.seq);

  // (d) the orders relay hands order.confirmed to notifications (inbox, notification row; its
  // dispatcher then records the delivery), then deletes its row.
  auto confirmed = co_await read_outbox(world.orders_db(), events::kOrderConfirmed, order_id);
  co_await world.deliver_to_notifications(confirmed.event);
  co_await forget(world.orders_db(), confirmed.seq);
}

asio::awaitable<void> connection(DbCeilingWorld& world, Run& run, int index, int connections) {
  const auto& products = world.product_ids();
  const std::string& user_id = world.user_ids().at(static_cast<std::size_t>(index));
  std::size_t next = static_cast<std::size_t>(index);
  while (!run.stopping) {
    const std::string& product_id = products[next % products.size()];
    next += static_cast<std::size_t>(connections);
    auto started = Clock::now();
    std::optional<std::string> failure;
    try {
      co_await one_order(world, user_id, product_id);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    auto finished = Clock::now();
    if (failure) {
      ++run.errors["sql"];
      if (!run.error_reported) {  // once: a broken replay fails every order the same way
        std::cerr << "db ceiling: " << *failure << "\n";
        run.error_reported = true;
      }
      continue;
    }
    ++run.finished;
    if (finished >= run.measure_from && finished <= run.measure_until) {
      ++run.measured;
      run.latency.record(std::chrono::duration_cast<std::chrono::microseconds>(finished - started));
    }
  }
  --run.running;
}

asio::awaitable<void> sleep_until(Clock::time_point when) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(when);
  co_await timer.async_wait(asio::use_awaitable);
}

// The statement is a literal: no std::string temporary inside the callers' co_await (g++ 12).
asio::awaitable<std::int64_t> count(sql::Database& db, const char* statement) {
  std::vector<sql::Value> no_params;  // not the default `= {}` argument, inside co_await (g++ 12)
  auto result = co_await db.query(statement, no_params);
  co_return result.one().is_null(0) ? 0 : result.one().integer(0);
}

asio::awaitable<void> run_all(DbCeilingWorld& world, const BenchOptions& options,
                              DbCeilingReport& report) {
  co_await world.prepare();
  report.stock_available_before =
      co_await count(world.inventory_db(), "SELECT CAST(SUM(available) AS BIGINT) FROM stock");

  Run run;
  int connections = std::max(1, options.connections);
  run.measure_from = Clock::now() + kWarmup;
  run.measure_until = run.measure_from + options.seconds;
  auto executor = co_await asio::this_coro::executor;
  for (int i = 0; i < connections; ++i) {
    ++run.running;
    asio::co_spawn(executor, connection(world, run, i, connections), asio::detached);
  }
  co_await sleep_until(run.measure_until);
  run.stopping = true;
  while (run.running > 0)  // each connection finishes the order it is in
    co_await sleep_until(Clock::now() + std::chrono::milliseconds(5));
  co_await world.stop();

  auto& result = report.result;
  result.scenario = "db";
  result.mode = options.mode;
  result.connections = connections;
  result.seconds = std::chrono::duration<double>(options.seconds).count();
  result.throughput_per_s =
      result.seconds > 0 ? static_cast<double>(run.measured) / result.seconds : 0;
  result.completed_per_s = result.throughput_per_s;
  result.p50_ms = run.latency.percentile_ms(50);
  result.p90_ms = run.latency.percentile_ms(90);
  result.p99_ms = run.latency.percentile_ms(99);
  result.p999_ms = run.latency.percentile_ms(99.9);
  result.errors = run.errors;

  report.orders_finished = run.finished;
  report.stock_available_after =
      co_await count(world.inventory_db(), "SELECT CAST(SUM(available) AS BIGINT) FROM stock");
  report.stock_reserved_after =
      co_await count(world.inventory_db(), "SELECT CAST(SUM(reserved) AS BIGINT) FROM stock");
  report.orders_confirmed =
      co_await count(world.orders_db(), "SELECT COUNT(*) FROM orders WHERE status = 'confirmed'");
  report.order_notifications =
      co_await count(world.notifications_db(),
                     "SELECT COUNT(*) FROM notifications WHERE event_type = 'order.confirmed'");
  report.outbox_left += co_await count(world.orders_db(), "SELECT COUNT(*) FROM outbox");
  report.outbox_left += co_await count(world.inventory_db(), "SELECT COUNT(*) FROM outbox");
  report.outbox_left += co_await count(world.notifications_db(), "SELECT COUNT(*) FROM outbox");
}

}  // namespace

DbCeilingReport measure_db_ceiling(const BenchOptions& options) {
  DbCeilingReport report;
  asio::io_context io{1};
  std::exception_ptr failure;
  {
    DbCeilingWorld world(io.get_executor(), options, std::max(1, options.connections));
    report.result.database = world.description();
    asio::co_spawn(io, run_all(world, options, report),
                   [&failure](std::exception_ptr e) { failure = e; });
    io.run();
  }
  if (failure)
    std::rethrow_exception(failure);
  return report;
}

ScenarioResult run_db_ceiling(const BenchOptions& options) {
  return measure_db_ceiling(options).result;
}

}  // namespace ordo::bench
