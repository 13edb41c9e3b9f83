#include "app/runtime.hpp"

#include <algorithm>
#include <filesystem>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "app/access_view.hpp"
#include "platform/bus/amqp_bus.hpp"
#include "platform/bus/local_bus.hpp"
#include "platform/bus/nats_bus.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/core/time.hpp"
#include "platform/http/compression.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/problem.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/commit_listeners.hpp"
#include "platform/sql/postgres_database.hpp"
#include "platform/sql/sqlite_database.hpp"

namespace ordo::app {

using boost::asio::awaitable;

namespace {

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::unique_ptr<sql::Database> open_database(const config::Config& config,
                                             const std::string& service,
                                             boost::asio::any_io_executor executor) {
  if (!config.database_url.empty()) {
    if (!starts_with(config.database_url, "postgresql://") &&
        !starts_with(config.database_url, "postgres://")) {
      throw config::ConfigError("database_url must start with postgresql:// (or be empty)");
    }
    sql::PostgresOptions options;
    options.url = config.database_url;
    options.schema = service;  // one schema per service: its tables are its own
    options.pool_size = config.database_pool_size;
    options.statement_timeout = config.database_statement_timeout;
    return sql::with_commit_listeners(sql::open_postgres(std::move(executor), service, options));
  }
  std::filesystem::create_directories(config.data_dir);
  sql::SqliteOptions options;
  options.path = (std::filesystem::path(config.data_dir) / (service + ".db")).string();
  options.synchronous = config.sqlite_synchronous;
  options.readers = config.sqlite_readers;
  return sql::with_commit_listeners(sql::open_sqlite(service, options));
}

std::unique_ptr<sql::Database> open_relay_database(const config::Config& config,
                                                   const std::string& service,
                                                   boost::asio::any_io_executor executor) {
  if (config.database_url.empty())
    return nullptr;  // SQLite: one writer thread per file whatever the connections
  sql::PostgresOptions options;
  options.url = config.database_url;
  options.schema = service;
  options.pool_size = 1;
  options.statement_timeout = config.database_statement_timeout;
  return sql::open_postgres(std::move(executor), service + "-relay", options);
}

std::unique_ptr<bus::Bus> open_bus(const config::Config& config,
                                   boost::asio::any_io_executor executor) {
  bus::BatchOptions batch{config.bus_batch_size, config.bus_batch_wait};
  if (config.bus_url.empty() || config.bus_url == "local")
    return bus::make_local_bus(std::move(executor), batch);
  if (starts_with(config.bus_url, "nats://")) {
    bus::NatsBusOptions options;
    options.url = config.bus_url;
    options.name_space = config.bus_namespace;
    options.max_deliver = config.bus_max_deliver;
    options.ack_wait = config.bus_ack_wait;
    options.batch = batch;
    return bus::make_nats_bus(std::move(executor), options);
  }
  if (starts_with(config.bus_url, "amqp://")) {
    bus::AmqpBusOptions options;
    options.url = config.bus_url;
    options.name_space = config.bus_namespace;
    options.delivery_limit = config.bus_max_deliver;
    options.batch = batch;
    return bus::make_amqp_bus(std::move(executor), options);
  }
  throw config::ConfigError("bus_url must be local, nats://host:port or amqp://...; got '" +
                            config.bus_url + "'");
}

bus::RelayOptions relay_options(const sql::Database& db, sql::Database* relay_connection) {
  bus::RelayOptions options;
  options.connection = relay_connection;
  if (db.dialect() == sql::Dialect::postgres) {
    // Another instance may hold the relay lease and commit events this one is never told of:
    // poll often, so those wait tens of milliseconds, not the idle half second.
    options.poll_interval = std::chrono::milliseconds(50);
  }
  return options;
}

std::vector<sql::Migration> all_migrations(const host::ServiceDefinition& definition) {
  auto migrations = definition.migrations();
  auto bus_tables = bus::bus_migrations();
  migrations.insert(migrations.end(), bus_tables.begin(), bus_tables.end());
  auto access_tables = AccessView::migrations();
  migrations.insert(migrations.end(), access_tables.begin(), access_tables.end());
  return migrations;
}

sql::MigrationOptions migration_options(const config::Config& config) {
  sql::MigrationOptions options;
  // Each wait for the lock ends well before the statement timeout would fail it.
  options.lock_attempt =
      std::clamp(config.database_statement_timeout / 2, std::chrono::milliseconds(10),
                 std::chrono::milliseconds(1'000));
  options.lock_wait = config.database_migration_lock_wait;
  options.idle_timeout = config.database_migration_idle_timeout;
  return options;
}

awaitable<void> migrate_when_reachable(sql::Database& db, const host::ServiceDefinition& definition,
                                       const sql::MigrationOptions& options, const bool& stopping) {
  auto migrations = all_migrations(definition);
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer timer(executor);
  std::chrono::milliseconds backoff{100};
  for (int attempt = 1; !stopping; ++attempt) {
    std::string failure;
    try {
      co_await sql::migrate(db, migrations, options);
      co_return;
    } catch (const sql::Error& e) {
      // Unreachable (not up yet, restarting) or racing another instance's migration: retry.
      // Anything else is a broken migration, which waiting cannot fix.
      if (e.kind() == sql::Error::Kind::other)
        throw;
      failure = e.what();
    }
    if (attempt == 1 || attempt % 20 == 0) {
      log::warn(definition.name, "database not reachable yet; waiting",
                {{"attempt", attempt}, {"error", failure}});
    }
    timer.expires_after(backoff);
    co_await timer.async_wait(boost::asio::use_awaitable);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2'000));
  }
}

awaitable<std::unique_ptr<sql::Database>> open_migrated(const config::Config& config,
                                                        const host::ServiceDefinition& definition,
                                                        boost::asio::any_io_executor executor) {
  auto db = open_database(config, definition.name, executor);
  co_await sql::migrate(*db, all_migrations(definition), migration_options(config));
  co_return db;
}

http::Middleware authenticate(const auth::TokenVerifier& verifier,
                              const auth::TokenRevocations& revocations) {
  return [&verifier, &revocations](http::Request& request,
                                   const http::Handler& next) -> awaitable<http::Response> {
    if (auto header = request.headers.get("Authorization")) {
      constexpr std::string_view kPrefix = "Bearer ";
      if (header->size() > kPrefix.size() && header->substr(0, kPrefix.size()) == kPrefix) {
        std::string token(header->substr(kPrefix.size()));
        auto verified = co_await verifier.verify(std::move(token));
        std::optional<std::string_view> revoked;
        if (verified.ok())
          revoked = revocations.refusal(*verified.claims, core::unix_seconds());
        if (revoked) {
          request.context.credential_error = std::string(*revoked);
        } else if (verified.ok()) {
          const auto& claims = *verified.claims;
          request.context.principal =
              http::Principal{claims.sub, claims.role, claims.jti, claims.sid};
        } else {
          request.context.credential_error = std::string(auth::to_string(*verified.error));
          request.context.credentials_unverifiable =
              *verified.error == auth::JwtError::unknown_key && !verifier.has_keys();
        }
      } else {
        request.context.credential_error = "the Authorization header must be \"Bearer <token>\"";
      }
    }
    co_return co_await next(request);
  };
}

void add_operational_routes(http::Router& router, sql::Database* db, bus::Bus* bus,
                            const bool* prepared, const auth::TokenVerifier* verifier) {
  router.get("/health", [](http::Request&) -> awaitable<http::Response> {
    co_return http::Response::json(200, boost::json::object{{"status", "ok"}});
  });
  // Ready means able to answer: migrated and subscribed, and the database reachable. The broker
  // is reported but does not make a service unready: while it is away the outbox keeps events
  // (orders are still accepted, 202) and they go out when it is back; an unready answer would
  // make the gateway eject every instance and turn a broker outage into a full API outage.
  // Without the verification keys every authenticated request would be a 401: not ready.
  router.get("/ready", [db, bus, prepared, verifier](http::Request&) -> awaitable<http::Response> {
    bool database = db == nullptr || co_await db->ping();
    bool events = bus == nullptr || co_await bus->ping();
    bool started = prepared == nullptr || *prepared;
    bool keys = verifier == nullptr || verifier->has_keys();
    bool ready = database && started && keys;
    const char* status = !ready ? "not ready" : events ? "ready" : "degraded";
    co_return http::Response::json(ready ? 200 : 503,
                                   boost::json::object{{"status", status},
                                                       {"database", database ? "up" : "down"},
                                                       {"bus", events ? "up" : "down"},
                                                       {"started", started},
                                                       {"keys", keys}});
  });
}

http::Middleware unavailable_while_database_down() {
  return [](http::Request& request, const http::Handler& next) -> awaitable<http::Response> {
    try {
      co_return co_await next(request);
    } catch (const sql::Error& e) {
      // Unreachable or restarting: a client may retry later. Anything else stays a 500.
      if (e.kind() != sql::Error::Kind::connection && e.kind() != sql::Error::Kind::busy)
        throw;
    }
    // Only a database failure gets here (no co_await inside a catch handler).
    auto response = errors::to_response(
        errors::service_unavailable("the service's database is not reachable; retry later"));
    response.headers.set("Retry-After", "1");
    co_return response;
  };
}

http::Middleware until_prepared(const bool* prepared) {
  return [prepared](http::Request& request,
                    const http::Handler& next) -> awaitable<http::Response> {
    if (*prepared || request.path == "/health" || request.path == "/ready" ||
        request.path == "/metrics") {
      co_return co_await next(request);
    }
    auto problem =
        errors::service_unavailable("the service is starting: its database is not reachable yet");
    auto response = errors::to_response(problem);
    response.headers.set("Retry-After", "1");
    co_return response;
  };
}

std::unique_ptr<http::AdmissionControl> make_admission(const config::Config& config,
                                                       const std::string& service,
                                                       std::vector<std::string> password_routes,
                                                       metrics::Registry& registry) {
  constexpr std::size_t kRead = 0, kWrite = 1, kPassword = 2;
  auto wait = config.admission_queue_wait;
  http::AdmissionPolicy policy;
  policy.groups = {{"read", {config.admission_read_max_in_flight, wait}},
                   {"write", {config.admission_write_max_in_flight, wait}},
                   {"password", {config.password_max_in_flight(), wait}}};
  policy.trusted_proxies = config.trusted_proxies;
  policy.classify = [password = std::move(password_routes)](
                        const http::Request& request) -> std::optional<std::size_t> {
    std::string_view path = request.path;
    if (path == "/health" || path == "/ready" || path == "/metrics")
      return std::nullopt;
    if (request.method == "GET" || request.method == "HEAD")
      return kRead;
    // The router takes "/users/login/" for "/users/login": so must the class.
    if (path.size() > 1 && path.ends_with('/'))
      path.remove_suffix(1);
    for (const auto& route : password) {
      auto space = route.find(' ');
      if (std::string_view(route).substr(0, space) == request.method &&
          std::string_view(route).substr(space + 1) == path)
        return kPassword;
    }
    return kWrite;
  };
  auto admission = std::make_unique<http::AdmissionControl>(std::move(policy));
  for (std::size_t group = 0; group < admission->group_count(); ++group) {
    const auto& name = admission->group_name(group);
    registry.gauge("ordo_admission_in_flight",
                   "Requests running, by service and admission class (read, write, password).",
                   {{"service", service}, {"class", name}}, admission->in_flight_gauge(group));
    registry.counter_reading(
        "ordo_admission_refused_total",
        "Requests refused before they started (503 shed or 504 queue timeout), by service and "
        "admission class.",
        {{"service", service}, {"class", name}}, admission->refused_gauge(group));
  }
  return admission;
}

std::vector<http::Middleware> common_middleware(const config::Config& config,
                                                const std::string& service,
                                                metrics::Registry& registry) {
  std::vector<http::Middleware> chain;
  // Outermost: every answer, refusals and problems included, leaves through it.
  if (config.http_compress)
    chain.push_back(http::compress_responses());
  chain.insert(chain.end(), {http::security_headers(), http::request_context(),
                             metrics::measure(registry, service)});
  if (config.access_log)
    chain.push_back(http::access_log(service));
  chain.push_back(http::error_boundary(service));
  return chain;
}

}  // namespace ordo::app
