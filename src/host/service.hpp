// What a service is to the host that runs it: routes, subscriptions, migrations, start and stop.
// Services get their platform pieces from ServiceResources and never build their own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "platform/auth/token_verifier.hpp"
#include "platform/bus/bus.hpp"
#include "platform/config/config.hpp"
#include "platform/http/client.hpp"
#include "platform/http/router.hpp"
#include "platform/metrics/metrics.hpp"
#include "platform/sql/database.hpp"
#include "platform/sql/migrations.hpp"

namespace ordo::host {

struct ServiceResources {
  const config::Config& config;
  boost::asio::any_io_executor executor;
  sql::Database& db;
  bus::Bus& bus;
  boost::asio::thread_pool& cpu_pool;  // password hashing and other CPU-heavy work
  // The users service's public keys (the users service alone holds the private ones).
  const auth::TokenVerifier& verifier;
  http::Client& http;          // calls to other services (config.upstream_origins)
  metrics::Registry& metrics;  // the process's; series carry the service as a label
};

class Service {
 public:
  virtual ~Service() = default;
  virtual void add_routes(http::Router& router) = 0;
  virtual std::vector<bus::Subscription> subscriptions() { return {}; }
  virtual boost::asio::awaitable<void> start() { co_return; }
  // Routes ("POST /users/login") whose work is an Argon2id hash: admitted in the small
  // "password" group rather than with the other writes (admission.password_max_in_flight).
  virtual std::vector<std::string> password_routes() const { return {}; }
};

// How the host knows a service: its name, its schema, and how to make it.
struct ServiceDefinition {
  std::string name;
  std::vector<sql::Migration> (*migrations)();
  std::unique_ptr<Service> (*make)(ServiceResources& resources);
};

}  // namespace ordo::host
