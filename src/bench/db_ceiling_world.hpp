// The db ceiling's world: fresh orders, inventory and notifications databases (SQLite files in a
// temporary directory; in a distributed mode, the services' schemas in a fresh database of the
// PostgreSQL server), the services' own stores and event handlers on them, and a seeded catalog.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "bench/bench.hpp"
#include "bench/postgres_admin.hpp"
#include "platform/bus/bus.hpp"
#include "platform/sql/database.hpp"
#include "services/notifications/dispatcher.hpp"
#include "services/orders/metrics.hpp"
#include "services/orders/store.hpp"
#include "services/orders/waiters.hpp"

namespace ordo::bench {

class DbCeilingWorld {
 public:
  // users: one customer per connection. The options' mode picks the database (and its URL, the
  // SQLite durability).
  DbCeilingWorld(boost::asio::any_io_executor executor, const BenchOptions& options, int users);
  ~DbCeilingWorld();
  DbCeilingWorld(const DbCeilingWorld&) = delete;
  DbCeilingWorld& operator=(const DbCeilingWorld&) = delete;

  // Migrates the three databases, seeds products (with ample stock) and users through the
  // services' subscription handlers, and starts the notifications dispatcher.
  boost::asio::awaitable<void> prepare();
  boost::asio::awaitable<void> stop();  // the dispatcher

  // "SQLite synchronous=NORMAL" or "PostgreSQL 15.5 synchronous_commit=on fsync=on".
  const std::string& description() const { return description_; }
  sql::Database& orders_db() { return *orders_db_; }
  sql::Database& inventory_db() { return *inventory_db_; }
  sql::Database& notifications_db() { return *notifications_db_; }
  services::orders::OrderStore& order_store() { return *order_store_; }
  const std::vector<std::string>& product_ids() const { return product_ids_; }
  const std::vector<std::string>& user_ids() const { return user_ids_; }

  // Each service's real consumer (a batch in one transaction: inbox rows, effects, outbox).
  const bus::BatchHandler& to_orders() const { return to_orders_; }
  const bus::BatchHandler& to_inventory() const { return to_inventory_; }
  const bus::BatchHandler& to_notifications() const { return to_notifications_; }

 private:
  // Declared first so that they are removed after the databases are closed.
  struct TempDir {
    std::filesystem::path path;
    ~TempDir();
  } dir_;
  std::unique_ptr<TemporaryDatabase> database_;  // distributed modes
  std::string description_;
  boost::asio::any_io_executor executor_;
  std::unique_ptr<sql::Database> orders_db_;
  std::unique_ptr<sql::Database> inventory_db_;
  std::unique_ptr<sql::Database> notifications_db_;
  std::optional<services::orders::OrderStore> order_store_;
  services::orders::OrderWaiters waiters_;
  metrics::Registry metrics_;
  std::optional<services::orders::OrderMetrics> order_metrics_;
  std::unique_ptr<services::notifications::Dispatcher> dispatcher_;
  bus::BatchHandler to_orders_;
  bus::BatchHandler to_inventory_;
  bus::BatchHandler to_notifications_;
  int users_;
  std::vector<std::string> product_ids_;
  std::vector<std::string> user_ids_;
};

}  // namespace ordo::bench
