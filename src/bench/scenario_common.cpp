// What every scenario shares: one client per connection, the load's shape, the summary.
#include "bench/scenarios.hpp"

namespace ordo::bench {

std::vector<std::unique_ptr<http::Client>> make_clients(boost::asio::io_context& io, int count) {
  std::vector<std::unique_ptr<http::Client>> clients;
  for (int i = 0; i < count; ++i)
    clients.push_back(std::make_unique<http::Client>(io.get_executor()));
  return clients;
}

LoadSpec load_spec(const BenchOptions& options, const std::string& label, int connections) {
  LoadSpec spec;
  spec.label = label;
  spec.connections = connections;
  spec.duration = std::chrono::duration_cast<std::chrono::milliseconds>(options.seconds);
  spec.warmup = warmup_for(spec.duration);
  spec.progress = options.progress;
  return spec;
}

ScenarioResult summarize(const std::string& scenario, const BenchOptions& options, int connections,
                         LoadResult& load) {
  ScenarioResult result;
  result.scenario = scenario;
  result.mode = options.mode;
  result.connections = connections;
  result.seconds = load.seconds;
  result.throughput_per_s = load.throughput_per_s();
  result.p50_ms = load.latency.percentile_ms(50);
  result.p90_ms = load.latency.percentile_ms(90);
  result.p99_ms = load.latency.percentile_ms(99);
  result.p999_ms = load.latency.percentile_ms(99.9);
  result.errors = load.errors;
  return result;
}

}  // namespace ordo::bench
