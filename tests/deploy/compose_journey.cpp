// The shopping journey through the gateway of a running compose topology (scripts/compose.sh test
// starts it and runs this), spoken with the typed client (src/client) as every other program that
// calls Ordo, with what only a real multi-container run can show:
//
//   1. the journey: the admin logs in and creates a product with stock, a buyer registers, logs
//      in, finds the product, places an order and sees it confirmed (stock reserved, a
//      notification);
//   2. scaling: orders and inventory scaled to 3 containers (`up --scale`); the gateway, which
//      finds the instances by resolving the service name, lists 3 ready instances of each in
//      /ready (skip with --without-discovery);
//   3. a crash under load: orders are placed from several threads while one orders container is
//      killed with SIGKILL; a placement that fails is retried with the same Idempotency-Key, and
//      every order the API accepted (201/202) must reach a final state: none is lost;
//   4. key rotation: `ordo users rotate-key` in the users container mid-run; tokens signed before
//      and after are both accepted by every service (skip with --without-rotation).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "compose_journey_support.hpp"

namespace ordo::compose {
namespace {

using namespace std::chrono_literals;

const std::set<std::string> kFinal{"confirmed", "rejected", "cancelled"};

// Until every instance the gateway lists is up: /ready is 200 once each service has one ready
// instance, but an instance still fetching its token keys (slow container DNS) would refuse the
// tokens sent to it.
void every_instance_up(Api& api) {
  auto instances = eventually<boost::json::object>(
      [&]() -> std::optional<boost::json::object> {
        auto ready = api.ready();
        if (!ready || ready->first != 200)
          return std::nullopt;
        const auto* listed = ready->second.if_contains("instances");
        if (listed == nullptr || !listed->is_object() || listed->as_object().empty())
          return std::nullopt;
        for (const auto& [service, list] : listed->as_object()) {
          for (const auto& instance : list.as_array()) {
            if (state_of(instance) != "up")
              return std::nullopt;
          }
        }
        return listed->as_object();
      },
      120s, "every instance up in the gateway's /ready", 1s);
  std::size_t count = 0;
  for (const auto& [service, list] : instances)
    count += list.as_array().size();
  step("every instance is up: " + std::to_string(count) + " instances");
}

std::string place_and_confirm(Api& api, Session& buyer, const std::string& product_id,
                              std::int64_t quantity) {
  auto order_id = api.place(buyer, product_id, quantity, unique_key()).order.id;
  eventually<bool>(
      [&]() -> std::optional<bool> {
        auto order = api.try_order(buyer, order_id);
        if (order && (order->status == "rejected" || order->status == "cancelled"))
          throw Failure("order " + order_id + " " + order->status);
        return order && order->status == "confirmed" ? std::optional<bool>(true) : std::nullopt;
      },
      60s, "order " + order_id + " confirmed");
  return order_id;
}

struct Journey {
  std::string product_id;
  Credentials buyer;
};

Journey shopping(Api& api, Session& admin) {
  auto sku = "CMP-" + unique_name();
  client::NewProduct product{sku, "Compose mug", "ordered across containers", 990, "EUR", "mugs",
                             {},  100'000};
  auto created = api.create_product(admin, product);
  step("admin created product " + created.id + " (" + sku + ") with stock");
  Credentials buyer_credentials{"compose-" + unique_name() + "@shop.test", "correct horse battery"};
  api.register_user(buyer_credentials, "Cora Compose");
  Session buyer = api.login(buyer_credentials);
  step("buyer " + buyer_credentials.email + " registered and logged in");
  if (api.product(created.id).sku != sku)
    throw Failure("GET /products/" + created.id + " is not the product created");
  auto order_id = place_and_confirm(api, buyer, created.id, 2);
  eventually<bool>(
      [&]() -> std::optional<bool> {
        return api.reserved(admin, created.id) >= 2 ? std::optional<bool>(true) : std::nullopt;
      },
      60s, "stock reserved");
  step("order " + order_id + " confirmed, its stock reserved");
  eventually<bool>(
      [&]() -> std::optional<bool> {
        return api.notification_count(buyer) > 0 ? std::optional<bool>(true) : std::nullopt;
      },
      60s, "a notification for the buyer");
  step("the buyer has a notification");
  return {created.id, buyer_credentials};
}

void scale_and_discover(Api& api, Containers& containers, bool check_discovery) {
  containers.compose(
      {"up", "-d", "--no-build", "--no-recreate", "--scale", "orders=3", "--scale", "inventory=3"});
  for (const char* service : {"orders", "inventory"}) {
    auto count = containers.ids(service).size();
    if (count != 3) {
      throw Failure(std::to_string(count) + " " + service + " containers running after --scale " +
                    service + "=3");
    }
  }
  step("scaled orders and inventory to 3 containers each");
  if (!check_discovery) {
    step("skipped: 3 instances of each in the gateway's /ready (--without-discovery)");
    return;
  }
  auto origins = eventually<std::string>(
      [&]() -> std::optional<std::string> {
        auto ready = api.ready();
        if (!ready || ready->first != 200)
          return std::nullopt;
        const auto* instances = ready->second.if_contains("instances");
        if (instances == nullptr || !instances->is_object())
          return std::nullopt;
        std::string listed;
        for (const char* service : {"orders", "inventory"}) {
          const auto* list = instances->as_object().if_contains(service);
          if (list == nullptr || !list->is_array())
            return std::nullopt;
          std::size_t up = 0;
          for (const auto& instance : list->as_array())
            up += state_of(instance) == "up" ? 1 : 0;
          if (up != 3)
            return std::nullopt;
          listed += std::string(listed.empty() ? "" : "; ") + service + ": " +
                    boost::json::serialize(*list);
        }
        return listed;
      },
      120s, "3 up instances of orders and of inventory in /ready (gateway.expose_details)", 1s);
  step("the gateway lists 3 ready instances each: " + origins);
}

// Places orders from `threads` threads: a third of `total` before one orders container is
// killed, then on until `total` are accepted and at least a half of them after the kill.
void orders_under_a_crash(Api& api, Containers& containers, const Credentials& buyer_credentials,
                          const std::string& product_id, std::size_t total, int threads) {
  std::mutex mutex;
  std::condition_variable third_accepted;
  std::vector<std::pair<std::string, int>> accepted;  // order id, attempts before it
  std::vector<std::string> problems;
  std::optional<std::size_t> accepted_at_kill;
  auto victim = containers.ids("orders").at(0);

  auto enough = [&] {  // with the mutex held
    return accepted_at_kill && accepted.size() >= total &&
           accepted.size() - *accepted_at_kill >= total / 2;
  };
  auto worker = [&] {
    Session buyer = api.login(buyer_credentials);
    while (true) {
      {
        std::lock_guard lock(mutex);
        if (enough() || !problems.empty() || accepted.size() >= 5 * total)
          return;
      }
      try {
        auto [order_id, retries] = api.place_retrying(buyer, product_id);
        std::lock_guard lock(mutex);
        accepted.emplace_back(order_id, retries);
        if (accepted.size() >= total / 3)
          third_accepted.notify_all();
      } catch (const std::exception& failure) {
        std::lock_guard lock(mutex);
        problems.push_back(failure.what());
        return;
      }
    }
  };
  auto killer = [&] {
    std::size_t before = 0;
    {
      std::unique_lock lock(mutex);
      third_accepted.wait_for(lock, 300s,
                              [&] { return accepted.size() >= total / 3 || !problems.empty(); });
      before = accepted.size();
    }
    containers.kill(victim);
    std::lock_guard lock(mutex);
    accepted_at_kill = accepted.size();
    step("killed orders container " + victim.substr(0, 12) + " (SIGKILL): sent with " +
         std::to_string(before) + " orders accepted, done with " +
         std::to_string(*accepted_at_kill) + ", more being placed");
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back(worker);
  pool.emplace_back(killer);
  for (auto& thread : pool)
    thread.join();
  if (!problems.empty())
    throw Failure("placing orders: " + problems.front());
  if (!accepted_at_kill)
    throw Failure("no orders container was killed");
  std::size_t retried = 0;
  std::set<std::string> ids;
  for (const auto& [order_id, retries] : accepted) {
    retried += retries > 0 ? 1 : 0;
    ids.insert(order_id);
  }
  step(std::to_string(accepted.size()) + " orders accepted (" + std::to_string(retried) +
       " after a retry with the same key)");
  if (ids.size() != accepted.size())
    throw Failure("one Idempotency-Key produced two orders");

  Session buyer = api.login(buyer_credentials);
  std::map<std::string, std::string> outcome;
  auto all_final = [&]() -> std::optional<bool> {
    for (const auto& order_id : ids) {
      if (kFinal.count(outcome[order_id]))
        continue;
      auto order = api.try_order(buyer, order_id);
      outcome[order_id] = order ? order->status : "";
    }
    for (const auto& order_id : ids) {
      if (!kFinal.count(outcome[order_id]))
        return std::nullopt;
    }
    return true;
  };
  try {
    eventually<bool>(all_final, 180s, "every accepted order in a final state", 2s);
  } catch (const Failure&) {
    std::size_t stuck = 0;
    std::string some;
    for (const auto& order_id : ids) {
      if (!kFinal.count(outcome[order_id])) {
        some += (stuck++ < 5 ? " " + order_id : "");
      }
    }
    throw Failure(std::to_string(stuck) + " of " + std::to_string(ids.size()) +
                  " accepted orders not final:" + some);
  }
  std::map<std::string, std::size_t> tally;
  for (const auto& [order_id, status] : outcome)
    ++tally[status];
  std::string text;
  for (const auto& [status, count] : tally)
    text += (text.empty() ? "" : ", ") + status + ": " + std::to_string(count);
  step("no accepted order lost: " + text);
  if (tally["confirmed"] != ids.size())
    throw Failure("with ample stock every order should be confirmed: " + text);
}

void key_rotation(Api& api, Containers& containers, const Credentials& admin_credentials,
                  const Credentials& buyer_credentials, const std::string& product_id) {
  Session old_admin = api.login(admin_credentials);
  Session old_buyer = api.login(buyer_credentials);
  auto users = containers.ids("users").at(0);
  // An operator's command: run again, as an operator would, when its database did not answer.
  std::string rotated;
  for (int attempt = 1;; ++attempt) {
    try {
      rotated = containers.exec(users, {"ordo", "users", "rotate-key"});
      break;
    } catch (const Failure& failure) {
      if (attempt == 3)
        throw;
      step(std::string("rotate-key failed, once more in 2 s: ") + failure.what());
      std::this_thread::sleep_for(2s);
    }
  }
  step("rotated the signing key: " + rotated.substr(0, 200));
  // Running users instances take the new key within a few seconds (they re-read the current key
  // periodically): log in until a token carries it.
  auto old_kid = token_kid(old_buyer.token());
  auto new_buyer = eventually<std::string>(
      [&]() -> std::optional<std::string> {
        Session session = api.login(buyer_credentials);
        if (token_kid(session.token()) == old_kid)
          return std::nullopt;
        return session.token();
      },
      60s, "a login signed with the new key", 1s);
  Session buyer_after = api.session(new_buyer);
  Session admin_after = api.login(admin_credentials);
  if (token_kid(admin_after.token()) != token_kid(new_buyer))
    throw Failure("two logins after the rotation signed with different keys");
  // Several rounds, so that the round-robin reaches every instance of orders and inventory.
  for (int round = 0; round < 6; ++round) {
    for (auto* pair : {&old_admin, &admin_after}) {
      Session& admin = *pair;
      Session& buyer = pair == &old_admin ? old_buyer : buyer_after;
      std::string label = pair == &old_admin ? "old" : "new";
      api.read_everything(admin, buyer, product_id);
      if (round == 0) {
        client::NewProduct product{"ROT-" + label + "-" + unique_name(),
                                   "Rotated " + label,
                                   "created with a token from before/after the rotation",
                                   100,
                                   "EUR",
                                   "mugs",
                                   {},
                                   1};
        api.create_product(admin, product);
        place_and_confirm(api, buyer, product_id, 1);
      }
    }
  }
  step("tokens from before (kid " + old_kid + ") and after (kid " + token_kid(new_buyer) +
       ") the rotation accepted by users, products, orders, inventory and notifications");
}

int run(const Options& options) {
  Api api(options.origin);
  Containers containers(options);
  auto started = std::chrono::steady_clock::now();
  try {
    every_instance_up(api);
    Session admin = api.login(options.admin);
    step("admin logged in");
    auto journey = shopping(api, admin);
    scale_and_discover(api, containers, options.discovery);
    orders_under_a_crash(api, containers, journey.buyer, journey.product_id, options.orders,
                         options.threads);
    if (options.rotation)
      key_rotation(api, containers, options.admin, journey.buyer, journey.product_id);
    else
      step("skipped: key rotation (--without-rotation)");
  } catch (const std::exception& failure) {
    std::cerr << "journey: FAILED: " << failure.what() << std::endl;
    return 1;
  }
  auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  step("passed in " + std::to_string(seconds.count()) + " s");
  return 0;
}

}  // namespace
}  // namespace ordo::compose

int main(int argc, char** argv) {
  try {
    return ordo::compose::run(ordo::compose::parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "compose_journey: " << e.what() << std::endl;
    return 2;
  }
}
