// Builds the db ceiling's databases and handlers from the services' own code, and seeds them.
#include "bench/db_ceiling_world.hpp"

#include <random>

#include "contracts/events.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/config/config.hpp"
#include "platform/core/ids.hpp"
#include "platform/sql/migrations.hpp"
#include "platform/sql/postgres_database.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "services/inventory/consumes.hpp"
#include "services/inventory/service.hpp"
#include "services/notifications/channel.hpp"
#include "services/notifications/consumes.hpp"
#include "services/notifications/service.hpp"
#include "services/orders/consumes.hpp"
#include "services/orders/service.hpp"

namespace ordo::bench {
namespace {

namespace asio = boost::asio;
namespace events = contracts::events;
namespace notifications = services::notifications;

constexpr int kProducts = 100;
// Ample: no order is ever rejected and the low-stock rule never fires.
constexpr std::int64_t kStockPerProduct = 1'000'000'000;
constexpr std::int64_t kPriceCents = 1'250;

// The configured channel's name (so rows look as in production) without its output: the ceiling
// measures SQL, not logging.
class SilentChannel final : public notifications::Channel {
 public:
  explicit SilentChannel(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  asio::awaitable<void> deliver(const notifications::Notification&,
                                const notifications::Recipient&) override {
    co_return;
  }

 private:
  std::string name_;
};

std::filesystem::path fresh_directory(bool needed) {
  if (!needed)
    return {};
  std::random_device random;
  auto path = std::filesystem::temp_directory_path() /
              ("ordo-bench-db-" + std::to_string(random()) + std::to_string(random()));
  std::filesystem::create_directories(path);
  return path;
}

std::unique_ptr<sql::Database> open(const std::filesystem::path& dir, const std::string& service,
                                    const std::string& synchronous) {
  sql::SqliteOptions options;
  options.path = (dir / (service + ".db")).string();
  options.synchronous = synchronous;
  options.readers = config::Config{}.sqlite_readers;
  return sql::open_sqlite(service, options);
}

// Each service's schema in the one database, with the pool every service instance has.
std::unique_ptr<sql::Database> open(asio::any_io_executor executor, const std::string& url,
                                    const std::string& service) {
  config::Config defaults;
  sql::PostgresOptions options;
  options.url = url;
  options.schema = service;
  options.pool_size = defaults.database_pool_size;
  options.statement_timeout = defaults.database_statement_timeout;
  return sql::open_postgres(std::move(executor), service, options);
}

asio::awaitable<void> migrate_with_bus(sql::Database& db,
                                       const std::vector<sql::Migration>& service_migrations) {
  auto migrations = service_migrations;
  auto bus_tables = bus::bus_migrations();
  migrations.insert(migrations.end(), bus_tables.begin(), bus_tables.end());
  co_await sql::migrate(db, migrations);
}

}  // namespace

DbCeilingWorld::TempDir::~TempDir() {
  if (path.empty())
    return;
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

DbCeilingWorld::DbCeilingWorld(asio::any_io_executor executor, const BenchOptions& options,
                               int users)
    : dir_{fresh_directory(!is_distributed(options.mode))},
      executor_(std::move(executor)),
      users_(users) {
  if (is_distributed(options.mode)) {
    description_ = describe_postgres(options.database_url);
    database_ = std::make_unique<TemporaryDatabase>(options.database_url, "bench_db_");
    orders_db_ = open(executor_, database_->url(), "orders");
    inventory_db_ = open(executor_, database_->url(), "inventory");
    notifications_db_ = open(executor_, database_->url(), "notifications");
  } else {
    description_ = "SQLite synchronous=" + options.sqlite_synchronous;
    orders_db_ = open(dir_.path, "orders", options.sqlite_synchronous);
    inventory_db_ = open(dir_.path, "inventory", options.sqlite_synchronous);
    notifications_db_ = open(dir_.path, "notifications", options.sqlite_synchronous);
  }
  order_store_.emplace(*orders_db_);

  // The handlers exactly as each service subscribes them, without a relay to wake.
  order_metrics_.emplace(metrics_, *orders_db_);
  to_orders_ = services::orders::subscription(*orders_db_, waiters_, *order_metrics_).handler;
  services::inventory::HandlerOptions inventory_options;
  inventory_options.default_threshold = config::Config{}.inventory_low_stock_threshold;
  to_inventory_ = services::inventory::subscription(*inventory_db_, inventory_options).handler;
  const auto& channel_names = notifications::default_channel_names();
  std::vector<std::unique_ptr<notifications::Channel>> channels;
  for (const auto& name : channel_names)
    channels.push_back(std::make_unique<SilentChannel>(name));
  dispatcher_ = std::make_unique<notifications::Dispatcher>(executor_, *notifications_db_,
                                                            std::move(channels));
  to_notifications_ = notifications::subscription(*notifications_db_, channel_names, [this] {
                        dispatcher_->wake();
                      }).handler;
}

DbCeilingWorld::~DbCeilingWorld() = default;

asio::awaitable<void> DbCeilingWorld::prepare() {
  // Named first: g++ 12 mishandles temporaries with destructors inside co_await expressions.
  auto orders_schema = services::orders::migrations();
  auto inventory_schema = services::inventory::migrations();
  auto notifications_schema = services::notifications::migrations();
  co_await migrate_with_bus(*orders_db_, orders_schema);
  co_await migrate_with_bus(*inventory_db_, inventory_schema);
  co_await migrate_with_bus(*notifications_db_, notifications_schema);

  // product.created, as the products service emits it, to both of its consumers.
  for (int i = 0; i < kProducts; ++i) {
    auto id = core::uuid_v7();
    events::ProductCreated data;
    data.product.product_id = id;
    data.product.sku = "BENCH-" + std::to_string(i);
    data.product.name = "Bench product " + std::to_string(i);
    data.product.price_cents = kPriceCents;
    data.product.currency = "EUR";
    data.product.category = "bench";
    data.initial_stock = kStockPerProduct;
    auto event = bus::make_event("/ordo/products", std::string(events::kProductCreated), id,
                                 events::to_json(data), "");
    co_await bus::deliver_one(to_orders_, event);
    co_await bus::deliver_one(to_inventory_, event);
    product_ids_.push_back(id);
  }
  // user.registered, so that the notifications' recipients view knows each customer.
  for (int i = 0; i < users_; ++i) {
    auto id = core::uuid_v7();
    events::UserRegistered data{id, "bench" + std::to_string(i) + "@example.com",
                                "Bench customer " + std::to_string(i), "user", true};
    auto event = bus::make_event("/ordo/users", std::string(events::kUserRegistered), id,
                                 events::to_json(data), "");
    co_await bus::deliver_one(to_notifications_, event);
    user_ids_.push_back(id);
  }
  dispatcher_->start();
}

asio::awaitable<void> DbCeilingWorld::stop() {
  co_await dispatcher_->stop();
}

}  // namespace ordo::bench
