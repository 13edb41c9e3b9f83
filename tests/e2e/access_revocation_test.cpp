// Security findings that a probe made (issue 10, both High): parallel login guesses passed the
// throttle, and a demoted, deactivated or logged-out user kept their powers for the access
// token's lifetime. Each test here failed before its fix.
#include <atomic>
#include <barrier>
#include <csignal>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

using namespace std::chrono_literals;

// Revocations must take effect everywhere within this long (the issue's requirement).
constexpr auto kRevocationDeadline = 1s;

// One authenticated route of every service. Each would succeed (or fail with 400/403) for a
// token that stands; a revoked token gets 401 from all of them. The products probe's body is
// invalid on purpose, so that it can never create anything.
struct Probe {
  std::string service;
  std::string method;
  std::string path;
  std::string body;
};
const std::vector<Probe>& probes() {
  static const std::vector<Probe> all{
      {"users", "GET", "/users/me", ""},
      {"products", "POST", "/products", "{}"},
      {"orders", "GET", "/orders", ""},
      {"inventory", "GET", "/inventory/low-stock", ""},
      {"notifications", "GET", "/notifications", ""},
  };
  return all;
}

class AccessRevocation : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(ordo_.start()); }

  // A session that presents exactly `token`.
  std::unique_ptr<Session> holding(const std::string& token) {
    auto session = std::make_unique<Session>(runner_, ordo_.gateway_origin());
    session->api().set_access_token(token);
    return session;
  }

  // Every service refuses the token within the deadline, and keeps refusing it. Through the
  // gateway a probe reaches one instance of a service; instances learn of a revocation at
  // different moments (one consumes the event, the others re-read it from their database), so
  // after the first round that is refused everywhere, the deadline is waited out and every probe
  // is repeated, so that each instance behind the gateway is asked.
  void expect_refused_everywhere(const std::string& token, const std::string& why) {
    auto session = holding(token);
    auto started = std::chrono::steady_clock::now();
    std::map<std::string, int> last_status;
    bool refused = eventually(
        [&] {
          bool all = true;
          for (const auto& probe : probes()) {
            auto status = session->request(probe.method, probe.path, probe.body).status;
            last_status[probe.service] = status;
            all = all && status == 401;
          }
          return all;
        },
        kRevocationDeadline);
    for (const auto& [service, status] : last_status)
      EXPECT_EQ(status, 401) << why << ": " << service << " still accepts the token";
    EXPECT_TRUE(refused) << why << ": not refused everywhere within " << kRevocationDeadline.count()
                         << " s";
    std::this_thread::sleep_until(started + kRevocationDeadline);
    for (int round = 0; round < 4; ++round) {
      for (const auto& probe : probes()) {
        auto response = session->request(probe.method, probe.path, probe.body);
        EXPECT_EQ(response.status, 401) << why << ": " << probe.service << " " << response.body;
      }
    }
  }

  // The token works on every service now (the precondition of a revocation test).
  void expect_accepted_everywhere(const std::string& token) {
    auto session = holding(token);
    for (const auto& probe : probes()) {
      auto status = session->request(probe.method, probe.path, probe.body).status;
      EXPECT_NE(status, 401) << probe.service << " refuses a token that stands";
    }
  }

  OrdoProcess ordo_{unlimited_rate()};
  Runner runner_;
};

