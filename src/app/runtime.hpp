// The pieces a running service owns (database, relay, server) and how they are built.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "host/service.hpp"
#include "platform/auth/revocations.hpp"
#include "platform/auth/token_verifier.hpp"
#include "platform/bus/relay.hpp"
#include "platform/http/admission_control.hpp"
#include "platform/http/server.hpp"
#include "platform/metrics/metrics.hpp"

namespace ordo::app {

// The service's database: SQLite in data_dir, or its own schema in config.database_url. Returns
// at once; a PostgreSQL that is not up yet makes statements fail until it is. Its commits
// deliver Transaction::notify() to its listeners (the relay listens for the outbox).
std::unique_ptr<sql::Database> open_database(const config::Config& config,
                                             const std::string& service,
                                             boost::asio::any_io_executor executor);
// The relay's own connection to the service's schema (a one-connection PostgreSQL pool), so that
// it never queues behind the service's handlers; null for SQLite.
std::unique_ptr<sql::Database> open_relay_database(const config::Config& config,
                                                   const std::string& service,
                                                   boost::asio::any_io_executor executor);
// The bus of config.bus_url: the in-process bus, NATS JetStream or RabbitMQ. Returns at once;
// a broker that is not up yet is connected to in the background.
std::unique_ptr<bus::Bus> open_bus(const config::Config& config,
                                   boost::asio::any_io_executor executor);
bus::RelayOptions relay_options(const sql::Database& db, sql::Database* relay_connection);
// The service's migrations and the bus tables.
std::vector<sql::Migration> all_migrations(const host::ServiceDefinition& definition);
// Applies them, waiting (with backoff) for a database that cannot be reached yet; gives up only
// when `stopping` turns true or a migration itself fails.
boost::asio::awaitable<void> migrate_when_reachable(sql::Database& db,
                                                    const host::ServiceDefinition& definition,
                                                    const sql::MigrationOptions& options,
                                                    const bool& stopping);
// How long a migration waits for another instance's and may sit idle (database.migration_*).
sql::MigrationOptions migration_options(const config::Config& config);
// Opens the service's database and applies its migrations and the bus tables.
boost::asio::awaitable<std::unique_ptr<sql::Database>> open_migrated(
    const config::Config& config, const host::ServiceDefinition& definition,
    boost::asio::any_io_executor executor);

// Reads a bearer token when present: fills the principal, or credential_error when it is refused
// (bad, expired, or revoked since it was issued). Services verify tokens themselves: they never
// trust the network.
http::Middleware authenticate(const auth::TokenVerifier& verifier,
                              const auth::TokenRevocations& revocations);
// /health, /ready (prepared, database and the token verification keys; the bus is reported, not
// required) on a service's router.
void add_operational_routes(http::Router& router, sql::Database* db, bus::Bus* bus,
                            const bool* prepared = nullptr,
                            const auth::TokenVerifier* verifier = nullptr);
// Answers 503 (with Retry-After) when the database cannot be reached (sql::Error connection/busy).
http::Middleware unavailable_while_database_down();
// Answers 503 (with Retry-After) on every route but /health, /ready and /metrics until *prepared.
http::Middleware until_prepared(const bool* prepared);
// The service's admission groups (read, write, password) from admission.*: the routes of
// password_routes in "password", GET and HEAD in "read", any other method in "write"; /health,
// /ready and /metrics in none (never refused). Each group's gauges go into the registry.
std::unique_ptr<http::AdmissionControl> make_admission(const config::Config& config,
                                                       const std::string& service,
                                                       std::vector<std::string> password_routes,
                                                       metrics::Registry& registry);
// The middleware every server runs first: request context, metrics, access log, error boundary.
// (Services add unavailable_while_database_down() after it; the gateway has no database.)
std::vector<http::Middleware> common_middleware(const config::Config& config,
                                                const std::string& service,
                                                metrics::Registry& registry);

}  // namespace ordo::app
