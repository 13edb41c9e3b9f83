// Rewrites PostgreSQL placeholders ($1, $2, ...) into SQLite's numbered form (?1, ?2, ...).
#pragma once

#include <string>
#include <string_view>

namespace ordo::sql {

// Leaves string literals, quoted identifiers and comments untouched, and a `$` that continues an
// identifier (PostgreSQL allows `a$1` as a name).
std::string to_sqlite_placeholders(std::string_view sql);

}  // namespace ordo::sql
