// The metrics every service gets from the platform parts it runs on: its database handle, its
// outbox relay and its consumers, registered under the service's label.
#pragma once

#include <string>

#include "platform/bus/bus.hpp"
#include "platform/bus/relay.hpp"
#include "platform/metrics/metrics.hpp"
#include "platform/sql/database.hpp"

namespace ordo::app {

// Work done (transactions, statements, round trips: `ordo bench` reads work per order from
// them), connections in use and waiting, and the time of each query or transaction.
void add_database_metrics(metrics::Registry& registry, const std::string& service,
                          const sql::Database& db);

// Events published and each publish's time until confirmed; the outbox's depth and the age of its
// oldest row, queried at scrape time.
void add_relay_metrics(metrics::Registry& registry, const std::string& service,
                       const bus::OutboxRelay& relay, sql::Database& db);

// Per consumer and event type: events handled, duplicates (redeliveries of handled events),
// retries, dead events, and the lag from the event's time to its handling.
void add_consumer_metrics(metrics::Registry& registry, const std::string& service,
                          const bus::Subscription& subscription);

}  // namespace ordo::app
