// The load scenarios of `ordo bench`, each against the system under test through its gateway.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bench/bench.hpp"
#include "bench/load.hpp"
#include "bench/seed.hpp"
#include "bench/system.hpp"
#include "platform/http/client.hpp"

namespace ordo::bench {

struct ScenarioEnv {
  boost::asio::io_context& io;
  const BenchOptions& options;
  OrdoSystem& system;
  Seeder& seeder;
};

ScenarioResult run_order_flow(ScenarioEnv& env, int connections);
ScenarioResult run_read(ScenarioEnv& env, int connections);
ScenarioResult run_login(ScenarioEnv& env, int connections);
// Logins past saturation: the normal load, 8 times as many connections, the normal load again
// (one result per phase; see scenario_overload.cpp).
std::vector<ScenarioResult> run_overload(ScenarioEnv& env, int connections);
// The HTTP ceilings, each in its own processes: "http" (straight to `ordo bench-echo`) and
// "http-gateway" (through a gateway-only `ordo serve` whose upstreams are the echo server).
std::vector<ScenarioResult> run_http_ceilings(boost::asio::io_context& io,
                                              const BenchOptions& options);

// Shared by the scenarios.
// One client per connection: each then holds exactly one keep-alive TCP connection.
std::vector<std::unique_ptr<http::Client>> make_clients(boost::asio::io_context& io, int count);
LoadSpec load_spec(const BenchOptions& options, const std::string& label, int connections);
// A result with the load's throughput, latencies and errors filled in.
ScenarioResult summarize(const std::string& scenario, const BenchOptions& options, int connections,
                         LoadResult& load);

}  // namespace ordo::bench
