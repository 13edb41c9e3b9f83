// The pieces a running service owns (database, relay, server) and how they are built.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "host/service.hpp"
#include "platform/http/server.hpp"
#include "platform/metrics/metrics.hpp"

namespace ordo::host {

std::unique_ptr<sql::Database> open_database(const config::Config& config,
                                             const std::string& service);
// Opens the service's database and applies its migrations and the bus tables.
boost::asio::awaitable<std::unique_ptr<sql::Database>> open_migrated(
    const config::Config& config, const ServiceDefinition& definition);

// Reads a bearer token when present: fills the principal, or credential_error when it is refused.
// Services verify tokens themselves: they never trust the network.
http::Middleware authenticate(const auth::JwtVerifier& verifier);
// /health, /ready (database and bus) on a service's router.
void add_operational_routes(http::Router& router, sql::Database* db, bus::Bus* bus);
// The middleware every server runs first.
std::vector<http::Middleware> common_middleware(const config::Config& config,
                                                const std::string& service,
                                                metrics::Registry& registry);

}  // namespace ordo::host
