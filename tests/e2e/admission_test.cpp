// Admission control past saturation: a route at its limit refuses with 503 + Retry-After
// (problem+json) instead of queueing, health checks are never refused, the route serves again
// once the load stops; the gateway's deadline (Ordo-Timeout-Ms) is believed only from it.
#include <atomic>
#include <barrier>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

constexpr const char* kPassword = "correct horse battery";

std::string login_body(const std::string& email) {
  return boost::json::serialize(boost::json::object{{"email", email}, {"password", kPassword}});
}

std::string registered_email(Session& session, const std::string& tag) {
  auto email = unique_email(tag);
  session.run(session.api().register_user(email, kPassword, tag));
  return email;
}

// Logins are Argon2id-bound: with one slot and a short queue wait, a crowd of them saturates
// the users service's "password" group on any machine.
Settings one_login_at_a_time() {
  auto settings = unlimited_rate();
  settings.emplace_back("admission.password_max_in_flight", "1");
  settings.emplace_back("admission.queue_wait_ms", "50");
  // The login throttle counts an attempt before its hash is checked: many at once for one
  // account from one address would be 429s, whatever admission does.
  settings.emplace_back("auth.login_max_failures_per_account_address", "1000");
  return settings;
}

TEST(Admission, PastItsLimitALoginIsShedWithRetryAfterAndTheRouteRecovers) {
  OrdoProcess ordo(one_login_at_a_time());
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner setup_runner;
  Session setup(setup_runner, ordo.gateway_origin());
  auto email = registered_email(setup, "crowd");

  constexpr int kClients = 12;
  constexpr int kLoginsEach = 4;
  std::barrier start_line(kClients);
  std::mutex results_mutex;
  std::map<int, int> by_status;
  std::vector<http::Response> refusals;
  std::atomic<int> transport_errors{0};
  std::atomic<bool> crowd_done{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      Runner runner;
      Session session(runner, ordo.gateway_origin());
      start_line.arrive_and_wait();
      for (int i = 0; i < kLoginsEach; ++i) {
        try {
          auto response = session.request("POST", "/users/login", login_body(email));
          std::lock_guard lock(results_mutex);
          ++by_status[response.status];
          if (response.status == 503)
            refusals.push_back(std::move(response));
        } catch (const http::ClientError&) {
          ++transport_errors;  // a hang ends as a client timeout: counted, never waited out
        }
      }
    });
  }
  // Health, readiness and metrics of the saturated service itself all along: never refused.
  std::map<int, int> health_statuses;
  std::thread prober([&] {
    Runner runner;
    Session users(runner, ordo.service_origin("users"));
    while (!crowd_done) {
      for (const char* path : {"/health", "/ready", "/metrics"})
        ++health_statuses[users.request("GET", path).status];
    }
  });
  for (auto& client : clients)
    client.join();
  crowd_done = true;
  prober.join();

  EXPECT_EQ(transport_errors, 0);
  EXPECT_GT(by_status[200], 0);
  EXPECT_GT(by_status[503], 0) << "a crowd of logins past one slot was never refused";
  EXPECT_EQ(by_status[200] + by_status[503], kClients * kLoginsEach) << "only 200s and 503s";
  for (const auto& refusal : refusals) {
    expect_problem(refusal, 503, "shed login");
    EXPECT_EQ(refusal.headers.get_or("Retry-After", ""), "1");
    // The service's marker is for the gateway: it never reaches the client.
    EXPECT_FALSE(refusal.headers.has("Ordo-Shed"));
  }
  EXPECT_EQ(health_statuses.size(), 1u);
  EXPECT_GT(health_statuses[200], 0);

  // The load is gone: logins one at a time are served again.
  for (int i = 0; i < 3; ++i) {
    auto response = setup.request("POST", "/users/login", login_body(email));
    EXPECT_EQ(response.status, 200) << response.body;
  }
  Session users(setup_runner, ordo.service_origin("users"));
  auto metrics = users.request("GET", "/metrics").body;
  const std::string password = "{service=\"users\",class=\"password\"}";
  EXPECT_NE(metrics.find("ordo_admission_refused_total" + password + " "), std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("ordo_admission_refused_total" + password + " 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("ordo_admission_in_flight" + password + " 0\n"), std::string::npos);
}

TEST(Admission, TurnedOffNothingIsShed) {
  auto settings = one_login_at_a_time();
  settings.emplace_back("admission.enabled", "false");
  OrdoProcess ordo(settings);
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner setup_runner;
  Session setup(setup_runner, ordo.gateway_origin());
  auto email = registered_email(setup, "unlimited");
  constexpr int kClients = 6;
  std::barrier start_line(kClients);
  std::atomic<int> served{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      Runner runner;
      Session session(runner, ordo.gateway_origin());
      start_line.arrive_and_wait();
      for (int i = 0; i < 2; ++i) {
        auto response = session.request("POST", "/users/login", login_body(email));
        EXPECT_EQ(response.status, 200) << response.body;
        if (response.status == 200)
          ++served;
      }
    });
  }
  for (auto& client : clients)
    client.join();
  EXPECT_EQ(served, kClients * 2);
  auto metrics = Session(setup_runner, ordo.service_origin("users")).request("GET", "/metrics");
  EXPECT_EQ(metrics.body.find("ordo_admission_"), std::string::npos);
}

TEST(Admission, TheDeadlineHeaderIsBelievedFromTrustedProxiesOnly) {
  OrdoProcess ordo(unlimited_rate());
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session gateway(runner, ordo.gateway_origin());
  auto email = registered_email(gateway, "deadline");
  // A client's own value never reaches a service: the gateway sets the remaining time itself.
  auto through_gateway =
      gateway.request("POST", "/users/login", login_body(email), {{"Ordo-Timeout-Ms", "0"}});
  EXPECT_EQ(through_gateway.status, 200) << through_gateway.body;

  // Straight to the service from a trusted proxy's address (loopback, the default): a deadline
  // already passed is refused before any work, as the gateway would have given up on it.
  Session users(runner, ordo.service_origin("users"));
  auto expired =
      users.request("POST", "/users/login", login_body(email), {{"Ordo-Timeout-Ms", "0"}});
  expect_problem(expired, 504, "expired deadline");
  EXPECT_EQ(expired.headers.get_or("Ordo-Shed", ""), "deadline");
  auto ample =
      users.request("POST", "/users/login", login_body(email), {{"Ordo-Timeout-Ms", "5000"}});
  EXPECT_EQ(ample.status, 200) << ample.body;
  auto nonsense = users.request("GET", "/health", {}, {{"Ordo-Timeout-Ms", "0"}});
  EXPECT_EQ(nonsense.status, 200) << "health is never refused";
}

TEST(Admission, ADeadlineFromAnUntrustedPeerIsIgnored) {
  auto settings = unlimited_rate();
  settings.emplace_back("http.trusted_proxies", "10.255.255.1");  // not the test's loopback
  OrdoProcess ordo(settings);
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session gateway(runner, ordo.gateway_origin());
  auto email = registered_email(gateway, "untrusted");
  Session users(runner, ordo.service_origin("users"));
  auto answer =
      users.request("POST", "/users/login", login_body(email), {{"Ordo-Timeout-Ms", "0"}});
  EXPECT_EQ(answer.status, 200) << answer.body;
}

}  // namespace
}  // namespace ordo::e2e
