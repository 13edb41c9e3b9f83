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
#include "bench/postgres_admin.hpp"
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
  // Spawns only: wait_ready() then waits (so that several processes start at once).
  ServedProcess(std::string name, std::vector<std::string> args, std::string log_file,
                std::string origin);
  ~ServedProcess();
  void wait_ready(boost::asio::io_context& io, const std::string& ready_path);

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

// The system under test on its own data directory. Embedded mode, or serve_args given (a
// gateway-only ceiling): one `ordo serve` (all services and the gateway, or the args given).
// Distributed modes: a fresh database on the PostgreSQL server and a fresh bus namespace, one
// `ordo serve --service=NAME` per instance (distributed_instances()) and a gateway balancing
// across them; every process shares the data directory (and so the JWT signing key).
class OrdoSystem {
 public:
  OrdoSystem(boost::asio::io_context& io, const BenchOptions& options, std::string name,
             std::vector<std::string> serve_args = {}, Settings extra = {});
  ~OrdoSystem();

  // The process the load goes to: the gateway (or the one `ordo serve`).
  ServedProcess& process() { return *processes_.back(); }
  // Every Ordo process of the system, the gateway last: all of them are metered.
  std::vector<const ServedProcess*> processes() const;
  const std::string& gateway_origin() const { return processes_.back()->origin(); }
  // Where /metrics shows the services' counters: every service process (the gateway answers it
  // only with gateway.expose_metrics); in one process the services share one registry, which
  // the first service's port shows.
  std::vector<std::string> metrics_origins() const;
  const std::string& data_dir() const { return data_dir_; }
  const Settings& settings() const { return settings_; }
  // The flags that point another `ordo` command at this setup (data dir, ports, database, bus,
  // upstreams, settings).
  std::vector<std::string> common_args() const;
  const std::string& binary() const { return binary_; }
  bool distributed() const { return database_ != nullptr; }
  // Distributed: the URL of this system's database on the server.
  const std::string& database_url() const { return database_->url(); }
  // What the services store in ("SQLite synchronous=NORMAL", "PostgreSQL 15.5
  // synchronous_commit=on fsync=on") and the processes (describe_topology()).
  const std::string& database() const { return database_description_; }
  const std::string& topology() const { return topology_; }
  double start_to_ready_ms() const { return start_to_ready_ms_; }
  // SIGTERM to every process, the gateway first; the first non-zero exit status (or 0).
  int stop();

 private:
  void start_one(boost::asio::io_context& io, const BenchOptions& options, std::string name,
                 std::vector<std::string> serve_args);
  void start_distributed(boost::asio::io_context& io, const BenchOptions& options);
  // Spawns `ordo serve --service=NAME` (or gateway) with common_args() and extra_args; it is
  // ready once wait_ready() returns.
  void spawn_service(const std::string& process_name, const std::string& service,
                     std::uint16_t port, std::vector<std::string> extra_args);

  struct Instance {
    std::string service;
    std::string name;  // orders-2
    std::uint16_t port;
  };
  std::string binary_;
  std::string data_dir_;
  std::uint16_t gateway_port_;
  std::vector<std::pair<std::string, std::uint16_t>> service_ports_;
  std::vector<Instance> extra_instances_;  // distributed: the second orders, ...
  Settings settings_;
  std::unique_ptr<TemporaryDatabase> database_;  // distributed only
  std::string bus_url_;
  std::string bus_namespace_;
  std::string database_description_;
  std::string topology_;
  double start_to_ready_ms_ = 0;
  std::vector<std::unique_ptr<ServedProcess>> processes_;  // the gateway last
};

// CPU seconds used between start() and finish(), and peak RSS, of each process watched (the
// bench's own process included, as the load generator).
class UsageMeter {
 public:
  void watch(std::string name, pid_t pid, std::optional<double> idle_rss_mib = std::nullopt,
             std::optional<double> start_to_ready_ms = std::nullopt);
  void watch(const ServedProcess& process);
  void watch(const std::vector<const ServedProcess*>& processes);
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
