// The order flow across every service, through the gateway: reservation, rejection, release,
// concurrency without oversell, all-or-nothing, idempotency, authorization.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;

std::string create_product(Session& admin, const std::string& name, std::int64_t stock) {
  return e2e::create_product(
      admin, {.name = name, .stock = stock, .attributes = json::object{{"colour", "blue"}}});
}

json::value stock_of(Session& session, const std::string& product_id) {
  auto response = session.request("GET", "/products/" + product_id + "/stock");
  return response.status == 200 ? Session::json(response) : json::value();
}

std::string status_of(Session& session, const std::string& order_id) {
  auto response = session.request("GET", "/orders/" + order_id);
  return response.status == 200 ? std::string(Session::json(response).at("status").as_string())
                                : "http " + std::to_string(response.status);
}

// Every ledger row of a product.
std::vector<json::object> movements(Session& admin, const std::string& product_id) {
  return all_items(admin, "/products/" + product_id + "/stock/movements");
}

// The ledger explains the numbers: its deltas add up to the current stock.
void expect_ledger_explains(Session& admin, const std::string& product_id) {
  std::int64_t delta_available = 0;
  std::int64_t delta_reserved = 0;
  for (const auto& row : movements(admin, product_id)) {
    delta_available += row.at("deltaAvailable").as_int64();
    delta_reserved += row.at("deltaReserved").as_int64();
  }
  auto stock = stock_of(admin, product_id);
  EXPECT_EQ(delta_available, stock.at("available").as_int64());
  EXPECT_EQ(delta_reserved, stock.at("reserved").as_int64());
}

class OrderFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ordo_.start());
    admin_ = admin_session(ordo_, runner_);
  }
  OrdoProcess ordo_{unlimited_rate()};
  Runner runner_;
  std::unique_ptr<Session> admin_;
};

TEST_F(OrderFlow, JourneyReserveRejectCancel) {
  auto product = create_product(*admin_, "Blue mug", 10);
  auto user = user_session(ordo_, runner_, "shopper");
  ASSERT_TRUE(eventually([&] { return available(*user, product) == 10; }));

  auto placed = place_order_waiting(*user, {{product, 3}});
  ASSERT_EQ(placed.status, 201);
  EXPECT_EQ(placed.order.status, "confirmed");
  EXPECT_EQ(placed.order.total_cents, 3 * 1250);
  const std::string order_id = placed.order.id;
  EXPECT_EQ(available(*user, product), 7);

  auto ledger = movements(*admin_, product);
  bool reservation = false;
  for (const auto& row : ledger) {
    reservation = reservation || (row.at("reason").as_string() == "reservation" &&
                                  row.at("orderId").as_string() == order_id &&
                                  row.at("deltaAvailable").as_int64() == -3);
  }
  EXPECT_TRUE(reservation);
  EXPECT_TRUE(eventually([&] {
    auto page = Session::json(user->request("GET", "/notifications"));
    for (const auto& item : page.at("items").as_array()) {
      if (item.at("eventType").as_string() == "order.confirmed")
        return true;
    }
    return false;
  })) << "no notification of the confirmed order";

  auto too_many = place_order_waiting(*user, {{product, 8}});
  ASSERT_EQ(too_many.status, 201);
  EXPECT_EQ(too_many.order.status, "rejected");
  ASSERT_TRUE(too_many.order.rejection);
  const auto& reason = *too_many.order.rejection;
  EXPECT_EQ(reason.code, "insufficient_stock");
  ASSERT_EQ(reason.lines.size(), 1u);
  EXPECT_EQ(reason.lines.at(0).product_id, product);
  EXPECT_EQ(reason.lines.at(0).available, 7);
  EXPECT_EQ(reason.lines.at(0).requested, 8);
  EXPECT_EQ(available(*user, product), 7);

  EXPECT_EQ(user->run(user->api().cancel_order(order_id)).status, "cancelled");
  ASSERT_TRUE(eventually([&] { return available(*user, product) == 10; }));
  bool release = false;
  for (const auto& row : movements(*admin_, product)) {
    release = release || (row.at("reason").as_string() == "release" &&
                          row.at("orderId").as_string() == order_id);
  }
  EXPECT_TRUE(release);
  EXPECT_EQ(user->request("POST", "/orders/" + order_id + "/cancel", "{}").status, 409);
  auto history = user->run(user->api().order(order_id)).history;
  EXPECT_EQ(history.size(), 3u);  // pending, confirmed, cancelled
  expect_ledger_explains(*admin_, product);
}

