// The outbox, inbox and dead_events tables and the statements on them.
#include "platform/bus/outbox.hpp"

#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"

namespace ordo::bus {
namespace asio = boost::asio;

namespace {
// seq is the relay's ordering: insertion order, which time-ordered ids alone do not guarantee
// within one millisecond. Each engine has its own way to number rows, hence two variants.
constexpr const char* kOutboxColumns =
    "id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, payload TEXT NOT NULL, "
    "created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)";

asio::awaitable<void> insert_dead(sql::Transaction& tx, const std::string& consumer,
                                  const std::string& raw_event, const std::string& reason) {
  co_await tx.exec(
      "INSERT INTO dead_events (id, consumer, payload, reason, recorded_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      sql::params(core::uuid_v7(), consumer, raw_event, reason, core::rfc3339()));
}

// The inbox record and the dead record commit together, so a redelivered poison event is
// skipped like any other duplicate instead of being recorded again.
asio::awaitable<void> bury(sql::Database& db, const std::string& consumer, const CloudEvent& event,
                           const std::string& reason) {
  co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
    if (co_await first_delivery(tx, consumer, event.id)) {
      std::string raw = serialize(event);
      co_await insert_dead(tx, consumer, raw, reason);
    }
  });
}

asio::awaitable<void> handle_once(sql::Database& db, std::string consumer, TransactionalHandler fn,
                                  const CloudEvent& event) {
  std::optional<std::string> poison;
  try {
    co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      if (!co_await first_delivery(tx, consumer, event.id)) {
        co_return;  // already applied: a redelivery
      }
      co_await fn(tx, event);
    });
  } catch (const PoisonEvent& e) {
    poison = e.what();
  } catch (const sql::Error& e) {
    // The database is down or restarting: nothing was applied; not the event's fault.
    if (e.kind() == sql::Error::Kind::connection || e.kind() == sql::Error::Kind::busy)
      throw Unavailable(e.what());
    throw;
  }
  if (poison) {
    log::warn(consumer, "poison event recorded as dead",
              {{"event_id", event.id}, {"type", event.type}, {"reason", *poison}});
    co_await bury(db, consumer, event, *poison);
  }
}
}  // namespace

std::vector<sql::Migration> bus_migrations() {
  return {
      {9001, "outbox", "sqlite",
       std::string("CREATE TABLE outbox (seq INTEGER PRIMARY KEY, ") + kOutboxColumns},
      {9001, "outbox", "postgres",
       std::string("CREATE TABLE outbox (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ") +
           kOutboxColumns},
      {9002, "inbox", "any",
       "CREATE TABLE inbox (consumer TEXT NOT NULL, event_id TEXT NOT NULL, "
       "processed_at TEXT NOT NULL, PRIMARY KEY (consumer, event_id))"},
      {9003, "dead_events", "any",
       "CREATE TABLE dead_events (id TEXT PRIMARY KEY, consumer TEXT NOT NULL, "
       "payload TEXT NOT NULL, reason TEXT NOT NULL, recorded_at TEXT NOT NULL)"},
      // Which instance's relay drains the outbox, until when: with several instances of a
      // service on one database, one relay at a time keeps each entity's events in order.
      {9004, "relay_lease", "any",
       "CREATE TABLE relay_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
       "expires_at_ms BIGINT NOT NULL); "
       "INSERT INTO relay_lease (name, holder, expires_at_ms) VALUES ('outbox', '', 0)"},
  };
}

asio::awaitable<void> enqueue(sql::Transaction& tx, const CloudEvent& event) {
  co_await tx.exec(
      "INSERT INTO outbox (id, type, payload, created_at, attempts) VALUES ($1, $2, $3, $4, 0)",
      sql::params(event.id, event.type, serialize(event), core::rfc3339()));
}

asio::awaitable<bool> first_delivery(sql::Transaction& tx, const std::string& consumer,
                                     const std::string& event_id) {
  sql::Result inserted = co_await tx.exec(
      "INSERT INTO inbox (consumer, event_id, processed_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (consumer, event_id) DO NOTHING",
      sql::params(consumer, event_id, core::rfc3339()));
  co_return inserted.affected_rows == 1;
}

asio::awaitable<void> record_dead(sql::Database& db, const std::string& consumer,
                                  const std::string& raw_event, const std::string& reason) {
  co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
    co_await insert_dead(tx, consumer, raw_event, reason);
  });
}

EventHandler idempotent_handler(sql::Database& db, std::string consumer, TransactionalHandler fn) {
  // Not a coroutine lambda: handle_once copies consumer and fn into its own frame, so the
  // returned handler may be copied or destroyed while a delivery is in flight.
  return [&db, consumer = std::move(consumer), fn = std::move(fn)](const CloudEvent& event) {
    return handle_once(db, consumer, fn, event);
  };
}

}  // namespace ordo::bus
