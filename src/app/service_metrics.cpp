#include "app/service_metrics.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

#include "platform/core/time.hpp"

namespace ordo::app {

void add_database_metrics(metrics::Registry& registry, const std::string& service,
                          const sql::Database& db) {
  const auto& counters = db.counters();
  const metrics::Labels labels{{"service", service}};
  auto add = [&](const std::string& name, const std::string& help,
                 const std::atomic<std::uint64_t>& counter) {
    registry.counter_reading(name, help, labels,
                             [&counter] { return static_cast<double>(counter.load()); });
  };
  add("ordo_db_transactions_total", "Transactions committed or rolled back.",
      counters.transactions);
  add("ordo_db_statements_total", "Statements executed.", counters.statements);
  add("ordo_db_round_trips_total",
      "Round trips to the database (statements sent together count once).", counters.round_trips);
  registry.gauge("ordo_db_connections_in_use",
                 "Connections running a statement or transaction (SQLite: its writer and readers).",
                 labels, [&counters] { return static_cast<double>(counters.in_use.load()); });
  registry.gauge("ordo_db_connections_waiting",
                 "Calls waiting for a free connection (SQLite: for the writer).", labels,
                 [&counters] { return static_cast<double>(counters.waiting.load()); });
  registry.histogram_reading("ordo_db_call_duration_seconds",
                             "Time of a query or transaction, waiting for a connection included.",
                             labels, counters.call_seconds);
}

namespace {

struct Outbox {
  std::atomic<double> depth{0};
  std::atomic<double> oldest_age_seconds{0};
};

boost::asio::awaitable<void> refresh_outbox(sql::Database& db, std::shared_ptr<Outbox> outbox) {
  auto result = co_await db.query("SELECT count(*), min(created_at) FROM outbox");
  const auto& row = result.one();
  outbox->depth = static_cast<double>(row.integer(0));
  double age = 0;
  if (auto oldest = row.optional_text(1)) {
    if (auto millis = core::millis_from_rfc3339(*oldest))
      age = static_cast<double>(std::max<std::int64_t>(0, core::unix_millis() - *millis)) / 1000;
  }
  outbox->oldest_age_seconds = age;
}

}  // namespace

void add_relay_metrics(metrics::Registry& registry, const std::string& service,
                       const bus::OutboxRelay& relay, sql::Database& db) {
  const metrics::Labels labels{{"service", service}};
  registry.counter_reading("ordo_events_published_total",
                           "Events the outbox relay has published (confirmed by the bus).", labels,
                           [&relay] { return static_cast<double>(relay.published()); });
  registry.histogram_reading("ordo_relay_publish_duration_seconds",
                             "Time of one publish until the bus confirmed it.", labels,
                             relay.publish_latency());
  auto outbox = std::make_shared<Outbox>();
  registry.gauge("ordo_outbox_depth", "Events written but not yet published.", labels,
                 [outbox] { return outbox->depth.load(); });
  registry.gauge("ordo_outbox_oldest_age_seconds",
                 "Age of the oldest event not yet published (0 when none).", labels,
                 [outbox] { return outbox->oldest_age_seconds.load(); });
  // Not a coroutine lambda: it hands its captures to the coroutine as parameters.
  registry.refresher([&db, outbox] { return refresh_outbox(db, outbox); });
}

void add_consumer_metrics(metrics::Registry& registry, const std::string& service,
                          const bus::Subscription& subscription) {
  if (!subscription.stats)
    return;
  auto stats = subscription.stats;  // the readings keep it alive
  for (const auto& [type, of_type] : stats->by_type) {
    const metrics::Labels labels{
        {"service", service}, {"consumer", subscription.service}, {"event_type", type}};
    const bus::ConsumedTypeStats* counts = of_type.get();
    auto add = [&](const std::string& name, const std::string& help,
                   const std::atomic<std::uint64_t> bus::ConsumedTypeStats::*member) {
      registry.counter_reading(name, help, labels, [stats, counts, member] {
        return static_cast<double>((counts->*member).load());
      });
    };
    add("ordo_consumer_events_handled_total", "Events applied and committed.",
        &bus::ConsumedTypeStats::handled);
    add("ordo_consumer_duplicates_total",
        "Deliveries of events already handled (redeliveries the inbox absorbed).",
        &bus::ConsumedTypeStats::duplicates);
    add("ordo_consumer_redeliveries_total",
        "Deliveries the bus marked as not the first for their event.",
        &bus::ConsumedTypeStats::redelivered);
    add("ordo_consumer_retries_total", "Events whose handling failed and will be delivered again.",
        &bus::ConsumedTypeStats::retried);
    add("ordo_consumer_dead_events_total",
        "Events that can never succeed, recorded in dead_events.", &bus::ConsumedTypeStats::dead);
    registry.histogram_reading("ordo_consumer_lag_seconds",
                               "From an event's time to the commit of its effect.", labels,
                               of_type->lag_seconds);
  }
}

}  // namespace ordo::app
