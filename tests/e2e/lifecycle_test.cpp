// The process as an operator sees it: graceful SIGTERM under load, restarts that keep data, the
// command line.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {

TEST(Lifecycle, SigtermDuringLoadFinishesInFlightRequestsAndExitsZero) {
  // Eight logins of one account at a time: the login throttle counts attempts in flight (issue
  // 10) and would lock the account out; this test is about SIGTERM, not about throttling.
  OrdoProcess ordo(Settings{{"rate_limit.client_per_s", "100000"},
                            {"rate_limit.client_burst", "100000"},
                            {"auth.login_max_failures_per_account_address", "1000000"},
                            {"auth.login_max_failures_per_account", "1000000"},
                            {"auth.login_max_failures_per_address", "1000000"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner setup_runner;
  Session setup(setup_runner, ordo.gateway_origin());
  auto email = unique_email("load");
  setup.run(setup.api().register_user(email, "load test password", "Load"));

  // Logins are slow (Argon2id), so several are always in flight when the signal lands.
  std::atomic<bool> stop{false};
  std::atomic<int> completed{0};
  std::atomic<int> cut_off{0};  // a request that was accepted but got no complete answer
  std::atomic<int> refused{0};
  std::mutex cut_off_mutex;
  std::string cut_off_errors;  // what the client saw, for the failure message
  std::atomic<std::int64_t> signalled_at_ms{0};
  std::atomic<std::int64_t> exited_at_ms{0};
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      Runner runner;
      Session session(runner, ordo.gateway_origin());
      boost::json::object body{{"email", email}, {"password", "load test password"}};
      while (!stop) {
        std::int64_t started = now_ms();
        try {
          // A new connection per login: a POST racing the server's close of an idle keep-alive
          // connection cannot be told from a cut-off one (HTTP/1.1), and is not resent. A fresh
          // connection's request is always served.
          auto response = session.request("POST", "/users/login", boost::json::serialize(body),
                                          {{"Connection", "close"}});
          if (response.status == 200) {
            ++completed;
          } else if (response.status != 503) {
            ADD_FAILURE() << "unexpected status " << response.status << " " << response.body;
          }
        } catch (const http::ClientError& e) {
          if (e.kind() == http::ClientError::Kind::connect_failed || !e.may_have_reached()) {
            ++refused;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          } else {
            ++cut_off;
            std::lock_guard lock(cut_off_mutex);
            cut_off_errors += std::string(e.what()) + " (ms after the signal: " +
                              std::to_string(now_ms() - signalled_at_ms) +
                              ", exited: " + std::to_string(exited_at_ms.load()) + ", started " +
                              std::to_string(started - signalled_at_ms) + ")\n";
          }
        }
      }
    });
  }
  while (completed < 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  signalled_at_ms = now_ms();
  ordo.signal(SIGTERM);
  int exit_code = ordo.wait(std::chrono::seconds(30));
  exited_at_ms = now_ms() - signalled_at_ms;
  // The workers may all be inside a login when the process is gone (a loaded machine schedules
  // them late): give them a moment to try a connection, which must be refused.
  auto refusals_until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (refused == 0 && std::chrono::steady_clock::now() < refusals_until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& worker : workers)
    worker.join();
  EXPECT_EQ(exit_code, 0) << ordo.log_text();
  EXPECT_EQ(cut_off.load(), 0) << cut_off_errors << ordo.log_text();
  EXPECT_GT(refused.load(), 0);  // after the signal, new connections are refused
  EXPECT_NE(ordo.log_text().find("\"message\":\"stopped\""), std::string::npos);
}

// Issue 10, finding 10: every process exits 0 on SIGTERM while orders flow through the whole
// saga (gateway, orders, inventory, notifications, their relays and consumers, the broker in the
// distributed modes), and each says it stopped. A process that aborts exits -6.
TEST(Lifecycle, SigtermWhileOrdersFlowStopsEveryProcessCleanly) {
  OrdoProcess ordo(unlimited_rate());
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner setup_runner;
  auto admin = admin_session(ordo, setup_runner);
  auto product_id =
      create_product(*admin, {.name = "Stopping stock", .stock = 1'000'000, .price_cents = 100});
  auto shopper = user_session(ordo, setup_runner, "stopping");
  ASSERT_TRUE(eventually([&] { return available(*shopper, product_id) == 1'000'000; }));
  std::string token = shopper->api().access_token();

  std::atomic<bool> stop{false};
  std::atomic<int> placed{0};
  std::atomic<int> unexpected{0};
  std::mutex seen_mutex;
  std::string seen;  // what did not fit, for the failure message
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      Runner runner;
      Session session(runner, ordo.gateway_origin());
      session.api().set_access_token(token);
      std::string body = R"({"items":[{"productId":")" + product_id + R"(","quantity":1}]})";
      while (!stop) {
        try {
          auto response = session.request("POST", "/orders", body, {{"Connection", "close"}});
          if (response.status == 202 || response.status == 201) {
            ++placed;
          } else if (response.status / 100 != 5) {
            // 5xx: the gateway or a service already stopping, an honest answer here.
            ++unexpected;
            std::lock_guard lock(seen_mutex);
            seen += std::to_string(response.status) + " " + response.body + "\n";
          }
        } catch (const http::ClientError&) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the gateway is gone
        }
      }
    });
  }
  while (placed < 100)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ordo.signal(SIGTERM);
  int exit_code = ordo.wait(std::chrono::seconds(60));
  stop = true;
  for (auto& worker : workers)
    worker.join();
  std::string log = ordo.log_text();
  EXPECT_EQ(exit_code, 0) << log;
  EXPECT_EQ(unexpected.load(), 0) << seen;
  // Every process (one, or one per service instance and the gateway) says it stopped.
  std::size_t stopped = 0;
  for (auto at = log.find("\"message\":\"stopped\""); at != std::string::npos;
       at = log.find("\"message\":\"stopped\"", at + 1))
    ++stopped;
  std::size_t ready = 0;
  for (auto at = log.find("\"message\":\"ready\""); at != std::string::npos;
       at = log.find("\"message\":\"ready\"", at + 1))
    ++ready;
  EXPECT_GT(stopped, 0u);
  EXPECT_EQ(stopped, ready) << "a process did not stop cleanly";
  EXPECT_EQ(log.find("\"level\":\"error\""), std::string::npos) << log;
}

