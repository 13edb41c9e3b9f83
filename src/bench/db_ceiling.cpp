// The db ceiling: the SQL work of the order flow, replayed in-process through the services as
// they register themselves (their POST /orders handler and their subscriptions) at the bench's
// concurrency, without a server or a bus. Each connection places an order (the POST handler,
// without the server's middleware), waits for it to be final, and places the next; a relay loop
// per outbox reads up to a batch of rows, hands each subscription that asks for them its events
// as one batch (one transaction, as the buses do) and deletes the rows in one statement. An order
// is final once notifications recorded its outcome.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/bench.hpp"
#include "bench/db_ceiling_world.hpp"
#include "contracts/events.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/bus/outbox.hpp"

namespace ordo::bench {
namespace {

namespace asio = boost::asio;
namespace events = contracts::events;
using Clock = std::chrono::steady_clock;

// Long enough for SQLite's page cache and the WAL to reach their steady size.
constexpr std::chrono::milliseconds kWarmup{500};
// As many events as a bus hands a consumer at once by default (bus.batch_size).
constexpr std::int64_t kBatch = 64;
// How long an idle relay loop sleeps when nobody wakes it (a safety net: commits wake it).
constexpr std::chrono::milliseconds kIdlePoll{2};
// An order not final by then counts as an error (a stuck replay must not hang the bench).
constexpr std::chrono::seconds kOrderDeadline{30};
// An order is final once this service handled its outcome (order.confirmed, order.rejected).
constexpr std::string_view kLastStep = "notifications";

// Wakes a sleeping loop: cancelling the timer it waits on.
struct Wakeup {
  explicit Wakeup(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool pending = false;
  void wake() {
    pending = true;
    timer.cancel();
  }
  asio::awaitable<void> wait(std::chrono::milliseconds at_most) {
    if (pending) {
      pending = false;
      co_return;
    }
    timer.expires_after(at_most);
    boost::system::error_code ec;  // operation_aborted is the wake-up
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    pending = false;
  }
};

// The shared state of one run. Every coroutine runs on the one io thread, as the services do in
// `ordo serve`, so plain counters suffice.
struct Run {
  Clock::time_point measure_from;
  Clock::time_point measure_until;
  bool stopping = false;  // connections place no more orders
  bool relays_stopping = false;
  int running = 0;  // connections
  int relays_running = 0;
  std::uint64_t finished = 0;  // all orders, warm-up and tail included
  std::uint64_t measured = 0;  // orders that finished inside the measured window
  LatencyRecorder latency;
  std::map<std::string, std::uint64_t> errors;
  bool error_reported = false;
  // Orders whose final notification was recorded: the connection waiting on it is woken.
  std::map<std::string, Wakeup*> waiting;
  std::set<std::string> done_early;  // finished before their connection started waiting
  // Each service's outbox relay, by service: woken by the service's commits.
  std::map<std::string, std::unique_ptr<Wakeup>, std::less<>> outboxes;

  Wakeup& outbox(std::string_view service) { return *outboxes.find(service)->second; }

  void fail(const std::string& what) {
    ++errors["sql"];
    if (!error_reported) {  // once: a broken replay fails every order the same way
      std::cerr << "db ceiling: " << what << "\n";
      error_reported = true;
    }
  }

