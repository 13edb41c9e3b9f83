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

}  // namespace ordo::bus
