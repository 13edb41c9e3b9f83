// Smoke test of `ordo bench`: a seconds-long run of every load scenario with small settings; checks
// the JSON shape and that work happened. No timing assertions: the machine may be busy.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace {

namespace json = boost::json;

// Runs a command, returning its stdout and exit status.
std::string run(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return output;
  }
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  status = ::pclose(pipe);
  return output;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    if (end > start)
      lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(BenchSmoke, EveryLoadScenarioReportsJsonWithWorkDone) {
  int status = 0;
  auto output = run(std::string(ORDO_BINARY) +
                        " bench order-flow read login http --seconds 1 --connections 2 --json "
                        "--no-progress",
                    status);
  ASSERT_EQ(status, 0) << output;
  std::set<std::string> seen;
  for (const auto& line : lines_of(output)) {
    json::value value;
    ASSERT_NO_THROW(value = json::parse(line)) << "not JSON: " << line;
    ASSERT_TRUE(value.is_object()) << line;
    const auto& object = value.as_object();
    for (const char* key : {"scenario", "mode", "connections", "seconds", "throughput_per_s",
                            "p50_ms", "p99_ms", "errors", "ceiling_per_s", "ratio"}) {
      EXPECT_TRUE(object.contains(key)) << "no " << key << " in " << line;
    }
    EXPECT_TRUE(object.at("errors").is_object()) << line;
    EXPECT_EQ(object.at("mode").as_string(), "embedded");
    std::string scenario(object.at("scenario").as_string());
    seen.insert(scenario);
    // Every scenario, ceilings included (db for order-flow, hash for login), did work.
    EXPECT_GT(object.at("throughput_per_s").to_number<double>(), 0) << line;
    if (scenario != "hash") {
      EXPECT_EQ(object.at("connections").to_number<int>(), 2) << line;
    }
    if (scenario == "order-flow") {
      EXPECT_GT(object.at("completed_per_s").to_number<double>(), 0) << line;
    }
  }
  for (const char* scenario : {"order-flow", "read", "login", "http", "http-gateway", "db", "hash"})
    EXPECT_TRUE(seen.contains(scenario)) << "no line for " << scenario << "\n" << output;
}

TEST(BenchSmoke, OverloadReportsItsThreePhasesAgainstTheNormalOne) {
  int status = 0;
  auto output = run(
      std::string(ORDO_BINARY) + " bench overload --seconds 1 --connections 1 --json --no-progress",
      status);
  ASSERT_EQ(status, 0) << output;
  std::vector<std::string> phases;
  for (const auto& line : lines_of(output)) {
    json::value value;
    ASSERT_NO_THROW(value = json::parse(line)) << "not JSON: " << line;
    const auto& object = value.as_object();
    phases.emplace_back(object.at("scenario").as_string());
    if (phases.size() > 1) {
      EXPECT_EQ(object.at("ceiling_name").as_string(), "normal") << line;
      EXPECT_TRUE(object.at("ratio").is_number()) << line;
    }
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"login-normal", "login-8x", "login-after"}))
      << output;
}

TEST(BenchSmoke, DistributedModeWithoutServersIsRefusedWithHowToStartThem) {
  int status = 0;
  // stderr to stdout: the message is what the user reads. No URLs, whatever the environment says.
  auto output = run("env -u ORDO_DATABASE_URL -u ORDO_BUS_URL " + std::string(ORDO_BINARY) +
                        " bench order-flow --mode pg-nats --seconds 1 --no-progress 2>&1",
                    status);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << output;
  EXPECT_NE(output.find("--database-url"), std::string::npos) << output;
  EXPECT_NE(output.find("scripts/cluster.sh servers up"), std::string::npos) << output;
}

