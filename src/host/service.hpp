// What a service is to the process that runs it: routes, subscriptions, migrations, start, and the
// commands it owns. Services get their platform pieces from ServiceResources (or, for the entry
// point, EntryResources) and never build their own.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "platform/auth/token_verifier.hpp"
#include "platform/bus/bus.hpp"
#include "platform/config/config.hpp"
#include "platform/core/name_lookup.hpp"
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

// What the process gives its entry point (the gateway): no database and no bus, but event loops
// of its own (gateway.io_threads, each an io_context of one thread); its handlers run on any of
// them, so what they share must be guarded.
struct EntryResources {
  const config::Config& config;
  std::vector<boost::asio::any_io_executor> loops;  // at least one
  const auth::TokenVerifier& verifier;              // the users service's JWKS
  metrics::Registry& metrics;
  std::set<std::string> services;  // every other service this binary registered
  core::NameLookup lookup{};       // resolves upstream host names (empty: the system's resolver)
};

class Service {
 public:
  virtual ~Service() = default;
  virtual void add_routes(http::Router& router) = 0;
  // Its own middleware, run after the process's (request context, metrics, log, authentication).
  virtual std::vector<http::Middleware> middleware() { return {}; }
  virtual std::vector<bus::Subscription> subscriptions() { return {}; }
  // Runs once migrated and subscribed, before the service is ready (its start hook).
  virtual boost::asio::awaitable<void> start() { co_return; }
  // Runs at shutdown, once its server has drained and before the process's event loop ends:
  // background work finishes what is in flight and hands back what it holds (a claimed row left
  // behind waits out its lease before any instance takes it again).
  virtual boost::asio::awaitable<void> stop() { co_return; }
  // Routes ("POST /users/login") whose work is an Argon2id hash: admitted in the small
  // "password" group rather than with the other writes (admission.password_max_in_flight).
  virtual std::vector<std::string> password_routes() const { return {}; }
  // The public keys of the access tokens it signs (only a definition with signs_tokens): a
  // process running it verifies tokens with them rather than asking its JWKS over HTTP.
  virtual boost::asio::awaitable<auth::KeySet> token_keys() {
    throw std::logic_error("this service signs no tokens");
  }
  // Whether /metrics is on its port (the process's registry, every service's series).
  virtual bool serves_metrics() const { return true; }
};

// A command a service owns on the command line: `ordo <service> <name> --<option> value`. It runs
// with the service's database, migrated, and no server.
struct CommandOption {
  std::string name;  // "email" for --email
  std::string description;
  std::string environment;  // read from this variable when the flag is absent ("" for none)
};

struct CommandContext {
  const config::Config& config;
  sql::Database& db;
  boost::asio::thread_pool& cpu_pool;
  std::map<std::string, std::string> options;  // by name, every one given
  std::ostream& out;                           // what it reports, for people
};

struct Command {
  std::string name;
  std::string description;
  std::vector<CommandOption> options;                                      // all required
  boost::asio::awaitable<void> (*run)(CommandContext& context) = nullptr;  // throws on failure
};

// How the process knows a service: its name, its schema, how to make it, what it owns besides.
struct ServiceDefinition {
  std::string name;
  std::uint16_t port = 0;  // its default port (<name>.port)
  // Lower starts first: producers of events before the services that consume them, the entry
  // point after every other.
  int start_order = 0;
  std::vector<sql::Migration> (*migrations)() = nullptr;  // null: it keeps no database
  // Exactly one of these: a service with a database, or the entry point, which starts once every
  // other service of its process is ready and stops first.
  std::unique_ptr<Service> (*make)(ServiceResources& resources) = nullptr;
  std::unique_ptr<Service> (*make_entry)(EntryResources& resources) = nullptr;
  bool signs_tokens = false;  // it issues the access tokens (see Service::token_keys)
  std::string commands_description{};
  std::vector<Command> commands{};
  // Its own settings, declared next to its code (services/<name>/settings.cpp); no name: none.
  config::Section settings{};
  // The entry point: how many event loops it wants (from its settings); null: one.
  std::size_t (*event_loops)(const config::Config& config) = nullptr;
};

// The definition with its make function: a Service type built from EntryResources& is the entry
// point, any other is built from ServiceResources&.
template <typename ServiceType>
ServiceDefinition define_service(ServiceDefinition definition) {
  if constexpr (std::is_constructible_v<ServiceType, EntryResources&>) {
    definition.make_entry = [](EntryResources& resources) -> std::unique_ptr<Service> {
      return std::make_unique<ServiceType>(resources);
    };
  } else {
    definition.make = [](ServiceResources& resources) -> std::unique_ptr<Service> {
      return std::make_unique<ServiceType>(resources);
    };
  }
  return definition;
}

}  // namespace ordo::host
