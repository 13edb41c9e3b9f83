// The bus tables, and the outbox's one statement.
#include "platform/bus/outbox.hpp"

#include "platform/core/time.hpp"

namespace ordo::bus {
namespace asio = boost::asio;

namespace {
// seq is the relay's ordering: insertion order, which time-ordered ids alone do not guarantee
// within one millisecond. Each engine has its own way to number rows, hence two variants.
constexpr const char* kOutboxColumns =
    "id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, payload TEXT NOT NULL, "
    "created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)";
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

sql::Statement enqueue_statement(sql::Transaction& tx, const CloudEvent& event) {
  tx.notify(kOutboxChannel);
  return sql::Statement{
      "INSERT INTO outbox (id, type, payload, created_at, attempts) VALUES ($1, $2, $3, $4, 0)",
      sql::params(event.id, event.type, serialize(event), core::rfc3339())};
}

sql::Statement forget_statement(sql::Dialect dialect, const std::vector<std::int64_t>& seqs) {
  // One parameter for the whole batch: a PostgreSQL array literal, or a JSON array for SQLite.
  std::string list;
  for (std::int64_t seq : seqs)
    list += (list.empty() ? "" : ",") + std::to_string(seq);
  if (dialect == sql::Dialect::postgres) {
    return sql::Statement{"DELETE FROM outbox WHERE seq = ANY(CAST($1 AS BIGINT[]))",
                          sql::params("{" + list + "}")};
  }
  return sql::Statement{"DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each($1))",
                        sql::params("[" + list + "]")};
}

asio::awaitable<void> enqueue(sql::Transaction& tx, const CloudEvent& event) {
  sql::Statement statement = enqueue_statement(tx, event);
  co_await tx.exec(statement.sql, std::move(statement.params));
}

}  // namespace ordo::bus