TEST_F(AccessRevocation, ParallelLoginGuessesAreCountedBeforeTheHash) {
  // 40 guesses at once, one of them right. Before the fix every guess was checked against the
  // hash (the lockout check ran before any had failed): 39 x 401 and one 200, no 429.
  auto victim = user_session(ordo_, runner_, "guessed");
  auto email = victim->run(victim->api().me()).email;
  constexpr int kGuesses = 40;
  constexpr int kBudget = 5;  // auth.login_max_failures_per_account_address, the default
  std::barrier start_line(kGuesses);
  std::vector<int> statuses(kGuesses, 0);
  std::vector<std::thread> attackers;
  for (int i = 0; i < kGuesses; ++i) {
    attackers.emplace_back([&, i] {
      Runner runner;
      Session attacker(runner, ordo_.gateway_origin());
      auto password = i == kGuesses / 2 ? std::string("correct horse battery")
                                        : "wrong guess " + std::to_string(i);
      boost::json::object body{{"email", email}, {"password", password}};
      auto text = boost::json::serialize(body);
      start_line.arrive_and_wait();
      statuses[static_cast<std::size_t>(i)] = attacker.request("POST", "/users/login", text).status;
    });
  }
  for (auto& attacker : attackers)
    attacker.join();
  std::map<int, int> by_status;
  for (int status : statuses)
    ++by_status[status];
  // Only the budget's worth of passwords was ever checked; everything else waited.
  EXPECT_LE(by_status[401] + by_status[200], kBudget);
  EXPECT_GE(by_status[401], 1);
  EXPECT_EQ(by_status[429], kGuesses - by_status[401] - by_status[200]);
  for (const auto& [status, count] : by_status)
    EXPECT_TRUE(status == 200 || status == 401 || status == 429) << status << " x " << count;
}

TEST_F(AccessRevocation, AdminsCannotChangeTheirOwnRoleOrActiveFlag) {
  auto admin = admin_session(ordo_, runner_);
  auto self = admin->run(admin->api().me());
  for (const char* body : {R"({"role":"user"})", R"({"active":false})", R"({"role":"admin"})",
                           R"({"role":"admin","active":true})"}) {
    auto response = admin->request("PATCH", "/users/" + self.id, body);
    expect_problem(response, 403, body);
  }
  // Another admin may.
  auto other = admin_session(ordo_, runner_);
  auto changed = other->run(other->api().patch_user(self.id, {{"role", "user"}}));
  EXPECT_EQ(changed.role, "user");
}

TEST_F(AccessRevocation, DemotedAndDeactivatedAdminLosesPowersWithinASecond) {
  auto demoted = admin_session(ordo_, runner_);
  auto demoted_id = demoted->run(demoted->api().me()).id;
  auto old_token = demoted->api().access_token();
  auto root = admin_session(ordo_, runner_);
  ASSERT_NO_FATAL_FAILURE(expect_accepted_everywhere(old_token));

  root->run(root->api().patch_user(demoted_id, {{"role", "user"}}));
  root->run(root->api().patch_user(demoted_id, {{"active", false}}));
  expect_refused_everywhere(old_token, "demoted and deactivated admin");

  // The probe's exact attack: restore oneself with the old token, then act as an admin.
  auto attacker = holding(old_token);
  auto restore =
      attacker->request("PATCH", "/users/" + demoted_id, R"({"role":"admin","active":true})");
  EXPECT_EQ(restore.status, 401) << restore.body;
  boost::json::object product{{"sku", "EVIL-1"},   {"name", "Evil"},  {"priceCents", 1},
                              {"currency", "EUR"}, {"category", "x"}, {"initialStock", 1}};
  EXPECT_EQ(attacker->request("POST", "/products", boost::json::serialize(product)).status, 401);
  auto me = root->run(root->api().patch_user(demoted_id, {{"active", true}}));
  EXPECT_EQ(me.role, "user");  // the restore did not happen
}

TEST_F(AccessRevocation, PromotionAndDemotionNeedAFreshToken) {
  auto alice = user_session(ordo_, runner_, "promoted");
  auto alice_me = alice->run(alice->api().me());
  auto user_token = alice->api().access_token();
  auto root = admin_session(ordo_, runner_);
  root->run(root->api().patch_user(alice_me.id, {{"role", "admin"}}));
  // The old token said "user": it is refused rather than trusted with a stale role...
  expect_refused_everywhere(user_token, "token from before a promotion");
  // ...and a new login carries the new role.
  alice->run(alice->api().login(alice_me.email, "correct horse battery"));
  EXPECT_EQ(alice->request("GET", "/inventory/low-stock").status, 200);
  // Changing nothing changes no version: the new token stands.
  root->run(root->api().patch_user(alice_me.id, {{"role", "admin"}}));
  EXPECT_EQ(alice->request("GET", "/users").status, 200);
}

