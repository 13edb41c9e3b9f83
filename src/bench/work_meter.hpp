// The work behind each completed order: how many transactions, statements and round trips the
// services' databases did (summed from every service process's /metrics: the sql::Counters gauges),
// and, on PostgreSQL, how much CPU the server spent (from /proc: its postmaster and every backend).
// Measured over the same span as completed_per_s, so the two divide.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bench/bench.hpp"

namespace ordo::bench {

class OrdoSystem;

// The sums over services of ordo_db_{transactions,statements,round_trips}_total in a /metrics
// text.
struct SqlWork {
  double transactions = 0;
  double statements = 0;
  double round_trips = 0;
};
SqlWork sql_work_of_metrics(const std::string& metrics_text);

// CPU seconds (user + system) a PostgreSQL server has used: its postmaster with the children it
// already reaped, plus every live child. nullopt when /proc does not show it (another machine).
std::optional<double> postgres_cpu_seconds(int postmaster_pid);

class WorkMeter {
 public:
  // Distributed systems are also metered on their PostgreSQL server.
  WorkMeter(boost::asio::io_context& io, const OrdoSystem& system);
  void start();
  // Fills the *_per_order fields of result for `orders` completed orders.
  void finish(std::uint64_t orders, ScenarioResult& result);

 private:
  SqlWork scrape();
  boost::asio::io_context& io_;
  std::vector<std::string> origins_;
  std::optional<int> postmaster_pid_;
  SqlWork at_start_;
  std::optional<double> server_cpu_at_start_;
};

}  // namespace ordo::bench
