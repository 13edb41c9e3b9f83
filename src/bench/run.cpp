// `ordo bench`: measures the ceilings a scenario is compared to, then starts the system under
// test once and runs the scenarios against it, printing a table or JSON lines.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>

#include <boost/asio/io_context.hpp>

#include "bench/bench.hpp"
#include "bench/progress.hpp"
#include "bench/scenarios.hpp"
#include "platform/log/log.hpp"

namespace ordo::bench {
namespace {

const std::vector<std::string>& known_scenarios() {
  static const std::vector<std::string> names{"order-flow", "read", "login",   "http",
                                              "db",         "hash", "overload"};
  return names;
}

void compare(ScenarioResult& result, const std::string& ceiling_name, double value,
             const std::optional<double>& ceiling) {
  result.ceiling_name = ceiling_name;
  if (!ceiling || *ceiling <= 0)
    return;
  result.ceiling_per_s = *ceiling;
  result.ratio = value / *ceiling;
}

class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  void add(ScenarioResult result) {
    if (json_)
      std::cout << to_json_line(result) << std::endl;
    else
      note(result.scenario + " (" + std::to_string(result.connections) + " connections): " +
           std::to_string(static_cast<long long>(result.throughput_per_s)) + "/s");
    results_.push_back(std::move(result));
  }
  void finish() {
    if (!json_)
      std::cout << to_table(results_);
  }

 private:
  bool json_;
  std::vector<ScenarioResult> results_;
};

int run_checked(const BenchOptions& options) {
  std::set<std::string> wanted(options.scenarios.begin(), options.scenarios.end());
  // overload runs only when named: it takes three phases and pushes the system past its limits.
  if (wanted.empty()) {
    wanted.insert(known_scenarios().begin(), known_scenarios().end());
    wanted.erase("overload");
  }
  auto wants = [&wanted](const std::string& name) { return wanted.contains(name); };
  Output output(options.json);
  boost::asio::io_context io{1};

  std::optional<double> http_ceiling, hash_ceiling, db_ceiling;
  if (wants("http") || wants("read") || options.chart_svg) {
    for (auto& result : run_http_ceilings(io, options)) {
      if (result.scenario == "http")
        http_ceiling = result.throughput_per_s;
      else
        compare(result, "http", result.throughput_per_s, http_ceiling);
      output.add(std::move(result));
    }
  }
  if (wants("hash") || wants("login")) {
    note("measuring the hash ceiling");
    auto result = run_hash_ceiling(options);
    hash_ceiling = result.throughput_per_s;
    output.add(std::move(result));
  }
  bool sweep = options.chart_svg.has_value();  // the sweep runs order-flow and read as well
  if (wants("db") || wants("order-flow") || sweep) {
    note("measuring the db ceiling");
    auto result = run_db_ceiling(options);
    db_ceiling = result.throughput_per_s;
    output.add(std::move(result));
  }

  if (!wants("order-flow") && !wants("read") && !wants("login") && !wants("overload") && !sweep) {
    output.finish();
    return 0;
  }
  if (is_distributed(options.mode)) {
    note("starting " + describe_topology(options.mode) + " on " + options.database_url + " and " +
         options.bus_url + " (a fresh database and bus namespace; " +
         describe(bench_settings(options)) + ")");
  } else {
    note("starting ordo serve (" + options.mode + ", " + describe(bench_settings(options)) + ")");
  }
  OrdoSystem system(io, options, "ordo serve");
  note(std::string(system.distributed() ? "every process" : "ordo serve") + " ready in " +
       std::to_string(static_cast<long long>(system.start_to_ready_ms())) + " ms (" +
       system.database() + ")");
  Seeder seeder(io, system);
  ScenarioEnv env{io, options, system, seeder};
  int connections = options.connections;
  if (wants("read")) {
    auto result = run_read(env, connections);
    compare(result, "http", result.throughput_per_s, http_ceiling);
    output.add(std::move(result));
  }
  if (wants("login")) {
    auto result = run_login(env, connections);
    compare(result, "hash", result.throughput_per_s, hash_ceiling);
    output.add(std::move(result));
  }
  if (wants("order-flow")) {
    auto result = run_order_flow(env, connections);
    compare(result, "db", result.completed_per_s, db_ceiling);
    output.add(std::move(result));
  }
  if (wants("overload")) {
    for (auto& result : run_overload(env, connections))
      output.add(std::move(result));
  }
  if (sweep) {
    std::vector<ChartPoint> points;
    for (int sweep_connections : options.sweep_connections) {
      for (const std::string scenario : {"order-flow", "read"}) {
        note("sweep: " + scenario + " at " + std::to_string(sweep_connections) + " connections");
        auto result = scenario == "read" ? run_read(env, sweep_connections)
                                         : run_order_flow(env, sweep_connections);
        if (scenario == "read")
          compare(result, "http", result.throughput_per_s, http_ceiling);
        else
          compare(result, "db", result.completed_per_s, db_ceiling);
        points.push_back({scenario, sweep_connections, result.throughput_per_s, result.p99_ms});
        output.add(std::move(result));
      }
    }
    auto title = "ordo bench, " + options.mode + " (" + system.database() +
                 "): throughput against p99 latency";
    std::ofstream chart(*options.chart_svg);
    chart << render_chart_svg(points, title);
    if (!chart)
      throw std::runtime_error("cannot write the chart to " + *options.chart_svg);
    note("chart written to " + *options.chart_svg);
  }
  auto exit_code = system.stop();
  if (exit_code != 0)
    note("an ordo process exited with " + std::to_string(exit_code) + " after SIGTERM");
  output.finish();
  return 0;
}

}  // namespace

int run(const BenchOptions& options) {
  if (auto problem = mode_problem(options); !problem.empty()) {
    std::cerr << "ordo bench: " << problem << "\n";
    return 2;
  }
  for (const auto& scenario : options.scenarios) {
    const auto& known = known_scenarios();
    if (std::find(known.begin(), known.end(), scenario) == known.end()) {
      std::cerr << "ordo bench: unknown scenario '" << scenario
                << "'; known: order-flow, read, login, http, db, hash, overload\n";
      return 2;
    }
  }
  if (options.connections < 1 || options.seconds.count() < 1) {
    std::cerr << "ordo bench: --connections and --seconds must be at least 1\n";
    return 2;
  }
  if (options.ordo_binary.empty()) {
    std::cerr << "ordo bench: the ordo binary to start is unknown\n";
    return 2;
  }
  // The in-process ceilings run services' code here: their info lines (migrations...) would bury
  // the table. Warnings still show.
  if (log::enabled(log::Level::info))
    log::set_level(log::Level::warn);
  try {
    return run_checked(options);
  } catch (const std::exception& e) {
    std::cerr << "ordo bench: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ordo::bench
