// PostgreSQL behind the Database interface: libpq's async API on the event loop, a pool of
// connections made lazily and remade after failures, one schema per owning service.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "platform/core/name_lookup.hpp"
#include "platform/sql/database.hpp"

namespace ordo::sql {

struct PostgresOptions {
  std::string url;     // postgresql://user:pass@127.0.0.1:5432/db (libpq conninfo URI)
  std::string schema;  // the owning service's schema, e.g. "orders" (empty: the service
                       // name): created if missing, set as search_path
  int pool_size = 4;   // connections
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::milliseconds connect_timeout{3000};  // host name lookup included
  core::NameLookup lookup{};  // resolves the URL's host names (empty: the system's resolver)
};

// Returns at once and never throws for an unreachable server: connections are made when first
// needed; while the server is unreachable, statements throw sql::Error(Kind::connection) (after
// a failed attempt, further attempts wait a growing backoff) and ping() answers false.
// Every call must come from the executor's thread (the work itself runs on a strand of it).
std::unique_ptr<Database> open_postgres(boost::asio::any_io_executor executor,
                                        const std::string& service_name,
                                        const PostgresOptions& options);

}  // namespace ordo::sql
