#include "host/runtime.hpp"

#include <filesystem>

#include <boost/json.hpp>

#include "platform/bus/outbox.hpp"
#include "platform/http/middleware.hpp"
#include "platform/sql/sqlite_database.hpp"

namespace ordo::host {

using boost::asio::awaitable;

std::unique_ptr<sql::Database> open_database(const config::Config& config,
                                             const std::string& service) {
  if (!config.database_url.empty()) {
    throw std::runtime_error("database_url is set but this build supports only SQLite so far");
  }
  std::filesystem::create_directories(config.data_dir);
  sql::SqliteOptions options;
  options.path = (std::filesystem::path(config.data_dir) / (service + ".db")).string();
  options.synchronous = config.sqlite_synchronous;
  options.readers = config.sqlite_readers;
  return sql::open_sqlite(service, options);
}

awaitable<std::unique_ptr<sql::Database>> open_migrated(const config::Config& config,
                                                        const ServiceDefinition& definition) {
  auto db = open_database(config, definition.name);
  auto migrations = definition.migrations();
  auto bus_tables = bus::bus_migrations();
  migrations.insert(migrations.end(), bus_tables.begin(), bus_tables.end());
  co_await sql::migrate(*db, migrations);
  co_return db;
}

http::Middleware authenticate(const auth::JwtVerifier& verifier) {
  return [&verifier](http::Request& request,
                     const http::Handler& next) -> awaitable<http::Response> {
    if (auto header = request.headers.get("Authorization")) {
      constexpr std::string_view kPrefix = "Bearer ";
      if (header->size() > kPrefix.size() && header->substr(0, kPrefix.size()) == kPrefix) {
        auto verified = verifier.verify(header->substr(kPrefix.size()));
        if (verified.ok()) {
          request.context.principal =
              http::Principal{verified.claims->sub, verified.claims->role, verified.claims->jti};
        } else {
          request.context.credential_error = std::string(auth::to_string(*verified.error));
        }
      } else {
        request.context.credential_error = "the Authorization header must be \"Bearer <token>\"";
      }
    }
    co_return co_await next(request);
  };
}

void add_operational_routes(http::Router& router, sql::Database* db, bus::Bus* bus) {
  router.get("/health", [](http::Request&) -> awaitable<http::Response> {
    co_return http::Response::json(200, boost::json::object{{"status", "ok"}});
  });
  router.get("/ready", [db, bus](http::Request&) -> awaitable<http::Response> {
    bool database = db == nullptr || co_await db->ping();
    bool events = bus == nullptr || co_await bus->ping();
    bool ready = database && events;
    co_return http::Response::json(ready ? 200 : 503,
                                   boost::json::object{{"status", ready ? "ready" : "not ready"},
                                                       {"database", database ? "up" : "down"},
                                                       {"bus", events ? "up" : "down"}});
  });
}

std::vector<http::Middleware> common_middleware(const config::Config& config,
                                                const std::string& service,
                                                metrics::Registry& registry) {
  std::vector<http::Middleware> chain{http::request_context(), metrics::measure(registry, service)};
  if (config.access_log)
    chain.push_back(http::access_log(service));
  chain.push_back(http::error_boundary(service));
  return chain;
}

}  // namespace ordo::host
