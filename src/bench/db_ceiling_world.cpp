// Builds the db ceiling's services through their registrations, on fresh databases, and seeds them.
#include "bench/db_ceiling_world.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

#include <boost/json.hpp>

#include "contracts/events.hpp"
#include "host/registry.hpp"
#include "platform/bus/local_bus.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/config/config.hpp"
#include "platform/core/ids.hpp"
#include "platform/http/middleware.hpp"
#include "platform/sql/migrations.hpp"
#include "platform/sql/postgres_database.hpp"
#include "platform/sql/sqlite_database.hpp"

namespace ordo::bench {
namespace {

namespace asio = boost::asio;
namespace events = contracts::events;

// The services an order passes through, producers before consumers (as `ordo serve` starts them).
constexpr std::string_view kReplayed[] = {"inventory", "orders", "notifications"};
constexpr int kProducts = 100;
// Ample: no order is ever rejected and the low-stock rule never fires.
constexpr std::int64_t kStockPerProduct = 1'000'000'000;
constexpr std::int64_t kPriceCents = 1'250;

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
      bus_(bus::make_local_bus(executor_)),
      http_(std::make_unique<http::Client>(executor_)),
      verifier_(std::make_unique<auth::TokenVerifier>(
          executor_, auth::KeySet{}, auth::VerifyPolicy{config_.jwt_issuer, config_.jwt_audience})),
      users_(users) {
  if (is_distributed(options.mode)) {
    description_ = describe_postgres(options.database_url);
    database_ = std::make_unique<TemporaryDatabase>(options.database_url, "bench_db_");
  } else {
    description_ = "SQLite synchronous=" + options.sqlite_synchronous;
  }
  for (auto name : kReplayed) {
    const auto* definition = host::find_service(std::string(name));
    if (definition == nullptr || definition->make == nullptr)
      throw std::runtime_error("db ceiling: this binary has no " + std::string(name) + " service");
    auto& replayed = services_.emplace_back();
    replayed.definition = definition;
    replayed.db = database_ ? open(executor_, database_->url(), definition->name)
                            : open(dir_.path, definition->name, options.sqlite_synchronous);
    replayed.resources = std::make_unique<host::ServiceResources>(host::ServiceResources{
        config_, executor_, *replayed.db, *bus_, cpu_pool_, *verifier_, *http_, metrics_});
    replayed.service = definition->make(*replayed.resources);
    replayed.service->add_routes(replayed.routes);
  }
}

DbCeilingWorld::~DbCeilingWorld() = default;

ReplayedService& DbCeilingWorld::service(std::string_view name) {
  for (auto& replayed : services_) {
    if (replayed.definition->name == name)
      return replayed;
  }
  throw std::invalid_argument("db ceiling: no replayed service " + std::string(name));
}

asio::awaitable<void> DbCeilingWorld::prepare() {
  for (auto& replayed : services_) {
    // Named first: g++ 12 mishandles temporaries with destructors inside co_await expressions.
    auto schema = replayed.definition->migrations();
    co_await migrate_with_bus(*replayed.db, schema);
    replayed.subscriptions = replayed.service->subscriptions();
    co_await replayed.service->start();
  }

  // product.created, as the products service emits it, to its consumers.
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
    co_await deliver(event);
    product_ids_.push_back(id);
  }
  // user.registered, so that the notifications' recipients view knows each customer.
  for (int i = 0; i < users_; ++i) {
    auto id = core::uuid_v7();
    events::UserRegistered data{id, "bench" + std::to_string(i) + "@example.com",
                                "Bench customer " + std::to_string(i), "user", true};
    auto event = bus::make_event("/ordo/users", std::string(events::kUserRegistered), id,
                                 events::to_json(data), "");
    co_await deliver(event);
    user_ids_.push_back(id);
  }
}

asio::awaitable<void> DbCeilingWorld::deliver(const bus::CloudEvent& event) {
  for (auto& replayed : services_) {
    for (auto& subscription : replayed.subscriptions) {
      const auto& types = subscription.types;
      if (std::find(types.begin(), types.end(), event.type) != types.end())
        co_await bus::deliver_one(subscription.handler, event);
    }
  }
}

asio::awaitable<std::string> DbCeilingWorld::place_order(const std::string& user_id,
                                                         const std::string& product_id) {
  http::Request request;
  request.method = "POST";
  request.target = "/orders";
  request.path = "/orders";
  request.headers.set("Content-Type", "application/json");
  boost::json::object line{{"productId", product_id}, {"quantity", 1}};
  request.body = boost::json::serialize(boost::json::object{{"items", boost::json::array{line}}});
  request.context.traceparent = http::new_traceparent();
  request.context.principal = http::Principal{user_id, "user", "", ""};
  auto response = co_await service("orders").routes.dispatch(request);
  auto location = response.headers.get("Location");
  if (response.status >= 300 || !location)
    throw std::runtime_error("POST /orders answered " + std::to_string(response.status) + ": " +
                             response.body);
  co_return std::string(location->substr(location->rfind('/') + 1));
}

}  // namespace ordo::bench
