// login: POST /users/login with correct passwords through the gateway; each costs one Argon2id
// verification, so its ceiling is the hash rate.
#include "bench/scenarios.hpp"
#include "client/requests.hpp"

namespace ordo::bench {

ScenarioResult run_login(ScenarioEnv& env, int connections) {
  const auto& users = env.seeder.users(static_cast<std::size_t>(connections));
  std::vector<http::OutgoingRequest> logins;
  for (int i = 0; i < connections; ++i) {
    const auto& user = users[static_cast<std::size_t>(i)];
    logins.push_back(client::login_request(user.email, user.password));
  }
  auto clients = make_clients(env.io, connections);
  auto origin = env.system.gateway_origin();
  RequestFn request = [&](int index) -> boost::asio::awaitable<int> {
    auto slot = static_cast<std::size_t>(index);
    auto post = logins[slot];
    auto response = co_await clients[slot]->send(origin, std::move(post));
    co_return response.status;
  };
  UsageMeter meter;
  meter.watch(env.system.processes());
  meter.watch_self();
  meter.start();
  auto load = run_load(env.io, load_spec(env.options, "login", connections), request);
  auto result = summarize("login", env.options, connections, load);
  result.processes = meter.finish();
  result.settings = env.system.settings();
  result.database = env.system.database();
  result.topology = env.system.topology();
  return result;
}

}  // namespace ordo::bench