TEST_F(AccessRevocation, DeactivatedUserCannotPlaceOrders) {
  auto buyer = user_session(ordo_, runner_, "deactivated");
  auto buyer_id = buyer->run(buyer->api().me()).id;
  auto token = buyer->api().access_token();
  auto root = admin_session(ordo_, runner_);
  root->run(root->api().patch_user(buyer_id, {{"active", false}}));
  expect_refused_everywhere(token, "deactivated user");
  boost::json::object item{{"productId", "0190f0a0-0000-7000-8000-000000000000"}, {"quantity", 1}};
  boost::json::object order{{"items", boost::json::array{item}}};
  auto response = holding(token)->request("POST", "/orders", boost::json::serialize(order));
  expect_problem(response, 401, "order by a deactivated user");
}

TEST_F(AccessRevocation, LogoutEndsThatSessionsAccessTokens) {
  auto laptop = user_session(ordo_, runner_, "logout");
  auto email = laptop->run(laptop->api().me()).email;
  Session phone(runner_, ordo_.gateway_origin());
  phone.run(phone.api().login(email, "correct horse battery"));
  auto laptop_token = laptop->api().access_token();
  // The laptop logs out with its own refresh token (the harness's login kept none: log in anew).
  auto tokens = laptop->run(laptop->api().login(email, "correct horse battery"));
  laptop->run(laptop->api().logout(tokens.refresh_token));
  expect_refused_everywhere(tokens.access_token, "access token of a logged-out session");
  // The caller's token ended its own session even though the body named another: the first
  // laptop token belongs to another session, which is still alive; so is the phone's.
  EXPECT_EQ(holding(laptop_token)->request("GET", "/users/me").status, 200);
  EXPECT_EQ(phone.request("GET", "/orders").status, 200);
}

TEST_F(AccessRevocation, LogoutWithAForeignRefreshTokenStillEndsTheCallersSession) {
  auto user = user_session(ordo_, runner_, "logout-own");
  auto token = user->api().access_token();
  auto response = user->request("POST", "/users/logout", R"({"refresh_token":"not-a-token"})");
  EXPECT_EQ(response.status, 204);
  expect_refused_everywhere(token, "caller's session after logout");
}

TEST_F(AccessRevocation, ReplayedRefreshTokenEndsTheSessionsAccessTokens) {
  auto user = user_session(ordo_, runner_, "replayed");
  auto email = user->run(user->api().me()).email;
  auto first = user->run(user->api().login(email, "correct horse battery"));
  auto second = user->run(user->api().refresh(first.refresh_token));
  ASSERT_NO_FATAL_FAILURE(expect_accepted_everywhere(second.access_token));
  // A thief replays the first refresh token: the family is revoked, and its newest access token
  // (held by whoever rotated it) with it.
  Session thief(runner_, ordo_.gateway_origin());
  EXPECT_THROW(thief.run(thief.api().refresh(first.refresh_token)), client::ApiError);
  expect_refused_everywhere(second.access_token, "session whose refresh token was replayed");
}

TEST(AccessRevocationRestart, RevocationsSurviveARestart) {
  auto data_dir = temp_dir("ordo-revocations") + "/data";
  std::string token;
  {
    OrdoProcess first(unlimited_rate(), data_dir);
    ASSERT_NO_FATAL_FAILURE(first.start());
    Runner runner;
    auto user = user_session(first, runner, "restarted");
    auto id = user->run(user->api().me()).id;
    token = user->api().access_token();
    auto root = admin_session(first, runner);
    root->run(root->api().patch_user(id, {{"active", false}}));
    // Waits until the deactivation took effect before the restart: what this test shows is that
    // it survives one (the deadline has its own tests above; a loaded machine may miss it here).
    ASSERT_TRUE(eventually([&] { return user->request("GET", "/orders").status == 401; }, 10s));
    first.signal(SIGTERM);
    ASSERT_EQ(first.wait(), 0);
  }
  OrdoProcess second(unlimited_rate(), data_dir);
  ASSERT_NO_FATAL_FAILURE(second.start());
  Runner runner;
  Session session(runner, second.gateway_origin());
  session.api().set_access_token(token);
  for (const auto& probe : probes()) {
    EXPECT_EQ(session.request(probe.method, probe.path, probe.body).status, 401) << probe.service;
  }
}

}  // namespace
}  // namespace ordo::e2e