TEST_F(OrderFlow, NoOversellUnderConcurrency) {
  auto product = create_product(*admin_, "Scarce lamp", 50);
  ASSERT_TRUE(eventually([&] { return available(*admin_, product) == 50; }));
  std::atomic<int> next{0};
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> lowest{50};
  std::mutex ids_mutex;
  std::vector<std::string> order_ids;
  std::vector<std::thread> clients;
  // A watcher samples the stock all along: it must never be seen negative.
  std::thread watcher([&] {
    Runner runner;
    Session session(runner, ordo_.gateway_origin());
    while (!done) {
      auto now = available(session, product);
      if (now >= 0 && now < lowest)
        lowest = now;
    }
  });
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      Runner runner;
      auto user = user_session(ordo_, runner, "crowd" + std::to_string(c));
      while (next++ < 200) {
        auto placed = place_order(*user, {{product, 1}});
        ASSERT_EQ(placed.status, 202);
        std::lock_guard lock(ids_mutex);
        order_ids.push_back(placed.order.id);
      }
    });
  }
  for (auto& client : clients)
    client.join();
  ASSERT_EQ(order_ids.size(), 200u);
  std::map<std::string, int> outcomes;
  ASSERT_TRUE(eventually(
      [&] {
        outcomes.clear();
        for (const auto& id : order_ids)
          ++outcomes[status_of(*admin_, id)];
        return outcomes["confirmed"] + outcomes["rejected"] == 200;
      },
      std::chrono::seconds(60)));
  done = true;
  watcher.join();
  EXPECT_EQ(outcomes["confirmed"], 50);
  EXPECT_EQ(outcomes["rejected"], 150);
  EXPECT_EQ(available(*admin_, product), 0);
  EXPECT_GE(lowest.load(), 0);
  expect_ledger_explains(*admin_, product);
}

TEST_F(OrderFlow, AllOrNothing) {
  auto plenty = create_product(*admin_, "Plenty", 5);
  auto scarce = create_product(*admin_, "Scarce", 1);
  auto user = user_session(ordo_, runner_, "greedy");
  ASSERT_TRUE(eventually([&] { return available(*user, scarce) == 1; }));
  auto placed = place_order_waiting(*user, {{plenty, 2}, {scarce, 3}});
  ASSERT_EQ(placed.status, 201);
  EXPECT_EQ(placed.order.status, "rejected");
  ASSERT_TRUE(placed.order.rejection);
  ASSERT_EQ(placed.order.rejection->lines.size(), 1u);
  EXPECT_EQ(placed.order.rejection->lines.at(0).product_id, scarce);
  EXPECT_EQ(available(*user, plenty), 5);
  EXPECT_EQ(available(*user, scarce), 1);
  EXPECT_EQ(stock_of(*user, plenty).at("reserved").as_int64(), 0);
}

TEST_F(OrderFlow, IdempotencyKeys) {
  auto product = create_product(*admin_, "Idempotent pen", 100);
  auto user = user_session(ordo_, runner_, "retrier");
  ASSERT_TRUE(eventually([&] { return available(*user, product) == 100; }));
  auto keyed = [](const std::string& product, std::int64_t quantity) {
    auto order = order_of({{product, quantity}});
    order.idempotency_key = "order-key-1";
    return order;
  };
  auto first = user->run(user->api().place_order(keyed(product, 2)));
  ASSERT_EQ(first.status, 202);
  EXPECT_FALSE(first.replayed);
  auto again = user->run(user->api().place_order(keyed(product, 2)));
  ASSERT_EQ(again.status, 202);
  EXPECT_EQ(first.order.id, again.order.id);
  EXPECT_TRUE(again.replayed);
  try {
    user->run(user->api().place_order(keyed(product, 3)));
    ADD_FAILURE() << "a key reused for another order was accepted";
  } catch (const client::ApiError& refused) {
    EXPECT_EQ(refused.status(), 422);
    EXPECT_TRUE(refused.problem().is_object());
  }
  EXPECT_EQ(user->run(user->api().orders()).items.size(), 1u);
  ASSERT_TRUE(eventually([&] { return available(*user, product) == 98; }));
}

