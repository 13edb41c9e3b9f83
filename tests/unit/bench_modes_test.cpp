// The bench's modes without servers: which options a mode accepts, what it says when it cannot
// run, the topology it names, and the URL of its fresh database.
#include <gtest/gtest.h>

#include "bench/bench.hpp"
#include "bench/postgres_admin.hpp"

namespace ordo::bench {
namespace {

BenchOptions with(std::string mode, std::string database_url, std::string bus_url) {
  BenchOptions options;
  options.mode = std::move(mode);
  options.database_url = std::move(database_url);
  options.bus_url = std::move(bus_url);
  return options;
}

TEST(BenchModes, EmbeddedIsTheDefaultAndNeedsNoServers) {
  EXPECT_EQ(BenchOptions{}.mode, "embedded");
  EXPECT_EQ(mode_problem(BenchOptions{}), "");
  EXPECT_FALSE(is_distributed("embedded"));
  EXPECT_TRUE(is_distributed("pg-nats"));
  EXPECT_TRUE(is_distributed("pg-rabbitmq"));
}

TEST(BenchModes, DistributedModesAcceptTheirServersUrls) {
  EXPECT_EQ(mode_problem(with("pg-nats", "postgresql://ordo@127.0.0.1:17800/ordo",
                              "nats://127.0.0.1:17801")),
            "");
  EXPECT_EQ(mode_problem(with("pg-rabbitmq", "postgres://ordo@127.0.0.1:17800/ordo",
                              "amqp://guest:guest@127.0.0.1:17802/")),
            "");
}

TEST(BenchModes, MissingOrWrongUrlsAreRefusedWithHowToStartTheServers) {
  for (const auto& options :
       {with("pg-nats", "", "nats://127.0.0.1:17801"),
        with("pg-nats", "postgresql://ordo@127.0.0.1:17800/ordo", ""),
        with("pg-nats", "postgresql://ordo@127.0.0.1:17800/ordo", "local"),
        with("pg-nats", "postgresql://ordo@127.0.0.1:17800/ordo", "amqp://127.0.0.1:17802/"),
        with("pg-rabbitmq", "postgresql://ordo@127.0.0.1:17800/ordo", "nats://127.0.0.1:17801"),
        with("pg-rabbitmq", "sqlite:///tmp/x.db", "amqp://127.0.0.1:17802/")}) {
    auto problem = mode_problem(options);
    EXPECT_NE(problem.find("--mode " + options.mode), std::string::npos) << problem;
    EXPECT_NE(problem.find("scripts/cluster.sh servers up"), std::string::npos) << problem;
  }
  auto wrong_bus = mode_problem(with("pg-rabbitmq", "postgresql://h/db", "nats://h:1"));
  EXPECT_NE(wrong_bus.find("got 'nats://h:1'"), std::string::npos) << wrong_bus;
}

TEST(BenchModes, UnknownModesAreRefusedWithTheKnownOnes) {
  auto problem = mode_problem(with("nats", "postgresql://h/db", "nats://h:1"));
  EXPECT_NE(problem.find("unknown mode 'nats'"), std::string::npos) << problem;
  for (const auto& mode : known_modes())
    EXPECT_NE(problem.find(mode), std::string::npos) << problem;
}

TEST(BenchModes, TopologyNamesEveryProcess) {
  EXPECT_EQ(describe_topology("pg-nats"),
            "pg-nats: 2\u00d7 orders, 2\u00d7 inventory, 1\u00d7 users, 1\u00d7 products, "
            "1\u00d7 notifications, 1\u00d7 gateway");
  EXPECT_NE(describe_topology("embedded").find("one ordo serve"), std::string::npos);
  int instances = 0;
  for (const auto& entry : distributed_instances())
    instances += entry.instances;
  EXPECT_EQ(instances, 7);
}

TEST(BenchModes, FreshDatabaseUrlKeepsServerAndQuery) {
  EXPECT_EQ(with_database("postgresql://ordo@127.0.0.1:17800/ordo", "bench_1"),
            "postgresql://ordo@127.0.0.1:17800/bench_1");
  EXPECT_EQ(with_database("postgresql://u:p@h:5432/db?sslmode=disable", "bench_1"),
            "postgresql://u:p@h:5432/bench_1?sslmode=disable");
  EXPECT_EQ(with_database("postgresql://h:5432", "bench_1"), "postgresql://h:5432/bench_1");
  EXPECT_EQ(with_database("postgresql://h?sslmode=disable", "b"),
            "postgresql://h/b?sslmode=disable");
  auto a = fresh_name("bench_");
  auto b = fresh_name("bench_");
  EXPECT_EQ(a.rfind("bench_", 0), 0u);
  EXPECT_NE(a, b);
  // A plain identifier: it goes into CREATE DATABASE unquoted.
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos);
}

}  // namespace
}  // namespace ordo::bench