TEST(BenchSmoke, UnknownModeIsRefused) {
  int status = 0;
  run(std::string(ORDO_BINARY) + " bench read --mode nats --seconds 1 --no-progress 2>/dev/null",
      status);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

// The distributed modes against the CTest fixture's servers (tests/CMakeLists.txt: `servers`):
// order-flow through a gateway in front of 2 orders and 2 inventory instances, and the db ceiling
// on PostgreSQL.
std::string server_url(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::set<std::string> bench_databases(const std::string& postgres_url) {
  int status = 0;
  auto output = run("/usr/bin/psql '" + postgres_url +
                        "' -X -q -t -A -c \"SELECT datname FROM pg_database WHERE datname LIKE "
                        "'bench%'\" 2>&1",
                    status);
  EXPECT_EQ(status, 0) << output;
  auto lines = lines_of(output);
  return {lines.begin(), lines.end()};
}

void run_distributed(const std::string& mode, const char* bus_variable) {
  auto postgres = server_url("ORDO_TEST_POSTGRES_URL");
  auto bus = server_url(bus_variable);
  ASSERT_FALSE(postgres.empty() || bus.empty())
      << "ORDO_TEST_POSTGRES_URL and " << bus_variable
      << " must name the test servers (CTest's `servers` fixture, or scripts/cluster.sh servers "
         "up)";
  auto databases_before = bench_databases(postgres);
  int status = 0;
  auto output = run(std::string(ORDO_BINARY) + " --database-url '" + postgres + "' --bus-url '" +
                        bus + "' bench order-flow db --mode " + mode +
                        " --seconds 1 --connections 2 --json --no-progress",
                    status);
  ASSERT_EQ(status, 0) << output;
  std::set<std::string> seen;
  for (const auto& line : lines_of(output)) {
    json::value value;
    ASSERT_NO_THROW(value = json::parse(line)) << "not JSON: " << line;
    const auto& object = value.as_object();
    std::string scenario(object.at("scenario").as_string());
    seen.insert(scenario);
    EXPECT_EQ(object.at("mode").as_string(), mode) << line;
    EXPECT_EQ(object.at("error_count").to_number<int>(), 0) << line;
    EXPECT_GT(object.at("throughput_per_s").to_number<double>(), 0) << line;
    // Both ran on the PostgreSQL server, and say so.
    std::string database(object.at("database").as_string());
    EXPECT_EQ(database.rfind("PostgreSQL", 0), 0u) << line;
    EXPECT_NE(database.find("synchronous_commit="), std::string::npos) << line;
    if (scenario == "order-flow") {
      EXPECT_GT(object.at("completed_per_s").to_number<double>(), 0) << line;
      EXPECT_EQ(object.at("ceiling_name").as_string(), "db") << line;
      EXPECT_TRUE(object.at("ratio").is_number()) << line;
      EXPECT_NE(object.at("topology").as_string().find("2\u00d7 orders"), std::string::npos)
          << line;
      // Every process of the topology is metered.
      std::set<std::string> processes;
      for (const auto& process : object.at("processes").as_array())
        processes.insert(std::string(process.at("name").as_string()));
      for (const char* name : {"users-1", "products-1", "orders-1", "orders-2", "inventory-1",
                               "inventory-2", "notifications-1", "gateway"}) {
        EXPECT_TRUE(processes.contains(name)) << "no " << name << " in " << line;
      }
    }
  }
  EXPECT_TRUE(seen.contains("order-flow")) << output;
  EXPECT_TRUE(seen.contains("db")) << output;
  // The run's own databases (system and ceiling) are dropped.
  auto databases_after = bench_databases(postgres);
  for (const auto& name : databases_after)
    EXPECT_TRUE(databases_before.contains(name)) << "left behind: " << name;
}

TEST(BenchSmokeDistributed, PostgresNatsOrderFlowAndDbCeiling) {
  run_distributed("pg-nats", "ORDO_TEST_NATS_URL");
}

TEST(BenchSmokeDistributed, PostgresRabbitmqOrderFlowAndDbCeiling) {
  run_distributed("pg-rabbitmq", "ORDO_TEST_AMQP_URL");
}

}  // namespace
