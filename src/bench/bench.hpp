// `ordo bench`: load scenarios against a running system and the machine's own ceilings, measured
// in the same run so that ratios hold on a noisy machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ordo::bench {

// What is measured and how. A mode says how the system under test is started: "embedded" is one
// `ordo serve` on SQLite and the in-process bus; "pg-nats" and "pg-rabbitmq" are one process per
// service instance (see kDistributedInstances) and a gateway, on a fresh database of the
// PostgreSQL server at database_url and a fresh namespace of the broker at bus_url.
struct BenchOptions {
  // order-flow, read, login, http, db, hash (empty: all of these), overload (only when named)
  std::vector<std::string> scenarios;
  std::string mode = "embedded";
  std::string database_url;  // distributed modes: postgresql://user@host:port/db (the server)
  std::string bus_url;       // distributed modes: nats://host:port or amqp://user:pass@host:port/
  int connections = 32;
  std::chrono::seconds seconds{10};
  bool json = false;        // one JSON object per scenario on stdout, nothing else there
  bool progress = true;     // a progress bar on stderr when it is a terminal
  std::string ordo_binary;  // the binary to start as the system under test (this one)
  std::string sqlite_synchronous = "NORMAL";
  std::optional<std::string> chart_svg;  // write the concurrency sweep chart here
  std::vector<int> sweep_connections{1, 4, 16, 64};
  // Extra `--set key=value` settings passed on to the system under test.
  std::vector<std::string> serve_settings;
  // The hash ceiling's Argon2id cost (ops, memory KiB); unset: the configured default
  // (auth.argon2_ops, auth.argon2_memory_kib). Tests set a cheap one.
  std::optional<std::pair<unsigned long long, std::size_t>> argon2_cost;
};

// The modes, and whether one runs a process per service on PostgreSQL and a broker.
const std::vector<std::string>& known_modes();
bool is_distributed(const std::string& mode);
// Why the options cannot run in their mode (unknown mode, a distributed mode without the server
// URLs or with URLs of the wrong scheme); empty when they can.
std::string mode_problem(const BenchOptions& options);
// The processes of a distributed mode: how many instances of each service (the gateway is one).
struct ServiceInstances {
  std::string service;
  int instances = 1;
};
const std::vector<ServiceInstances>& distributed_instances();
// "embedded: one ordo serve (every service and the gateway)" or "pg-nats: 2× orders, 2×
// inventory, 1× users, 1× products, 1× notifications, 1× gateway".
std::string describe_topology(const std::string& mode);

// One scenario's numbers. Latencies in milliseconds.
struct ScenarioResult {
  std::string scenario;
  std::string mode;
  int connections = 0;
  double seconds = 0;
  double throughput_per_s = 0;  // accepted requests (or operations) per second
  double completed_per_s = 0;   // order-flow: orders that reached a final state, per second
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0;
  double final_p50_ms = 0, final_p99_ms = 0;  // order-flow: placed → final
  // order-flow: the work behind each completed order, over the span of completed_per_s: the
  // services' database transactions, statements and round trips (every process's sql counters),
  // and the PostgreSQL server's CPU milliseconds (distributed modes, server on this machine).
  std::optional<double> transactions_per_order;
  std::optional<double> statements_per_order;
  std::optional<double> round_trips_per_order;
  std::optional<double> db_cpu_ms_per_order;
  std::map<std::string, std::uint64_t> errors;  // "429": 12, "connect": 3 ...
  std::uint64_t error_count() const;
  std::optional<double> ceiling_per_s;  // the ceiling this scenario is compared to
  std::optional<double> ratio;          // throughput (completed for order-flow) / ceiling
  std::string ceiling_name;             // "db", "http", "http-gateway", "hash"
  // Per Ordo process: CPU seconds used during the run and peak resident memory.
  struct ProcessUsage {
    std::string name;
    double cpu_seconds = 0;
    double peak_rss_mib = 0;
    std::optional<double> idle_rss_mib;       // resident right after it became ready
    std::optional<double> start_to_ready_ms;  // spawn to the first 200 on its readiness probe
  };
  std::vector<ProcessUsage> processes;
  // The settings the bench gave the system under test ("log.access" = "false", ...).
  std::vector<std::pair<std::string, std::string>> settings;
  // The database the scenario's SQL ran on ("SQLite synchronous=NORMAL", "PostgreSQL 15.4
  // synchronous_commit=on"), empty when it ran none; the system's processes (describe_topology).
  std::string database;
  std::string topology;
};

// Latencies recorded by one scenario (microseconds), summarized into percentiles.
class LatencyRecorder {
 public:
  void record(std::chrono::microseconds latency) {
    samples_.push_back(latency.count());
    sorted_ = false;  // a percentile read before this one sorted the samples
  }
  void merge(const LatencyRecorder& other);
  double percentile_ms(double p) const;  // p in [0, 100]; sorts lazily
  std::size_t count() const { return samples_.size(); }

 private:
  mutable std::vector<std::int64_t> samples_;
  mutable bool sorted_ = false;
};

// The ceilings, measured in-process (no HTTP, no bus).
// db: the SQL work one order causes in every service (orders place, inventory reserve, orders
// confirm, notifications record, outbox and inbox rows), replayed at `connections` concurrency on
// SQLite files in a temporary directory (embedded) or in a fresh database of the PostgreSQL server
// (distributed modes), for `seconds`.
ScenarioResult run_db_ceiling(const BenchOptions& options);
// The db ceiling with what its databases held at the end, so that a test can check the replay did
// the real work (stock went down by one unit per order, every outbox row was relayed).
struct DbCeilingReport {
  ScenarioResult result;
  std::uint64_t orders_finished = 0;  // every order that went through all steps, warm-up included
  std::int64_t stock_available_before = 0;
  std::int64_t stock_available_after = 0;
  std::int64_t stock_reserved_after = 0;
  std::int64_t orders_confirmed = 0;     // orders rows with status confirmed
  std::int64_t order_notifications = 0;  // notification rows for order.confirmed
  std::int64_t outbox_left = 0;          // rows left in the three outboxes
};
DbCeilingReport measure_db_ceiling(const BenchOptions& options);
// hash: Argon2id hashes per second on every core at the configured cost.
ScenarioResult run_hash_ceiling(const BenchOptions& options);

// A chart of throughput against p99 latency, one point per concurrency, one line per scenario.
struct ChartPoint {
  std::string scenario;
  int connections = 0;
  double throughput_per_s = 0;
  double p99_ms = 0;
};
std::string render_chart_svg(const std::vector<ChartPoint>& points, const std::string& title);

// Output.
std::string to_json_line(const ScenarioResult& result);
std::string to_table(const std::vector<ScenarioResult>& results);

// The command: runs the scenarios, prints, returns the exit code.
int run(const BenchOptions& options);

}  // namespace ordo::bench
