// The transactional outbox and the inbox: events written with the change they report, consumers
// that apply each event once. Both live in the owning service's database (bus_migrations()).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/bus/bus.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/sql/database.hpp"
#include "platform/sql/migrations.hpp"

namespace ordo::bus {

// The tables outbox, inbox and dead_events, as migrations numbered from 9000 so that they never
// collide with a service's own. Every service that emits or consumes events applies them.
std::vector<sql::Migration> bus_migrations();

// Records the event in the outbox within the caller's transaction.
boost::asio::awaitable<void> enqueue(sql::Transaction& tx, const CloudEvent& event);

// Records that `consumer` has handled event_id, within the caller's transaction. Returns false
// when it was already recorded: the caller must then skip its effect (duplicate delivery).
boost::asio::awaitable<bool> first_delivery(sql::Transaction& tx, const std::string& consumer,
                                            const std::string& event_id);

// Records an event a consumer could not handle and will not retry.
boost::asio::awaitable<void> record_dead(sql::Database& db, const std::string& consumer,
                                         const std::string& raw_event, const std::string& reason);

}  // namespace ordo::bus

namespace ordo::bus {

// The effect of one event inside the consumer's transaction. Throw PoisonEvent for an event whose
// data can never be applied (it is then recorded in dead_events and skipped).
using TransactionalHandler =
    std::function<boost::asio::awaitable<void>(sql::Transaction&, const CloudEvent&)>;

// Wraps fn so that it runs once per event id for this consumer: the inbox record and fn's writes
// commit together; a duplicate is skipped; a PoisonEvent is recorded as dead and acknowledged.
EventHandler idempotent_handler(sql::Database& db, std::string consumer, TransactionalHandler fn);

}  // namespace ordo::bus
