// The in-process ceilings, briefly and at low cost: they run, count work, and the db replay does
// the real SQL (stock down by one unit per order, every order confirmed and notified, every
// outbox row relayed). No timing assertions.
#include <cstdlib>

#include <gtest/gtest.h>

#include "bench/bench.hpp"
#include "platform/log/log.hpp"

namespace ordo::bench {
namespace {

TEST(BenchHashCeiling, HashesOnEveryCoreAtTheGivenCost) {
  BenchOptions options;
  options.seconds = std::chrono::seconds(1);
  options.argon2_cost = std::make_pair(1ull, std::size_t{64});  // 64 KiB, one pass: cheap
  auto result = run_hash_ceiling(options);
  EXPECT_EQ(result.scenario, "hash");
  EXPECT_EQ(result.mode, "embedded");
  EXPECT_GT(result.throughput_per_s, 0);
  EXPECT_GT(result.seconds, 0);
  EXPECT_GE(result.connections, 1);
  EXPECT_GT(result.p50_ms, 0);
  EXPECT_GE(result.p99_ms, result.p50_ms);
  EXPECT_EQ(result.error_count(), 0u);
}

TEST(BenchDbCeiling, ReplaysEveryServicesSqlForEachOrder) {
  log::set_level(log::Level::warn);
  BenchOptions options;
  options.seconds = std::chrono::seconds(1);
  options.connections = 4;
  auto report = measure_db_ceiling(options);
  const auto& result = report.result;
  EXPECT_EQ(result.scenario, "db");
  EXPECT_EQ(result.connections, 4);
  EXPECT_GT(result.throughput_per_s, 0);
  EXPECT_GE(result.p99_ms, result.p50_ms);
  EXPECT_EQ(result.error_count(), 0u);
  ASSERT_GT(report.orders_finished, 0u);
  auto orders = static_cast<std::int64_t>(report.orders_finished);
  EXPECT_EQ(report.stock_available_before - report.stock_available_after, orders);
  EXPECT_EQ(report.stock_reserved_after, orders);
  EXPECT_EQ(report.orders_confirmed, orders);
  EXPECT_EQ(report.order_notifications, orders);
  EXPECT_EQ(report.outbox_left, 0);
}

// The distributed modes' ceiling: the same replay on the services' schemas in a fresh database of
// the test PostgreSQL server (CTest's `servers` fixture).
TEST(BenchDbCeiling, ReplaysEveryServicesSqlOnPostgres) {
  log::set_level(log::Level::warn);
  const char* url = std::getenv("ORDO_TEST_POSTGRES_URL");
  ASSERT_NE(url, nullptr) << "ORDO_TEST_POSTGRES_URL must name the test PostgreSQL server";
  BenchOptions options;
  options.mode = "pg-nats";
  options.database_url = url;
  options.bus_url = "nats://127.0.0.1:1";  // unused by the ceiling
  options.seconds = std::chrono::seconds(1);
  options.connections = 4;
  auto report = measure_db_ceiling(options);
  const auto& result = report.result;
  EXPECT_EQ(result.mode, "pg-nats");
  EXPECT_EQ(result.database.rfind("PostgreSQL", 0), 0u) << result.database;
  EXPECT_GT(result.throughput_per_s, 0);
  EXPECT_EQ(result.error_count(), 0u);
  ASSERT_GT(report.orders_finished, 0u);
  auto orders = static_cast<std::int64_t>(report.orders_finished);
  EXPECT_EQ(report.stock_available_before - report.stock_available_after, orders);
  EXPECT_EQ(report.stock_reserved_after, orders);
  EXPECT_EQ(report.orders_confirmed, orders);
  EXPECT_EQ(report.order_notifications, orders);
  EXPECT_EQ(report.outbox_left, 0);
}

TEST(BenchDbCeiling, RunsWithFullSynchronous) {
  log::set_level(log::Level::warn);
  BenchOptions options;
  options.seconds = std::chrono::seconds(1);
  options.connections = 2;
  options.sqlite_synchronous = "FULL";
  auto report = measure_db_ceiling(options);
  EXPECT_GT(report.result.throughput_per_s, 0);
  EXPECT_EQ(report.result.error_count(), 0u);
  EXPECT_EQ(report.stock_available_before - report.stock_available_after,
            static_cast<std::int64_t>(report.orders_finished));
}

}  // namespace
}  // namespace ordo::bench
