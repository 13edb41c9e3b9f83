// What an operator scrapes: after a shopping journey, every process's /metrics passes
// `promtool check metrics` (Prometheus' own linter) and holds the series docs/operations.md
// lists, with the service and the route template as labels.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "platform/core/child_process.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;

// promtool's verdict on a scrape: its exit code and what it printed.
std::pair<int, std::string> promtool_check(const std::string& text) {
  auto dir = temp_dir("promtool");
  auto input = dir + "/metrics.txt";
  auto output = dir + "/promtool.out";
  std::ofstream(input) << text;
  // promtool reads the scrape on stdin: a shell gives it the file.
  auto pid = core::spawn_process(
      {"/bin/sh", "-c", "exec /usr/bin/promtool check metrics < '" + input + "'"}, output);
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto printed = core::read_text_file(output);
  std::filesystem::remove_all(dir);
  return {core::exit_code_of(status), printed};
}

// The sum of the series lines starting with `prefix` (name and labels) over the scrapes, or -1
// when no scrape has one.
double value_of(const std::vector<std::string>& scrapes, const std::string& prefix) {
  double sum = -1;
  for (const auto& text : scrapes) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(prefix, 0) == 0)
        sum = std::max(sum, 0.0) + std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}
double value_of(const std::string& text, const std::string& prefix) {
  return value_of(std::vector<std::string>{text}, prefix);
}

class Metrics : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ordo_.start());
    admin_ = admin_session(ordo_, runner_);
    buyer_ = user_session(ordo_, runner_, "metrics");
  }

  // Every instance's: distributed, each process counts what it did itself.
  std::vector<std::string> scrape(const std::string& service) {
    std::vector<std::string> scrapes;
    for (const auto& origin : ordo_.service_origins(service)) {
      auto response = Session(runner_, origin).request("GET", "/metrics");
      EXPECT_EQ(response.status, 200);
      EXPECT_EQ(response.headers.get_or("Content-Type", ""), "text/plain; version=0.0.4");
      scrapes.push_back(response.body);
    }
    return scrapes;
  }

  OrdoProcess ordo_{Settings{{"gateway.expose_metrics", "true"}}};
  Runner runner_;
  std::unique_ptr<Session> admin_;
  std::unique_ptr<Session> buyer_;
};

TEST_F(Metrics, EveryScrapePassesPromtoolAndTellsTheOrderFlow) {
  auto product_id =
      create_product(*admin_, {.name = "Measured mug", .stock = 3, .price_cents = 900});
  auto place = [&](int quantity) {
    return place_order(*buyer_, {{product_id, quantity}}).order.id;
  };
  auto settled = [&](const std::string& id, const char* status) {
    return reaches_status(*buyer_, id, status);
  };
  // Inventory learns of the product by event: the first order may wait for it.
  auto confirmed = place(1);
  ASSERT_TRUE(settled(confirmed, "confirmed"));
  auto rejected = place(50);
  ASSERT_TRUE(settled(rejected, "rejected"));
  auto wrong =
      Session(runner_, ordo_.gateway_origin())
          .request("POST", "/users/login", R"({"email":"nobody@example.com","password":"x"})");
  EXPECT_EQ(wrong.status, 401);

  for (const char* service :
       {"gateway", "users", "products", "orders", "inventory", "notifications"}) {
    auto scrapes = std::string(service) == "gateway"
                       ? std::vector<std::string>{Session(runner_, ordo_.gateway_origin())
                                                      .request("GET", "/metrics")
                                                      .body}
                       : scrape(service);
    for (const auto& text : scrapes) {
      auto [code, printed] = promtool_check(text);
      EXPECT_EQ(code, 0) << service << ": promtool check metrics said:\n" << printed;
      EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos) << service;
      EXPECT_NE(text.find("ordo_build_info{"), std::string::npos) << service;
    }
  }

  auto gateway = Session(runner_, ordo_.gateway_origin()).request("GET", "/metrics").body;
  // The route template, never the raw path (which holds ids).
  EXPECT_GE(value_of(gateway,
                     "ordo_http_requests_total{service=\"gateway\",route=\"/orders/{id}\","
                     "method=\"GET\",status=\"200\"}"),
            2)
      << gateway;
  EXPECT_EQ(gateway.find("route=\"/orders/" + confirmed), std::string::npos);

  auto orders = scrape("orders");
  EXPECT_GE(value_of(orders, "ordo_orders{status=\"confirmed\"}"), 1) << orders.front();
  EXPECT_GE(value_of(orders, "ordo_orders{status=\"rejected\"}"), 1) << orders.front();
  EXPECT_GE(value_of(orders, "ordo_order_placed_to_final_seconds_count{status=\"confirmed\"}"), 1)
      << orders.front();
  EXPECT_GE(value_of(orders, "ordo_outbox_depth{service=\"orders\"}"), 0) << orders.front();
  EXPECT_GE(value_of(orders, "ordo_outbox_oldest_age_seconds{service=\"orders\"}"), 0)
      << orders.front();
  EXPECT_GE(value_of(orders, "ordo_events_published_total{service=\"orders\"}"), 2)
      << orders.front();
  EXPECT_GE(value_of(orders, "ordo_relay_publish_duration_seconds_count{service=\"orders\"}"), 2);
  EXPECT_GE(value_of(orders,
                     "ordo_consumer_events_handled_total{service=\"orders\","
                     "consumer=\"orders\",event_type=\"inventory.reserved\"}"),
            1)
      << orders.front();
  EXPECT_GE(value_of(orders,
                     "ordo_consumer_lag_seconds_count{service=\"orders\","
                     "consumer=\"orders\",event_type=\"inventory.rejected\"}"),
            1);
  EXPECT_GE(value_of(orders, "ordo_db_call_duration_seconds_count{service=\"orders\"}"), 1);
  EXPECT_GE(value_of(orders, "ordo_db_connections_in_use{service=\"orders\"}"), 0);

  auto inventory = scrape("inventory");
  EXPECT_GE(value_of(inventory, "ordo_inventory_reservations_total "), 1) << inventory.front();
  EXPECT_GE(value_of(inventory, "ordo_inventory_rejections_total{reason=\"insufficient_stock\"}"),
            1)
      << inventory.front();
  auto users = scrape("users");
  EXPECT_GE(value_of(users, "ordo_login_failures_total "), 1);

  // Every metric docs/operations.md lists is served by some process.
  std::string all = gateway;
  for (const char* service : {"users", "products", "orders", "inventory", "notifications"}) {
    for (const auto& text : scrape(service))
      all += text;
  }
  auto doc = core::read_text_file(ORDO_OPERATIONS_DOC);
  std::regex documented("`((?:ordo|process)_[a-z0-9_]+)`");
  int listed = 0;
  for (std::sregex_iterator it(doc.begin(), doc.end(), documented), end; it != end; ++it) {
    auto name = (*it)[1].str();
    ++listed;
    EXPECT_NE(all.find("# TYPE " + name + " "), std::string::npos)
        << name << " is documented in docs/operations.md but no process serves it";
  }
  EXPECT_GE(listed, 30);
}

}  // namespace
}  // namespace ordo::e2e