TEST_F(OrderFlow, AuthorizationBoundaries) {
  auto product = create_product(*admin_, "Private thing", 10);
  auto alice = user_session(ordo_, runner_, "alice");
  auto bob = user_session(ordo_, runner_, "bob");
  ASSERT_TRUE(eventually([&] { return available(*alice, product) == 10; }));
  auto placed = place_order_waiting(*alice, {{product, 1}});
  ASSERT_EQ(placed.status, 201);
  const std::string order_id = placed.order.id;

  EXPECT_EQ(bob->request("GET", "/orders/" + order_id).status, 404);
  EXPECT_EQ(bob->request("POST", "/orders/" + order_id + "/cancel", "{}").status, 404);
  EXPECT_TRUE(Session::json(bob->request("GET", "/orders")).at("items").as_array().empty());
  EXPECT_EQ(admin_->request("GET", "/orders/" + order_id).status, 200);
  ASSERT_TRUE(eventually([&] {
    return !Session::json(alice->request("GET", "/notifications")).at("items").as_array().empty();
  }));
  auto bobs_notifications = Session::json(bob->request("GET", "/notifications"));
  for (const auto& item : bobs_notifications.at("items").as_array()) {
    EXPECT_NE(item.at("eventType").as_string(), "order.confirmed");
  }

  EXPECT_EQ(bob->request("POST", "/products",
                         R"({"sku":"X-1","name":"x","priceCents":1,"currency":"EUR"})")
                .status,
            403);
  EXPECT_EQ(bob->request("PATCH", "/products/" + product, R"({"name":"mine"})").status, 403);
  EXPECT_EQ(bob->request("DELETE", "/products/" + product).status, 403);
  EXPECT_EQ(
      bob->request("PATCH", "/products/" + product + "/replenish", R"({"quantity":5})").status,
      403);
  EXPECT_EQ(bob->request("PUT", "/products/" + product + "/stock", R"({"available":500})").status,
            403);
  EXPECT_EQ(bob->request("GET", "/products/" + product + "/stock/movements").status, 403);

  Session anonymous(runner_, ordo_.gateway_origin());
  EXPECT_EQ(anonymous.request("GET", "/products").status, 200);
  EXPECT_EQ(anonymous.request("GET", "/products/" + product).status, 200);
  EXPECT_EQ(anonymous.request("GET", "/products/" + product + "/stock").status, 200);
  EXPECT_EQ(anonymous.request("GET", "/orders").status, 401);
  EXPECT_EQ(anonymous.request("GET", "/notifications").status, 401);
}

// Issue 10, finding 6: an order placed after its product was archived (the orders service's
// catalog view may not know yet) is refused at placement or rejected by inventory as
// "product_archived"; it is never confirmed. Embedded, the late order is placed the moment the
// DELETE answered (one process, one bus: inventory hears of the archive first). Distributed, the
// two events come through two services' relays and two inventory instances, in either order:
// the late order is placed once inventory knows (the product left its low-stock list), and the
// window before that is documented (docs/security.md, finding 6).
TEST_F(OrderFlow, AProductArchivedAMomentAgoIsNeverSold) {
  auto user = user_session(ordo_, runner_, "latecomer");
  int refused_at_placement = 0;
  int rejected_by_inventory = 0;
  for (int round = 0; round < 10; ++round) {
    // 3 in stock: under the default threshold, so the product is on the low-stock list.
    auto product = create_product(*admin_, "Soon gone " + std::to_string(round), 3);
    ASSERT_TRUE(eventually([&] { return available(*user, product) == 3; }));
    // An order first, so that the orders service's view holds the product as active.
    auto first = place_order_waiting(*user, {{product, 1}});
    ASSERT_EQ(first.status, 201);
    ASSERT_EQ(first.order.status, "confirmed");

    ASSERT_EQ(admin_->request("DELETE", "/products/" + product, {}, {{"If-Match", "*"}}).status,
              204);
    if (topology().distributed) {
      ASSERT_TRUE(eventually([&] {
        for (const auto& item : all_items(*admin_, "/inventory/low-stock")) {
          if (item.at("productId").as_string() == product)
            return false;
        }
        return true;
      })) << "inventory never heard of the archive";
    }
    client::PlacedOrder late;
    try {
      late = place_order_waiting(*user, {{product, 1}});
    } catch (const client::ApiError& refused) {
      ASSERT_EQ(refused.status(), 400);
      auto problem = json::serialize(refused.problem());
      EXPECT_NE(problem.find("product is archived"), std::string::npos) << problem;
      ++refused_at_placement;
      continue;
    }
    ASSERT_EQ(late.status, 201);
    ASSERT_EQ(late.order.status, "rejected");
    ASSERT_TRUE(late.order.rejection);
    EXPECT_EQ(late.order.rejection->code, "product_archived");
    ++rejected_by_inventory;
    EXPECT_EQ(available(*admin_, product), 2) << "nothing more was reserved";
  }
  std::printf("refused at placement: %d, rejected by inventory: %d\n", refused_at_placement,
              rejected_by_inventory);
}

// Not a test: one order at a time with `Prefer: wait`, timing each from POST to its final answer
// (run with --gtest_also_run_disabled_tests; ORDO_E2E_MODE picks the topology).
TEST_F(OrderFlow, DISABLED_LatencyProbe) {
  auto product = create_product(*admin_, "Probe", 100'000);
  ASSERT_TRUE(eventually([&] { return stock_of(*admin_, product).is_object(); }));
  auto user = user_session(ordo_, runner_, "probe");
  std::vector<double> millis;
  for (int i = 0; i < 40; ++i) {
    auto started = std::chrono::steady_clock::now();
    auto placed = place_order_waiting(*user, {{product, 1}}, 5);
    millis.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
    ASSERT_EQ(placed.status, 201);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::sort(millis.begin(), millis.end());
  std::printf("placed -> final through the gateway: p50 %.1f ms, p90 %.1f ms, max %.1f ms\n",
              millis[millis.size() / 2], millis[millis.size() * 9 / 10], millis.back());
}

}  // namespace
}  // namespace ordo::e2e
