// Numbered, per-service schema migrations, applied in order once each and recorded in the database.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/sql/database.hpp"

namespace ordo::sql {

struct Migration {
  int version;
  std::string name;
  std::string dialect;  // "any", "sqlite" or "postgres"
  std::string sql;      // one or more statements
};

// PostgreSQL: instances migrating at once take turns on one advisory lock per schema, held by a
// transaction (it ends with the transaction, the session, or the process). Issue 14: a migration
// that stalled while holding it kept every other instance waiting until they timed out and
// restarted. Now a waiter gives up each wait after lock_attempt and tries again with backoff,
// up to lock_wait in all; and a migration transaction left idle (its process stalled between
// statements) for idle_timeout is ended by the server, which frees the lock.
struct MigrationOptions {
  std::chrono::milliseconds lock_attempt{1'000};  // keep it below the statement timeout
  std::chrono::milliseconds lock_wait{60'000};
  std::chrono::milliseconds idle_timeout{10'000};
};

// Applies the migrations of the database's dialect that are not yet recorded in
// schema_migrations, each in its own transaction. Returns how many were applied. Throws when the
// database holds a version this binary does not know (a newer binary migrated it), and
// sql::Error(busy) when another migration held the lock for all of options.lock_wait.
boost::asio::awaitable<int> migrate(Database& db, const std::vector<Migration>& migrations,
                                    MigrationOptions options = {});

}  // namespace ordo::sql
