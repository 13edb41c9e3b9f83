// Every service's migrations, with the bus tables, apply on PostgreSQL, each service in a schema of
// its own, as the host applies them; and twice is a no-op.
#include <gtest/gtest.h>

#include "host/registry.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "postgres_test_support.hpp"
#include "sql_test_support.hpp"

namespace ordo::host {
namespace {
namespace asio = boost::asio;
using ordo::testing::run_async;

TEST(PostgresMigrations, EveryServiceMigratesInItsOwnSchema) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  ordo::testing::TempDir dir;
  int services = 0;
  for (const ServiceDefinition& definition : service_registry()) {
    if (!definition.migrations) {
      continue;
    }
    SCOPED_TRACE(definition.name);
    ++services;
    auto migrations = definition.migrations();
    auto bus_tables = bus::bus_migrations();
    migrations.insert(migrations.end(), bus_tables.begin(), bus_tables.end());
    std::size_t expected = 0;
    for (const auto& m : migrations) {
      expected += m.dialect != "sqlite" ? 1 : 0;
    }
    auto db = ordo::testing::open_test_database(sql::Dialect::postgres, ctx, dir, definition.name);
    EXPECT_EQ(run_async<int>(ctx, sql::migrate(*db, migrations)), static_cast<int>(expected));
    EXPECT_EQ(run_async<int>(ctx, sql::migrate(*db, migrations)), 0);
    auto outbox = run_async<sql::Result>(
        ctx, db->query("SELECT data_type FROM information_schema.columns WHERE table_schema = "
                       "current_schema() AND table_name = 'outbox' AND column_name = 'seq'"));
    EXPECT_EQ(outbox.one().text(0), "bigint");
    if (definition.name == "products") {
      auto attributes = run_async<sql::Result>(
          ctx, db->query("SELECT data_type FROM information_schema.columns WHERE table_schema = "
                         "current_schema() AND table_name = 'products' AND column_name = "
                         "'attributes'"));
      EXPECT_EQ(attributes.one().text(0), "jsonb");
    }
  }
  EXPECT_GE(services, 5);
}

}  // namespace
}  // namespace ordo::host