  void order_done(const std::string& order_id) {
    auto it = waiting.find(order_id);
    if (it == waiting.end()) {
      done_early.insert(order_id);
      return;
    }
    it->second->wake();
    waiting.erase(it);
  }
};

// Where a relay hands an event: one subscription of one service.
struct Route {
  const ReplayedService* consumer;
  const bus::Subscription* subscription;
  bool operator<(const Route& other) const { return subscription < other.subscription; }
};

std::vector<Route> routes_of(DbCeilingWorld& world, const std::string& type) {
  std::vector<Route> routes;
  for (const auto& service : world.services()) {
    for (const auto& subscription : service.subscriptions) {
      const auto& types = subscription.types;
      if (std::find(types.begin(), types.end(), type) != types.end())
        routes.push_back(Route{&service, &subscription});
    }
  }
  return routes;
}

bool finishes_order(const Route& route, const bus::CloudEvent& event) {
  return route.consumer->definition->name == kLastStep &&
         (event.type == events::kOrderConfirmed || event.type == events::kOrderRejected);
}

// Hands each route its events as one batch; returns the seqs of the events some route did not
// settle as done (they stay in the outbox).
asio::awaitable<std::set<std::int64_t>> hand_over(
    std::map<Route, std::vector<std::pair<std::int64_t, bus::Delivery>>>& batches, Run& run) {
  std::set<std::int64_t> kept;
  for (auto& [route, entries] : batches) {
    std::vector<bus::Delivery> deliveries;
    for (auto& entry : entries)
      deliveries.push_back(entry.second);
    std::span<const bus::Delivery> batch(deliveries);
    auto settled = co_await route.subscription->handler(batch);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& event = deliveries[i].event;
      if (settled.at(i).outcome != bus::Outcome::done) {
        run.fail(event.type + " not handled by " + route.consumer->definition->name + ": " +
                 settled[i].reason);
        kept.insert(entries[i].first);
      } else if (finishes_order(route, event)) {
        run.order_done(event.subject);
      }
    }
    run.outbox(route.consumer->definition->name).wake();  // its commits filled its outbox
  }
  co_return kept;
}

// One service's relay and the buses behind it, as a loop: read up to kBatch outbox rows in seq
// order, hand each subscription its events as one batch (its transaction), then delete the rows
// in one statement. An event some subscription did not settle as done stays in the outbox.
asio::awaitable<void> relay(DbCeilingWorld& world, ReplayedService& from, Run& run) {
  ++run.relays_running;
  sql::Database& db = *from.db;
  Wakeup& woken = run.outbox(from.definition->name);
  while (!run.relays_stopping) {
    bool failed = false;
    try {
      auto rows = co_await db.query("SELECT seq, payload FROM outbox ORDER BY seq LIMIT $1",
                                    sql::params(kBatch));
      if (rows.empty()) {
        co_await woken.wait(kIdlePoll);
        continue;
      }
      std::vector<std::int64_t> read;
      std::map<Route, std::vector<std::pair<std::int64_t, bus::Delivery>>> batches;
      for (const auto& row : rows.rows) {
        std::string error;
        auto event = bus::parse_event(row.text(1), &error);
        if (!event)
          throw std::runtime_error(db.name() + ": unreadable outbox row: " + error);
        read.push_back(row.integer(0));  // nobody subscribing to it here: forgotten
        for (const auto& route : routes_of(world, event->type))
          batches[route].emplace_back(row.integer(0), bus::Delivery{*event, 1});
      }
      auto kept = co_await hand_over(batches, run);
      std::vector<std::int64_t> seqs;
      for (auto seq : read) {
        if (!kept.contains(seq))
          seqs.push_back(seq);
      }
      co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
        sql::Statement forget = bus::forget_statement(db.dialect(), seqs);
        co_await tx.exec(forget.sql, std::move(forget.params));
      });
    } catch (const std::exception& e) {
      run.fail(e.what());
      failed = true;
    }
    if (failed)  // not inside the handler: no co_await in a catch (g++ 12)
      co_await woken.wait(kIdlePoll);
  }
  --run.relays_running;
}

