// Applies a database's migrations in version order, each with its schema_migrations record in one
// transaction, so a crash leaves every migration either fully applied or not at all.
#include "platform/sql/migrations.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <stdexcept>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/core/time.hpp"
#include "platform/log/log.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;

std::string dialect_name(Dialect dialect) {
  return dialect == Dialect::sqlite ? "sqlite" : "postgres";
}

// The migrations this database runs, sorted; a version defined twice for it is a build mistake.
std::vector<const Migration*> select_migrations(const std::vector<Migration>& migrations,
                                                Dialect dialect) {
  std::string name = dialect_name(dialect);
  std::vector<const Migration*> selected;
  for (const Migration& m : migrations) {
    if (m.dialect != "any" && m.dialect != "sqlite" && m.dialect != "postgres") {
      throw std::runtime_error("migration " + std::to_string(m.version) + " has unknown dialect '" +
                               m.dialect + "'");
    }
    if (m.dialect == "any" || m.dialect == name) {
      selected.push_back(&m);
    }
  }
  std::sort(selected.begin(), selected.end(),
            [](const Migration* a, const Migration* b) { return a->version < b->version; });
  for (std::size_t i = 1; i < selected.size(); ++i) {
    if (selected[i]->version == selected[i - 1]->version) {
      throw std::runtime_error("migration version " + std::to_string(selected[i]->version) +
                               " is defined twice for " + name);
    }
  }
  return selected;
}

// PostgreSQL runs transactions of several instances at once: migrating ones queue behind one
// lock per schema (SQLite serializes writers anyway). The lock ends with the transaction. Each
// wait is short (lock_timeout, SQLSTATE 55P03 when it ends) so that the caller backs off and
// tries again rather than a statement timeout failing the service; the server ends a migration
// transaction left idle, so a stalled holder frees the lock.
asio::awaitable<void> lock_schema(Database& db, Transaction& tx, const MigrationOptions& options) {
  if (db.dialect() == Dialect::postgres) {
    co_await tx.exec(
        "SELECT set_config('lock_timeout', $1, true), "
        "set_config('idle_in_transaction_session_timeout', $2, true)",
        params(std::to_string(options.lock_attempt.count()),
               std::to_string(options.idle_timeout.count())));
    co_await tx.exec("SELECT pg_advisory_xact_lock(hashtext(current_schema()))");
  }
}

bool is_lock_timeout(const Error& e) {
  return e.sqlstate() == "55P03";  // lock_not_available
}

// Runs one locking transaction, again after a lock timeout, with a growing pause, until
// options.lock_wait has passed.
asio::awaitable<void> transact_locked(
    Database& db, const MigrationOptions& options,
    const std::function<asio::awaitable<void>(Transaction&)>& body) {
  auto executor = co_await asio::this_coro::executor;
  auto give_up_at = std::chrono::steady_clock::now() + options.lock_wait;
  std::chrono::milliseconds pause{50};
  for (int attempt = 1;; ++attempt) {
    bool timed_out = false;
    try {
      co_await db.transact([&](Transaction& tx) -> asio::awaitable<void> {
        co_await lock_schema(db, tx, options);
        co_await body(tx);
      });
      co_return;
    } catch (const Error& e) {
      if (!is_lock_timeout(e)) {
        throw;
      }
      timed_out = true;
    }
    if (timed_out && std::chrono::steady_clock::now() + pause >= give_up_at) {
      throw Error(Error::Kind::busy,
                  db.name() + ": another instance held the schema migration lock for over " +
                      std::to_string(options.lock_wait.count()) + " ms (" +
                      std::to_string(attempt) + " attempts)");
    }
    if (attempt == 1 || attempt % 10 == 0) {
      log::info(db.name(), "waiting for another instance's schema migration",
                {{"attempt", attempt}});
    }
    asio::steady_timer timer(executor);
    timer.expires_after(pause);
    co_await timer.async_wait(asio::use_awaitable);
    pause = std::min(pause * 2, std::chrono::milliseconds(1'000));
  }
}

asio::awaitable<std::set<int>> applied_versions(Database& db, const MigrationOptions& options) {
  co_await transact_locked(db, options, [](Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  });
  Result result = co_await db.query("SELECT version FROM schema_migrations");
  std::set<int> versions;
  for (const Row& row : result.rows) {
    versions.insert(static_cast<int>(row.integer(0)));
  }
  co_return versions;
}

// Re-checks inside the transaction so two processes migrating at once apply each migration once.
asio::awaitable<bool> apply(Database& db, const Migration& m, const MigrationOptions& options) {
  bool applied = false;
  co_await transact_locked(db, options, [&](Transaction& tx) -> asio::awaitable<void> {
    Result existing =
        co_await tx.exec("SELECT 1 FROM schema_migrations WHERE version = $1", params(m.version));
    if (!existing.empty()) {
      co_return;
    }
    co_await tx.exec(m.sql);
    co_await tx.exec(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        params(m.version, m.name, core::rfc3339()));
    applied = true;
  });
  co_return applied;
}
}  // namespace

asio::awaitable<int> migrate(Database& db, const std::vector<Migration>& migrations,
                             MigrationOptions options) {
  std::vector<const Migration*> selected = select_migrations(migrations, db.dialect());
  std::set<int> applied = co_await applied_versions(db, options);

  int newest_known = 0;
  for (const Migration& m : migrations) {
    newest_known = std::max(newest_known, m.version);
  }
  if (!applied.empty() && *applied.rbegin() > newest_known) {
    throw std::runtime_error(
        db.name() + ": database has schema version " + std::to_string(*applied.rbegin()) +
        " but this binary knows versions up to " + std::to_string(newest_known) +
        " (a newer binary migrated it; or migrations were split across migrate() calls: pass "
        "all of a database's migrations, bus_migrations() included, in one call)");
  }

  int count = 0;
  for (const Migration* m : selected) {
    if (applied.contains(m->version)) {
      continue;
    }
    if (co_await apply(db, *m, options)) {
      ++count;
      log::info(db.name(), "migration applied", {{"version", m->version}, {"name", m->name}});
    }
  }
  co_return count;
}

}  // namespace ordo::sql
