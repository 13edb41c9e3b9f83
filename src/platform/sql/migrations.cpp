// Applies a database's migrations in version order, each with its schema_migrations record in one
// transaction, so a crash leaves every migration either fully applied or not at all.
#include "platform/sql/migrations.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

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
// lock per schema (SQLite serializes writers anyway). The lock ends with the transaction.
asio::awaitable<void> lock_schema(Database& db, Transaction& tx) {
  if (db.dialect() == Dialect::postgres) {
    co_await tx.exec("SELECT pg_advisory_xact_lock(hashtext(current_schema()))");
  }
}

asio::awaitable<std::set<int>> applied_versions(Database& db) {
  co_await db.transact([&](Transaction& tx) -> asio::awaitable<void> {
    co_await lock_schema(db, tx);
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
asio::awaitable<bool> apply(Database& db, const Migration& m) {
  bool applied = false;
  co_await db.transact([&](Transaction& tx) -> asio::awaitable<void> {
    co_await lock_schema(db, tx);
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

asio::awaitable<int> migrate(Database& db, const std::vector<Migration>& migrations) {
  std::vector<const Migration*> selected = select_migrations(migrations, db.dialect());
  std::set<int> applied = co_await applied_versions(db);

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
    if (co_await apply(db, *m)) {
      ++count;
      log::info(db.name(), "migration applied", {{"version", m->version}, {"name", m->name}});
    }
  }
  co_return count;
}

}  // namespace ordo::sql
