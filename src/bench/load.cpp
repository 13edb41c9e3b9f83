// Closed-loop load: C coroutines, each awaiting its answer before sending again, so the offered
// load adapts to the system (no coordinated-omission claims are made: this is throughput at C).
#include "bench/load.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/progress.hpp"
#include "bench/sync.hpp"
#include "platform/http/client.hpp"

namespace ordo::bench {
namespace {

using boost::asio::awaitable;
using Clock = std::chrono::steady_clock;

struct LoadState {
  Clock::time_point measure_start;
  Clock::time_point end;
  Clock::time_point last_answer;
  int running = 0;
  std::uint64_t requests = 0;  // warm-up included, for the progress bar
  LoadResult result;
};

std::string error_kind(http::ClientError::Kind kind) {
  switch (kind) {
    case http::ClientError::Kind::connect_failed:
      return "connect";
    case http::ClientError::Kind::timeout:
      return "timeout";
    case http::ClientError::Kind::protocol:
      return "protocol";
  }
  return "client";
}

awaitable<void> connection_loop(LoadState& state, int index, const RequestFn& request) {
  auto executor = co_await boost::asio::this_coro::executor;
  while (true) {
    auto sent = Clock::now();
    if (sent >= state.end)
      break;
    int status = 0;
    std::string error;
    try {
      status = co_await request(index);
    } catch (const http::ClientError& e) {
      error = error_kind(e.kind());
    } catch (const std::exception&) {
      error = "exception";
    }
    auto answered = Clock::now();
    ++state.requests;
    if (sent < state.measure_start) {
      ++state.result.warmup_requests;
    } else {
      state.last_answer = std::max(state.last_answer, answered);
      if (error.empty() && status >= 200 && status < 300) {
        ++state.result.ok;
        state.result.latency.record(
            std::chrono::duration_cast<std::chrono::microseconds>(answered - sent));
      } else {
        ++state.result.errors[error.empty() ? std::to_string(status) : error];
      }
    }
    if (!error.empty()) {
      // No answer at all: do not spin on a refused connection.
      boost::asio::steady_timer pause(executor, std::chrono::milliseconds(10));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
  }
}

awaitable<void> drive(LoadState& state, const LoadSpec& spec, const RequestFn& request) {
  auto executor = co_await boost::asio::this_coro::executor;
  state.running = spec.connections;
  for (int index = 0; index < spec.connections; ++index) {
    boost::asio::co_spawn(executor, connection_loop(state, index, request),
                          [&state](std::exception_ptr) { --state.running; });
  }
  double total = std::chrono::duration<double>(spec.warmup + spec.duration).count();
  ProgressBar bar(spec.progress, spec.label, total);
  boost::asio::steady_timer tick(executor);
  while (state.running > 0) {
    tick.expires_after(std::chrono::milliseconds(100));
    co_await tick.async_wait(boost::asio::use_awaitable);
    bar.update(std::chrono::duration<double>(Clock::now() - state.result.started).count(),
               state.requests);
  }
  bar.finish();
}

}  // namespace

std::chrono::milliseconds warmup_for(std::chrono::milliseconds duration) {
  return std::min(std::chrono::milliseconds(1000), duration / 10);
}

LoadResult run_load(boost::asio::io_context& io, const LoadSpec& spec, const RequestFn& request) {
  LoadState state;
  state.result.started = Clock::now();
  state.measure_start = state.result.started + spec.warmup;
  state.end = state.measure_start + spec.duration;
  state.last_answer = state.measure_start;
  run_sync(io, drive(state, spec, request));
  state.result.seconds =
      std::chrono::duration<double>(state.last_answer - state.measure_start).count();
  return std::move(state.result);
}

}  // namespace ordo::bench
