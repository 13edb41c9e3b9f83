#include <unistd.h>

#include <gtest/gtest.h>

#include "bench/work_meter.hpp"

namespace ordo::bench {
namespace {

TEST(BenchWorkMeter, SumsTheSqlCountersOfEveryService) {
  const std::string text =
      "# HELP ordo_orders_sql_transactions_total transactions of the orders database\n"
      "# TYPE ordo_orders_sql_transactions_total gauge\n"
      "ordo_orders_sql_transactions_total 1200\n"
      "ordo_inventory_sql_transactions_total 800\n"
      "ordo_orders_sql_statements_total 4000\n"
      "ordo_inventory_sql_statements_total 1234567\n"
      "ordo_orders_sql_round_trips_total 5000\n"
      "ordo_orders_events_published_total 77\n"
      "ordo_http_requests_total{service=\"orders\",method=\"POST\",status=\"202\"} 9\n";
  auto work = sql_work_of_metrics(text);
  EXPECT_DOUBLE_EQ(work.transactions, 2000);
  EXPECT_DOUBLE_EQ(work.statements, 1238567);
  EXPECT_DOUBLE_EQ(work.round_trips, 5000);
  EXPECT_DOUBLE_EQ(sql_work_of_metrics("").transactions, 0);
}

TEST(BenchWorkMeter, ReadsCpuTimeFromProc) {
  // This process stands in for a postmaster: its own time plus its children's.
  volatile double sink = 0;
  for (int i = 0; i < 5'000'000; ++i)
    sink = sink + i * 0.5;
  auto seconds = postgres_cpu_seconds(static_cast<int>(::getpid()));
  ASSERT_TRUE(seconds.has_value());
  EXPECT_GE(*seconds, 0.0);
  EXPECT_FALSE(postgres_cpu_seconds(-1).has_value());
}

}  // namespace
}  // namespace ordo::bench
