// overload: logins (an Argon2id hash each, the costliest route) driven past saturation, to show
// what the system does with more work than it can do. Three phases of --seconds each: the normal
// load (--connections), kOverloadFactor times as many connections, then the normal load again.
// Clients act like an app a person waits on: they give up on an answer after kPatience (and send
// the next request), and after a 503 they wait what Retry-After says (at most kPatience).
// Goodput is 2xx answers received within that patience, per second; a phase's ratio is its
// goodput over the normal phase's, measured in the same run.
#include <algorithm>
#include <charconv>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/progress.hpp"
#include "bench/scenarios.hpp"
#include "client/requests.hpp"

namespace ordo::bench {
namespace {

constexpr int kOverloadFactor = 8;
constexpr std::chrono::milliseconds kPatience{1'000};

std::chrono::milliseconds retry_after(const http::Response& response) {
  auto header = response.headers.get_or("Retry-After", "1");
  int seconds = 1;
  std::from_chars(header.data(), header.data() + header.size(), seconds);
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(std::max(seconds, 0)), kPatience);
}

struct Phase {
  std::string name;
  int connections = 0;
  std::chrono::milliseconds warmup{0};
};

}  // namespace

std::vector<ScenarioResult> run_overload(ScenarioEnv& env, int connections) {
  int crowd = connections * kOverloadFactor;
  // One account per connection: the login throttle counts each attempt of an account from one
  // address until its hash is checked, and must not be what refuses the crowd.
  const auto& users = env.seeder.users(static_cast<std::size_t>(crowd));
  std::vector<http::OutgoingRequest> logins;
  for (int i = 0; i < crowd; ++i) {
    const auto& user = users[static_cast<std::size_t>(i)];
    logins.push_back(client::login_request(user.email, user.password));
  }
  auto clients = make_clients(env.io, crowd);
  auto origin = env.system.gateway_origin();
  RequestFn request = [&](int index) -> boost::asio::awaitable<int> {
    auto slot = static_cast<std::size_t>(index);
    auto post = logins[slot];
    auto response = co_await clients[slot]->send(origin, std::move(post), kPatience);
    if (response.status == 503) {
      auto executor = co_await boost::asio::this_coro::executor;
      boost::asio::steady_timer pause(executor, retry_after(response));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
    co_return response.status;
  };
  auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(env.options.seconds);
  // The recovery is measured from its first request: its start is the point.
  const std::vector<Phase> phases{{"login-normal", connections, warmup_for(duration)},
                                  {"login-" + std::to_string(kOverloadFactor) + "x", crowd, {}},
                                  {"login-after", connections, {}}};
  std::vector<ScenarioResult> results;
  for (const auto& phase : phases) {
    note("overload: " + phase.name + " at " + std::to_string(phase.connections) + " connections");
    LoadSpec spec = load_spec(env.options, phase.name, phase.connections);
    spec.warmup = phase.warmup;
    UsageMeter meter;
    meter.watch(env.system.processes());
    meter.start();
    auto load = run_load(env.io, spec, request);
    auto result = summarize(phase.name, env.options, phase.connections, load);
    result.processes = meter.finish();
    result.settings = env.system.settings();
    result.database = env.system.database();
    result.topology = env.system.topology();
    if (!results.empty() && results.front().throughput_per_s > 0) {
      result.ceiling_name = "normal";
      result.ceiling_per_s = results.front().throughput_per_s;
      result.ratio = result.throughput_per_s / results.front().throughput_per_s;
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace ordo::bench
