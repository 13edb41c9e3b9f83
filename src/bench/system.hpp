// The system under test: Ordo processes started by the bench, on free ports and a temporary data
// directory, with the bench's documented settings; and the meter of their CPU time and memory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bench/bench.hpp"
#include "bench/process.hpp"

namespace ordo::bench {

using Settings = std::vector<std::pair<std::string, std::string>>;

// What the bench changes in the system under test, each a documented setting (`ordo config
// print`): rate limits raised because every bench user comes from one address (the limiter
// still runs on every request), access logging off (a log line per request is a cost the bench
// leaves out and says so), and the durability asked for.
Settings bench_settings(const BenchOptions& options);
std::string describe(const Settings& settings);

// One started process that answers HTTP, with how long it took to answer its readiness probe.
class ServedProcess {
 public:
  // Spawns args (output to log_file) and polls origin + ready_path until it answers 200
  // (bounded: 30 s, or the process exits). Throws with the process's log tail on failure.
  ServedProcess(boost::asio::io_context& io, std::string name, std::vector<std::string> args,
                std::string log_file, std::string origin, const std::string& ready_path);
  ~ServedProcess();

  const std::string& name() const { return name_; }
  const std::string& origin() const { return origin_; }
  pid_t pid() const { return child_.pid(); }
  double start_to_ready_ms() const { return start_to_ready_ms_; }
  double idle_rss_mib() const { return idle_rss_mib_; }
  int stop() { return child_.stop(); }

 private:
  std::string name_;
  std::string origin_;
  std::chrono::steady_clock::time_point spawned_;  // before the spawn: start-to-ready counts it
  ChildProcess child_;
  double start_to_ready_ms_ = 0;
  double idle_rss_mib_ = 0;
};

// `ordo serve` (all services and the gateway, or the args given) on its own data directory.
class OrdoSystem {
 public:
  OrdoSystem(boost::asio::io_context& io, const BenchOptions& options, std::string name,
             std::vector<std::string> serve_args = {}, Settings extra = {});
  ~OrdoSystem();

  ServedProcess& process() { return *process_; }
  std::string gateway_origin() const { return process_->origin(); }
  const std::string& data_dir() const { return data_dir_; }
  const Settings& settings() const { return settings_; }
  // The flags that point another `ordo` command at this setup (data dir, ports, settings).
  std::vector<std::string> common_args() const;
  const std::string& binary() const { return binary_; }

 private:
  std::string binary_;
  std::string data_dir_;
  std::uint16_t gateway_port_;
  std::vector<std::pair<std::string, std::uint16_t>> service_ports_;
  Settings settings_;
  std::unique_ptr<ServedProcess> process_;
};

// CPU seconds used between start() and finish(), and peak RSS, of each process watched (the
// bench's own process included, as the load generator).
class UsageMeter {
 public:
  void watch(std::string name, pid_t pid, std::optional<double> idle_rss_mib = std::nullopt,
             std::optional<double> start_to_ready_ms = std::nullopt);
  void watch(const ServedProcess& process);
  void watch_self();
  void start();
  std::vector<ScenarioResult::ProcessUsage> finish() const;

 private:
  struct Watched {
    ScenarioResult::ProcessUsage usage;
    pid_t pid;
    double cpu_at_start = 0;
  };
  std::vector<Watched> watched_;
};

}  // namespace ordo::bench
