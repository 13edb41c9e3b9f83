#include <unistd.h>

#include <gtest/gtest.h>

#include "bench/work_meter.hpp"

namespace ordo::bench {
namespace {

TEST(BenchWorkMeter, SumsTheSqlCountersOfEveryService) {
  const std::string text =
      "# HELP ordo_db_transactions_total Transactions committed or rolled back.\n"
      "# TYPE ordo_db_transactions_total counter\n"
      "ordo_db_transactions_total{service=\"orders\"} 1200\n"
      "ordo_db_transactions_total{service=\"inventory\"} 800\n"
      "ordo_db_statements_total{service=\"orders\"} 4000\n"
      "ordo_db_statements_total{service=\"inventory\"} 1234567\n"
      "ordo_db_round_trips_total{service=\"orders\"} 5000\n"
      "ordo_db_round_trips_total_extra{service=\"orders\"} 7\n"
      "ordo_events_published_total{service=\"orders\"} 77\n"
      "ordo_http_requests_total{service=\"orders\",route=\"/orders\",method=\"POST\","
      "status=\"202\"} 9\n";
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