// One customer: places an order (the POST handler: the body, the catalog view, pricing, then the
// transaction with the order, its line, its history and order.created), waits for its
// confirmation's notification, and places the next.
asio::awaitable<void> connection(DbCeilingWorld& world, Run& run, int index, int connections) {
  const auto& products = world.product_ids();
  const std::string& user_id = world.user_ids().at(static_cast<std::size_t>(index));
  std::size_t next = static_cast<std::size_t>(index);
  Wakeup finished(co_await asio::this_coro::executor);
  while (!run.stopping) {
    const std::string& product_id = products[next % products.size()];
    next += static_cast<std::size_t>(connections);
    auto started = Clock::now();
    std::string order_id;
    bool placed = false;
    try {
      order_id = co_await world.place_order(user_id, product_id);
      placed = true;
    } catch (const std::exception& e) {
      run.fail(e.what());
    }
    if (!placed) {  // not inside the handler: no co_await in a catch (g++ 12)
      // A refusal may come before any I/O: pause, or this loop would never let the others run.
      co_await finished.wait(kIdlePoll);
      continue;
    }
    run.outbox("orders").wake();
    if (!run.done_early.erase(order_id)) {
      run.waiting[order_id] = &finished;
      co_await finished.wait(kOrderDeadline);
      if (run.waiting.erase(order_id) == 1) {  // not woken: the order never became final
        run.fail("order " + order_id + " not final after " +
                 std::to_string(kOrderDeadline.count()) + " s");
        continue;
      }
    }
    auto done = Clock::now();
    ++run.finished;
    if (done >= run.measure_from && done <= run.measure_until) {
      ++run.measured;
      run.latency.record(std::chrono::duration_cast<std::chrono::microseconds>(done - started));
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
  sql::Database& orders_db = *world.service("orders").db;
  sql::Database& inventory_db = *world.service("inventory").db;
  sql::Database& notifications_db = *world.service("notifications").db;
  report.stock_available_before =
      co_await count(inventory_db, "SELECT CAST(SUM(available) AS BIGINT) FROM stock");

  auto executor = co_await asio::this_coro::executor;
  Run run;
  int connections = std::max(1, options.connections);
  run.measure_from = Clock::now() + kWarmup;
  run.measure_until = run.measure_from + options.seconds;
  for (auto& service : world.services())
    run.outboxes.emplace(service.definition->name, std::make_unique<Wakeup>(executor));
  for (auto& service : world.services())
    asio::co_spawn(executor, relay(world, service, run), asio::detached);
  for (int i = 0; i < connections; ++i) {
    ++run.running;
    asio::co_spawn(executor, connection(world, run, i, connections), asio::detached);
  }
  co_await sleep_until(run.measure_until);
  run.stopping = true;
  while (run.running > 0)  // each connection finishes the order it is in
    co_await sleep_until(Clock::now() + std::chrono::milliseconds(5));
  run.relays_stopping = true;
  for (auto& [service, outbox] : run.outboxes)
    outbox->wake();
  while (run.relays_running > 0)
    co_await sleep_until(Clock::now() + std::chrono::milliseconds(5));

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
      co_await count(inventory_db, "SELECT CAST(SUM(available) AS BIGINT) FROM stock");
  report.stock_reserved_after =
      co_await count(inventory_db, "SELECT CAST(SUM(reserved) AS BIGINT) FROM stock");
  report.orders_confirmed =
      co_await count(orders_db, "SELECT COUNT(*) FROM orders WHERE status = 'confirmed'");
  report.order_notifications = co_await count(
      notifications_db, "SELECT COUNT(*) FROM notifications WHERE event_type = 'order.confirmed'");
  report.outbox_left += co_await count(orders_db, "SELECT COUNT(*) FROM outbox");
  report.outbox_left += co_await count(inventory_db, "SELECT COUNT(*) FROM outbox");
  report.outbox_left += co_await count(notifications_db, "SELECT COUNT(*) FROM outbox");
}

}  // namespace

DbCeilingReport measure_db_ceiling(const BenchOptions& options) {
  DbCeilingReport report;
  asio::io_context io{1};
  std::exception_ptr failure;
  {
    DbCeilingWorld world(io.get_executor(), options, std::max(1, options.connections));
    report.result.database = world.description();
    // Stops the loop at the end: the services' own background work (the notifications
    // dispatcher) runs until its process ends, as in `ordo serve`.
    asio::co_spawn(io, run_all(world, options, report), [&failure, &io](std::exception_ptr e) {
      failure = e;
      io.stop();
    });
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
