// The db ceiling's world: the services of the order flow (orders, inventory, notifications) built
// through their registrations, as `ordo serve` builds them, each on a fresh database (SQLite files
// in a temporary directory; in a distributed mode, its schema in a fresh database of the
// PostgreSQL server), with their own subscriptions, and a seeded catalog. No service header here:
// orders are placed through the orders service's POST /orders handler, events handed to the
// subscriptions that ask for their type.
#pragma once

#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "bench/bench.hpp"
#include "bench/postgres_admin.hpp"
#include "host/service.hpp"
#include "platform/bus/bus.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/http/router.hpp"
#include "platform/sql/database.hpp"

namespace ordo::bench {

// One service as the ceiling runs it: what `ordo serve` would give it, without a server, a relay
// or a bus (the ceiling relays its outbox itself).
struct ReplayedService {
  const host::ServiceDefinition* definition = nullptr;
  std::unique_ptr<sql::Database> db;
  std::unique_ptr<host::ServiceResources> resources;
  std::unique_ptr<host::Service> service;
  http::Router routes;
  std::vector<bus::Subscription> subscriptions;  // as it subscribes them to a bus
};

class DbCeilingWorld {
 public:
  // users: one customer per connection. The options' mode picks the database (and its URL, the
  // SQLite durability).
  DbCeilingWorld(boost::asio::any_io_executor executor, const BenchOptions& options, int users);
  ~DbCeilingWorld();
  DbCeilingWorld(const DbCeilingWorld&) = delete;
  DbCeilingWorld& operator=(const DbCeilingWorld&) = delete;

  // Migrates the databases, subscribes and starts the services, and seeds products (with ample
  // stock) and users through their subscriptions.
  boost::asio::awaitable<void> prepare();

  // "SQLite synchronous=NORMAL" or "PostgreSQL 15.5 synchronous_commit=on fsync=on".
  const std::string& description() const { return description_; }
  // orders, inventory, notifications; throws for another name.
  ReplayedService& service(std::string_view name);
  std::deque<ReplayedService>& services() { return services_; }
  const std::vector<std::string>& product_ids() const { return product_ids_; }
  const std::vector<std::string>& user_ids() const { return user_ids_; }

  // POST /orders of one unit of the product, as the customer, through the orders service's
  // handler (without the server's middleware); returns the order's id.
  boost::asio::awaitable<std::string> place_order(const std::string& user_id,
                                                  const std::string& product_id);

 private:
  // Hands the event to every subscription of every service here that asks for its type.
  boost::asio::awaitable<void> deliver(const bus::CloudEvent& event);

  // Declared first so that they are removed after the databases are closed.
  struct TempDir {
    std::filesystem::path path;
    ~TempDir();
  } dir_;
  std::unique_ptr<TemporaryDatabase> database_;  // distributed modes
  std::string description_;
  boost::asio::any_io_executor executor_;
  // What every service of a process shares; the bus, the client and the verifier go unused (the
  // catalog is seeded, and no request carries a token).
  config::Config config_;
  boost::asio::thread_pool cpu_pool_{1};
  std::unique_ptr<bus::Bus> bus_;
  std::unique_ptr<http::Client> http_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  metrics::Registry metrics_;
  std::deque<ReplayedService> services_;  // a deque: resources are referred to by address
  int users_;
  std::vector<std::string> product_ids_;
  std::vector<std::string> user_ids_;
};

}  // namespace ordo::bench
