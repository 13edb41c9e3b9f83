// order-flow: C users place orders (1-3 lines) through the gateway for T seconds; then the bench
// waits until every accepted order is final and reads a sample's history for placed → final.
#include <algorithm>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "bench/progress.hpp"
#include "bench/scenarios.hpp"
#include "bench/sync.hpp"
#include "bench/work_meter.hpp"
#include "client/requests.hpp"
#include "platform/core/time.hpp"

namespace ordo::bench {
namespace {

using boost::asio::awaitable;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

constexpr std::size_t kProducts = 20;
constexpr std::size_t kFinalSample = 2000;
constexpr auto kFinalWait = std::chrono::seconds(60);

client::OrderRequest random_order(const std::vector<std::string>& products,
                                  std::minstd_rand& random) {
  std::size_t lines = 1 + random() % 3;
  std::vector<std::size_t> picked;
  while (picked.size() < lines) {
    auto index = random() % products.size();
    if (std::find(picked.begin(), picked.end(), index) == picked.end())
      picked.push_back(index);
  }
  client::OrderRequest order;
  for (auto index : picked)
    order.lines.push_back({products[index], 1});
  return order;
}

awaitable<http::Response> admin_get(http::Client& connection, const std::string& origin,
                                    const std::string& token, const std::string& target) {
  co_return co_await connection.send(origin,
                                     client::with_bearer(client::get_request(target), token));
}

// Polls the admin's list of pending orders until it is empty; returns how many remain when the
// bounded wait ends (0 when all are final).
awaitable<std::size_t> wait_until_final(http::Client& client, const std::string& origin,
                                        const std::string& token) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto deadline = Clock::now() + kFinalWait;
  while (true) {
    const std::string target = "/orders?status=pending&limit=100";
    auto response = co_await admin_get(client, origin, token, target);
    std::size_t pending = 1;
    if (response.status == 200)
      pending = json::parse(response.body).at("items").as_array().size();
    if (pending == 0 || Clock::now() > deadline)
      co_return pending;
    boost::asio::steady_timer pause(executor, std::chrono::milliseconds(10));
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}

struct FinalSample {
  LatencyRecorder placed_to_final;
  std::uint64_t rejected = 0;
  std::uint64_t unreadable = 0;
};

// Placed → final from the server's own timestamps (RFC 3339, ms): createdAt to the history entry
// that made the order final.
void read_history(const json::value& order, FinalSample& sample) {
  const auto& object = order.as_object();
  auto created = core::millis_from_rfc3339(object.at("createdAt").as_string());
  for (const auto& entry : object.at("history").as_array()) {
    auto status = entry.at("status").as_string();
    if (status == "pending")
      continue;
    auto at = core::millis_from_rfc3339(entry.at("at").as_string());
    if (created && at) {
      sample.placed_to_final.record(std::chrono::milliseconds(*at - *created));
      sample.rejected += status == "rejected" ? 1 : 0;
      return;
    }
  }
  ++sample.unreadable;
}

awaitable<void> read_sample(http::Client& client, const std::string& origin,
                            const std::string& token, const std::vector<std::string>& ids,
                            std::size_t& next, std::size_t step, FinalSample& sample) {
  while (next < ids.size()) {
    auto target = "/orders/" + ids[next];
    next += step;
    auto response = co_await admin_get(client, origin, token, target);
    if (response.status != 200) {
      ++sample.unreadable;
      continue;
    }
    read_history(json::parse(response.body), sample);
  }
}

awaitable<void> read_samples(std::vector<std::unique_ptr<http::Client>>& clients,
                             const std::string& origin, const std::string& token,
                             const std::vector<std::string>& ids, FinalSample& sample) {
  auto executor = co_await boost::asio::this_coro::executor;
  std::size_t step = std::max<std::size_t>(1, ids.size() / kFinalSample);
  std::size_t next = 0;
  int running = static_cast<int>(clients.size());
  for (auto& client : clients) {
    boost::asio::co_spawn(executor, read_sample(*client, origin, token, ids, next, step, sample),
                          [&running](std::exception_ptr) { --running; });
  }
  boost::asio::steady_timer tick(executor);
  while (running > 0) {
    tick.expires_after(std::chrono::milliseconds(5));
    co_await tick.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace

ScenarioResult run_order_flow(ScenarioEnv& env, int connections) {
  const auto& products = env.seeder.products(kProducts);
  const auto& users = env.seeder.users(static_cast<std::size_t>(connections));
  const auto& admin = env.seeder.admin();
  auto clients = make_clients(env.io, connections);
  auto origin = env.system.gateway_origin();
  std::vector<std::minstd_rand> randoms;
  for (int i = 0; i < connections; ++i) {
    randoms.emplace_back(static_cast<std::minstd_rand::result_type>(i + 1));
  }
  std::vector<std::string> accepted;  // every 202, warm-up included: all must become final
  RequestFn request = [&](int index) -> awaitable<int> {
    auto slot = static_cast<std::size_t>(index);
    auto post =
        client::with_bearer(client::place_order_request(random_order(products, randoms[slot])),
                            users[slot].access_token);
    auto response = co_await clients[slot]->send(origin, std::move(post));
    if (response.status == 202) {
      auto location = response.headers.get_or("Location", "");
      accepted.push_back(location.substr(location.rfind('/') + 1));
    }
    co_return response.status;
  };
  UsageMeter meter;
  meter.watch(env.system.processes());
  meter.watch_self();
  WorkMeter work(env.io, env.system);
  work.start();
  meter.start();
  auto load = run_load(env.io, load_spec(env.options, "order-flow", connections), request);

  note("order-flow: waiting until " + std::to_string(accepted.size()) +
       " accepted orders are final");
  auto pending = run_sync(env.io, wait_until_final(*clients[0], origin, admin.access_token));
  auto all_final = Clock::now();
  auto result = summarize("order-flow", env.options, connections, load);
  result.processes = meter.finish();
  result.settings = env.system.settings();
  result.database = env.system.database();
  result.topology = env.system.topology();
  // Completed orders over the whole time they took, warm-up included: every order the bench
  // placed is counted, from the first request to the moment none was pending any more.
  auto final_orders = accepted.size() - std::min(accepted.size(), pending);
  double span = std::chrono::duration<double>(all_final - load.started).count();
  result.completed_per_s = span > 0 ? static_cast<double>(final_orders) / span : 0;
  if (pending > 0)
    result.errors["not_final"] = pending;
  work.finish(final_orders, result);  // before the sample's reads add statements of their own

  FinalSample sample;
  run_sync(env.io, read_samples(clients, origin, admin.access_token, accepted, sample));
  result.final_p50_ms = sample.placed_to_final.percentile_ms(50);
  result.final_p99_ms = sample.placed_to_final.percentile_ms(99);
  if (sample.rejected > 0)
    result.errors["rejected_in_sample"] = sample.rejected;
  if (sample.unreadable > 0)
    result.errors["unreadable_in_sample"] = sample.unreadable;
  return result;
}

}  // namespace ordo::bench
