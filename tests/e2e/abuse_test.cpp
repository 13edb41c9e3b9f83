// Abuse of the public entry points that a probe found (issue 10, findings 4, 5 and 7): a lockout
// that locked the owner out, a sign-up flood from one address, and services that believed any
// client's X-Forwarded-For. Each test failed before its fix.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

http::Response login_as(Session& session, const std::string& email, const std::string& password,
                        const std::string& from) {
  boost::json::object body{{"email", email}, {"password", password}};
  return session.request("POST", "/users/login", boost::json::serialize(body),
                         {{"X-Forwarded-For", from}});
}

TEST(Abuse, GuessesFromOneAddressDoNotLockTheOwnerOut) {
  // Before: five wrong passwords from anywhere locked the account everywhere, the admin's too.
  OrdoProcess ordo(unlimited_rate());
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto admin = admin_session(ordo, runner);
  auto email = admin->run(admin->api().me()).email;
  // The users service believes X-Forwarded-For from loopback (the gateway's address by default),
  // so a test on one machine can speak for two clients.
  Session users(runner, ordo.service_origin("users"));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(login_as(users, email, "wrong " + std::to_string(i), "198.51.100.7").status, 401);
  auto locked = login_as(users, email, "admin password 123", "198.51.100.7");
  EXPECT_EQ(locked.status, 429);
  EXPECT_TRUE(locked.headers.has("Retry-After"));
  // The owner, from elsewhere, is not locked out.
  EXPECT_EQ(login_as(users, email, "admin password 123", "203.0.113.9").status, 200);
}

TEST(Abuse, GuessesSpreadOverManyAddressesStopAtTheAccountCeiling) {
  OrdoProcess ordo(Settings{{"auth.login_max_failures_per_account", "8"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto victim = user_session(ordo, runner, "spread");
  auto email = victim->run(victim->api().me()).email;
  Session users(runner, ordo.service_origin("users"));
  int refused = 0;
  for (int i = 0; i < 12; ++i) {
    auto from = "198.51.100." + std::to_string(i);
    auto status = login_as(users, email, "wrong guess", from).status;
    refused += status == 429 ? 1 : 0;
    EXPECT_TRUE(status == 401 || status == 429) << status;
  }
  EXPECT_EQ(refused, 4);
}

TEST(Abuse, ServicesIgnoreForwardedForFromUntrustedPeers) {
  // Before: a client that reached the users service directly chose its own address with
  // X-Forwarded-For, so the per-address budget never ran out.
  OrdoProcess ordo(Settings{{"http.trusted_proxies", "10.255.255.1"},
                            {"auth.login_max_failures_per_address", "3"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session users(runner, ordo.service_origin("users"));
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    auto email = "nobody" + std::to_string(i) + "@example.com";
    statuses.push_back(
        login_as(users, email, "whatever 123", "192.0.2." + std::to_string(i)).status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{401, 401, 401, 429, 429}));
}

TEST(Abuse, SignUpFloodFromOneAddressIsCut) {
  // Before: 200 concurrent sign-ups from one address all succeeded and slowed logins 50x.
  OrdoProcess ordo(Settings{{"auth.register_max_per_address", "5"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  auto first = unique_email("flood");
  std::vector<int> statuses;
  for (int i = 0; i < 7; ++i) {
    // The third is a duplicate: probing for existing accounts spends the budget too.
    auto email = i == 2 ? "  " + first + " " : unique_email("flood");
    if (i == 0)
      email = first;
    boost::json::object body{{"email", email}, {"password", "long enough pass"}, {"name", "F"}};
    statuses.push_back(
        session.request("POST", "/users/register", boost::json::serialize(body)).status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{201, 201, 409, 201, 201, 429, 429}));
  boost::json::object body{
      {"email", unique_email("late")}, {"password", "long enough pass"}, {"name", "L"}};
  auto refused = session.request("POST", "/users/register", boost::json::serialize(body));
  expect_problem(refused, 429, "sign-up past the budget");
  EXPECT_TRUE(refused.headers.has("Retry-After"));
  // Logins are a separate budget: the flood does not lock anyone out of signing in.
  EXPECT_NO_THROW(session.run(session.api().login(first, "long enough pass")));
}

}  // namespace
}  // namespace ordo::e2e
