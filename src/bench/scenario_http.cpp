// The HTTP ceilings: a constant response from `ordo bench-echo` in its own process, measured
// directly ("http") and through a gateway-only `ordo serve` ("http-gateway").
#include <filesystem>

#include "bench/progress.hpp"
#include "bench/scenarios.hpp"
#include "host/registry.hpp"

namespace ordo::bench {
namespace {

ScenarioResult measure(boost::asio::io_context& io, const BenchOptions& options,
                       const std::string& scenario, const std::string& origin,
                       const std::string& target, std::vector<const ServedProcess*> processes) {
  int connections = options.connections;
  auto clients = make_clients(io, connections);
  RequestFn request = [&](int index) -> boost::asio::awaitable<int> {
    http::OutgoingRequest get{"GET", target, {}, {}};
    auto response = co_await clients[static_cast<std::size_t>(index)]->send(origin, std::move(get));
    co_return response.status;
  };
  UsageMeter meter;
  for (const auto* process : processes)
    meter.watch(*process);
  meter.watch_self();
  meter.start();
  auto load = run_load(io, load_spec(options, scenario, connections), request);
  auto result = summarize(scenario, options, connections, load);
  result.processes = meter.finish();
  return result;
}

}  // namespace

std::vector<ScenarioResult> run_http_ceilings(boost::asio::io_context& io,
                                              const BenchOptions& options) {
  auto dir = make_temp_dir("ordo-bench-echo");
  auto port = free_port();
  auto echo_origin = "http://127.0.0.1:" + std::to_string(port);
  note("starting ordo bench-echo (the HTTP ceiling)");
  std::vector<std::string> args{options.ordo_binary, "bench-echo", "--port", std::to_string(port)};
  ServedProcess echo(io, "ordo bench-echo", args, dir + "/echo.log", echo_origin, "/ready");

  std::vector<ScenarioResult> results;
  results.push_back(measure(io, options, "http", echo_origin, "/echo", {&echo}));

  // Every service's upstream is the echo server: the gateway's /ready probes then pass, and
  // GET /products/{id} (public, rate-limited, proxied) reaches a constant answer.
  Settings upstreams;
  for (const auto& definition : host::service_registry()) {
    if (definition.make != nullptr)
      upstreams.emplace_back(definition.name + ".upstreams", echo_origin);
  }
  note("starting a gateway-only ordo in front of it");
  OrdoSystem gateway(io, options, "ordo gateway", {"--service=gateway"}, upstreams);
  auto target = std::string("/products/0190a5b4-8c2e-7000-8000-000000000001");
  auto through = measure(io, options, "http-gateway", gateway.gateway_origin(), target,
                         {&echo, &gateway.process()});
  through.settings = gateway.settings();
  results.push_back(std::move(through));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return results;
}

}  // namespace ordo::bench