TEST(Lifecycle, RestartKeepsUsersSessionsAndKeys) {
  auto data_dir = temp_dir("ordo-restart");
  std::string email = unique_email("persist");
  contracts::TokenPair tokens;
  std::string user_id;
  {
    OrdoProcess first({}, data_dir + "/data");
    ASSERT_NO_FATAL_FAILURE(first.start());
    Runner runner;
    Session session(runner, first.gateway_origin());
    user_id = session.run(session.api().register_user(email, "persistent pass", "P")).id;
    tokens = session.run(session.api().login(email, "persistent pass"));
    first.signal(SIGTERM);
    ASSERT_EQ(first.wait(), 0);
  }
  OrdoProcess second({}, data_dir + "/data");
  ASSERT_NO_FATAL_FAILURE(second.start());
  Runner runner;
  Session session(runner, second.gateway_origin());
  // The access token from before the restart still verifies: the key was kept.
  session.api().set_access_token(tokens.access_token);
  EXPECT_EQ(session.run(session.api().me()).id, user_id);
  // The session (refresh token) survived too.
  auto rotated = session.run(session.api().refresh(tokens.refresh_token));
  EXPECT_FALSE(rotated.access_token.empty());
  EXPECT_NO_THROW(session.run(session.api().login(email, "persistent pass")));
}

TEST(Lifecycle, CommandLineHelpAndConfigPrint) {
  std::string output;
  EXPECT_EQ(run_command({binary_path(), "--help"}, &output), 0);
  EXPECT_NE(output.find("serve"), std::string::npos);
  EXPECT_NE(output.find("migrate"), std::string::npos);
  EXPECT_EQ(run_command({binary_path(), "serve", "--help"}, &output), 0);
  EXPECT_NE(output.find("--service"), std::string::npos);
  EXPECT_EQ(run_command({binary_path(), "users", "create-admin", "--help"}, &output), 0);
  EXPECT_NE(output.find("--email"), std::string::npos);

  auto dir = temp_dir("ordo-config");
  std::ofstream(dir + "/ordo.toml") << "[gateway]\nport = 4321\n[admin]\nemail = \"a@b.cd\"\n"
                                       "password = \"super secret value\"\n";
  EXPECT_EQ(run_command({binary_path(), "--config", dir + "/ordo.toml", "--set", "log.level=warn",
                         "config", "print"},
                        &output),
            0)
      << output;
  EXPECT_NE(output.find("gateway.port = \"4321\""), std::string::npos) << output;
  EXPECT_NE(output.find("log.level = \"warn\""), std::string::npos) << output;
  EXPECT_EQ(output.find("super secret value"), std::string::npos) << output;
  EXPECT_NE(output.find("admin.password = \"********\""), std::string::npos) << output;

  EXPECT_EQ(
      run_command({binary_path(), "--set", "gateway.port=notanumber", "config", "print"}, &output),
      2);
  EXPECT_NE(output.find("gateway.port"), std::string::npos);
  EXPECT_NE(run_command({binary_path(), "serve", "--service=nonsense"}, &output), 0);
}

TEST(Lifecycle, MigrateIsIdempotent) {
  auto dir = temp_dir("ordo-migrate");
  std::string output;
  EXPECT_EQ(run_command({binary_path(), "--data-dir", dir, "migrate"}, &output), 0) << output;
  EXPECT_EQ(run_command({binary_path(), "--data-dir", dir, "migrate"}, &output), 0) << output;
  EXPECT_NE(output.find("users"), std::string::npos);
}

}  // namespace
}  // namespace ordo::e2e
