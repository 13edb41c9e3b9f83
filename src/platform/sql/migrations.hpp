// Numbered, per-service schema migrations, applied in order once each and recorded in the database.
#pragma once

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

// Applies the migrations of the database's dialect that are not yet recorded in
// schema_migrations, each in its own transaction. Returns how many were applied. Throws when the
// database holds a version this binary does not know (a newer binary migrated it).
boost::asio::awaitable<int> migrate(Database& db, const std::vector<Migration>& migrations);

}  // namespace ordo::sql
