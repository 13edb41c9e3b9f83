// Smoke test of `ordo bench`: a seconds-long run of every load scenario with small settings; checks
// the JSON shape and that work happened. No timing assertions: the machine may be busy.
#include <sys/wait.h>

#include <cstdio>
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

TEST(BenchSmoke, UnknownModeIsRefused) {
  int status = 0;
  run(std::string(ORDO_BINARY) + " bench read --mode nats --seconds 1 --no-progress 2>/dev/null",
      status);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
