// The transactional outbox: events written with the change they report. The outbox, inbox and
// dead_events tables live in the owning service's database (bus_migrations()); the inbox and
// dead_events are the consumer's (bus/consumer.hpp).
#pragma once

#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/bus/cloud_event.hpp"
#include "platform/sql/database.hpp"
#include "platform/sql/migrations.hpp"

namespace ordo::bus {

// The tables outbox, inbox, dead_events and relay_lease, as migrations numbered from 9000 so
// that they never collide with a service's own. Every service that emits or consumes events
// applies them.
std::vector<sql::Migration> bus_migrations();

// The channel (sql::Transaction::notify) a transaction that enqueued events notifies: the relay
// listens on it, so it wakes as soon as the events are committed.
inline constexpr std::string_view kOutboxChannel = "outbox";

// Records the event in the outbox within the caller's transaction; once it commits, the relay
// of the database (when it listens: see OutboxRelay) is woken.
boost::asio::awaitable<void> enqueue(sql::Transaction& tx, const CloudEvent& event);

// The same as a statement, for a caller that sends several at once (Transaction::exec_all):
// tx is notified as by enqueue(), and the event is recorded once the statement has run.
sql::Statement enqueue_statement(sql::Transaction& tx, const CloudEvent& event);

// Deletes exactly these outbox rows, in one statement (the relay, once the bus confirmed them):
// a range would also remove a row that another transaction committed with a lower seq after the
// rows were read (PostgreSQL).
sql::Statement forget_statement(sql::Dialect dialect, const std::vector<std::int64_t>& seqs);

}  // namespace ordo::bus
