// read: GET /products/{id} through the gateway (public route: no token, rate limiter on).
#include "bench/scenarios.hpp"
#include "client/requests.hpp"

namespace ordo::bench {

ScenarioResult run_read(ScenarioEnv& env, int connections) {
  auto product = env.seeder.products(1).front();
  auto clients = make_clients(env.io, connections);
  auto origin = env.system.gateway_origin();
  auto target = "/products/" + product;
  RequestFn request = [&](int index) -> boost::asio::awaitable<int> {
    auto response = co_await clients[static_cast<std::size_t>(index)]->send(
        origin, client::get_request(target));
    co_return response.status;
  };
  UsageMeter meter;
  meter.watch(env.system.processes());
  meter.watch_self();
  meter.start();
  auto load = run_load(env.io, load_spec(env.options, "read", connections), request);
  auto result = summarize("read", env.options, connections, load);
  result.processes = meter.finish();
  result.settings = env.system.settings();
  result.database = env.system.database();
  result.topology = env.system.topology();
  return result;
}

}  // namespace ordo::bench
