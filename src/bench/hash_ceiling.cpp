// The hash ceiling: Argon2id verifications per second on every core at the configured cost,
// which is what a login costs the users service at best.
#include <algorithm>
#include <thread>

#include "bench/bench.hpp"
#include "platform/auth/password.hpp"
#include "platform/config/config.hpp"

namespace ordo::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kPassword = "bench-password-of-a-usual-length";

auth::PasswordCost configured_cost(const BenchOptions& options) {
  // The users service's defaults, read by key (the bench includes no service header).
  config::Config defaults;
  auto ops = config::parse_number<unsigned long long>(
      "auth.argon2_ops", config::value_of(defaults, "auth.argon2_ops"));
  auto memory_kib = config::parse_number<std::size_t>(
      "auth.argon2_memory_kib", config::value_of(defaults, "auth.argon2_memory_kib"));
  auth::PasswordCost cost{ops, memory_kib * 1024};
  if (options.argon2_cost)
    cost = {options.argon2_cost->first, options.argon2_cost->second * 1024};
  return cost;
}

struct Worker {
  LatencyRecorder latency;
  std::uint64_t hashes = 0;
  std::uint64_t failures = 0;
  Clock::time_point last_finish;
};

}  // namespace

ScenarioResult run_hash_ceiling(const BenchOptions& options) {
  // The cost is encoded in the hash, so verifying it costs one Argon2id hash at that cost:
  // exactly a login's work (registration hashes at the same cost).
  const std::string encoded = auth::hash_password(kPassword, configured_cost(options));
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<Worker> workers(threads);
  const auto start = Clock::now();
  const auto deadline = start + options.seconds;
  {
    std::vector<std::jthread> running;
    for (auto& worker : workers) {
      running.emplace_back([&worker, &encoded, deadline] {
        worker.last_finish = Clock::now();
        // A hash started before the deadline is finished and counted: the rate below divides
        // by the time the last one ended, so nothing is cut off or stretched.
        while (Clock::now() < deadline) {
          auto began = Clock::now();
          bool ok = auth::verify_password(encoded, kPassword);
          worker.last_finish = Clock::now();
          if (!ok) {
            ++worker.failures;
            continue;
          }
          ++worker.hashes;
          worker.latency.record(
              std::chrono::duration_cast<std::chrono::microseconds>(worker.last_finish - began));
        }
      });
    }
  }
  LatencyRecorder latency;
  std::uint64_t hashes = 0, failures = 0;
  auto end = start;
  for (const auto& worker : workers) {
    latency.merge(worker.latency);
    hashes += worker.hashes;
    failures += worker.failures;
    end = std::max(end, worker.last_finish);
  }
  double elapsed = std::chrono::duration<double>(end - start).count();

  ScenarioResult result;
  result.scenario = "hash";
  result.mode = options.mode;
  result.connections = static_cast<int>(threads);  // one hashing thread per core
  result.seconds = elapsed;
  result.throughput_per_s = elapsed > 0 ? static_cast<double>(hashes) / elapsed : 0;
  result.completed_per_s = result.throughput_per_s;
  result.p50_ms = latency.percentile_ms(50);
  result.p90_ms = latency.percentile_ms(90);
  result.p99_ms = latency.percentile_ms(99);
  result.p999_ms = latency.percentile_ms(99.9);
  if (failures > 0)
    result.errors["verify"] = failures;
  return result;
}

}  // namespace ordo::bench
