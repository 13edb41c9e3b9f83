// The load generator: a closed loop of C concurrent "connections" on one io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "bench/bench.hpp"

namespace ordo::bench {

struct LoadSpec {
  std::string label;  // for the progress bar
  int connections = 1;
  std::chrono::milliseconds warmup{0};  // sent but not counted
  std::chrono::milliseconds duration{1000};
  bool progress = true;
};

struct LoadResult {
  LatencyRecorder latency;  // 2xx answers of the measured window
  std::uint64_t ok = 0;     // 2xx answers of the measured window
  std::uint64_t warmup_requests = 0;
  std::map<std::string, std::uint64_t> errors;  // "429", "503", "connect", "timeout", ...
  double seconds = 0;  // the measured window as it really was (until the last answer)
  std::chrono::steady_clock::time_point started;  // the warm-up's start
  double throughput_per_s() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// One request on connection `index` (0..C-1), awaited to its answer; returns the HTTP status.
// Throws http::ClientError when there is no answer. Each connection must use its own keep-alive
// connection (its own http::Client), so that C connections are really open.
using RequestFn = std::function<boost::asio::awaitable<int>(int index)>;

// Warm-up (not counted), then the measured window; every connection sends its next request
// as soon as the previous one is answered, until the window closes.
LoadResult run_load(boost::asio::io_context& io, const LoadSpec& spec, const RequestFn& request);

// The bench's warm-up for a run of this length: 1 s, or 10% of a shorter run.
std::chrono::milliseconds warmup_for(std::chrono::milliseconds duration);

}  // namespace ordo::bench
