// The users journey through the gateway: register, login, me, refresh, reuse, logout, admin.
#include <set>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

using client::ApiError;

class UsersJourney : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(ordo_.start()); }

  std::unique_ptr<Session> new_user(const std::string& tag) {
    return user_session(ordo_, runner_, tag);
  }
  std::unique_ptr<Session> admin() { return admin_session(ordo_, runner_); }

  OrdoProcess ordo_;
  Runner runner_;
};

TEST_F(UsersJourney, RegisterLoginMeRefreshReuseLogout) {
  Session session(runner_, ordo_.gateway_origin());
  auto email = unique_email("journey");
  auto user =
      session.run(session.api().register_user("  " + email + " ", "s3cret-password", "Ann"));
  EXPECT_EQ(user.email, email);
  EXPECT_EQ(user.role, "user");
  EXPECT_TRUE(user.active);

  auto first = session.run(session.api().login(email, "s3cret-password"));
  EXPECT_EQ(first.token_type, "Bearer");
  EXPECT_GT(first.expires_in, 0);
  EXPECT_EQ(session.run(session.api().me()).id, user.id);

  auto second = session.run(session.api().refresh(first.refresh_token));
  EXPECT_NE(second.refresh_token, first.refresh_token);
  EXPECT_EQ(session.run(session.api().me()).id, user.id);

  // The old token again: reuse. The whole family dies, including the newest token.
  try {
    session.run(session.api().refresh(first.refresh_token));
    FAIL() << "reused refresh token accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 401);
  }
  try {
    session.run(session.api().refresh(second.refresh_token));
    FAIL() << "refresh token of a revoked family accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 401);
  }

  // A new login starts a new family; logout ends it.
  auto third = session.run(session.api().login(email, "s3cret-password"));
  session.run(session.api().logout(third.refresh_token));
  EXPECT_THROW(session.run(session.api().refresh(third.refresh_token)), ApiError);
}

TEST_F(UsersJourney, RegisterNeverGrantsRoleOrLeaksHash) {
  Session session(runner_, ordo_.gateway_origin());
  auto email = unique_email("sneaky");
  boost::json::object body{
      {"email", email}, {"password", "pass word 99"}, {"name", "S"}, {"role", "admin"}};
  auto response = session.request("POST", "/users/register", boost::json::serialize(body));
  ASSERT_EQ(response.status, 201) << response.body;
  auto json = Session::json(response);
  EXPECT_EQ(json.at("role").as_string(), "user");
  EXPECT_FALSE(json.as_object().contains("password"));
  EXPECT_FALSE(json.as_object().contains("passwordHash"));
  EXPECT_EQ(response.body.find("argon2"), std::string::npos);
  EXPECT_EQ(response.headers.get_or("Location", ""),
            "/users/" + std::string(json.at("id").as_string()));

  auto again = session.request("POST", "/users/register", boost::json::serialize(body));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.headers.get_or("Content-Type", ""), "application/problem+json");
  // Neither the password nor a hash ever reaches the log.
  auto log = ordo_.log_text();
  EXPECT_EQ(log.find("pass word 99"), std::string::npos);
  EXPECT_EQ(log.find("$argon2id$"), std::string::npos);
}

TEST_F(UsersJourney, WrongPasswordAndUnknownEmailLookTheSame) {
  auto session = new_user("victim");
  Session other(runner_, ordo_.gateway_origin());
  auto wrong = other.request("POST", "/users/login",
                             R"({"email":"nobody@example.com","password":"whatever 123"})");
  auto me = session->run(session->api().me());
  boost::json::object body{{"email", me.email}, {"password", "not the password"}};
  auto bad = other.request("POST", "/users/login", boost::json::serialize(body));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(Session::json(wrong).at("detail"), Session::json(bad).at("detail"));
}

TEST_F(UsersJourney, RepeatedLoginFailuresAreThrottled) {
  auto session = new_user("throttled");
  auto me = session->run(session->api().me());
  Session attacker(runner_, ordo_.gateway_origin());
  boost::json::object body{{"email", me.email}, {"password", "guess guess"}};
  int throttled = 0;
  for (int i = 0; i < 8; ++i) {
    auto response = attacker.request("POST", "/users/login", boost::json::serialize(body));
    if (response.status == 429) {
      ++throttled;
      EXPECT_TRUE(response.headers.has("Retry-After"));
    } else {
      EXPECT_EQ(response.status, 401);
    }
  }
  EXPECT_GE(throttled, 3);
  // Even the right password waits while the account is locked.
  boost::json::object right{{"email", me.email}, {"password", "correct horse battery"}};
  EXPECT_EQ(attacker.request("POST", "/users/login", boost::json::serialize(right)).status, 429);
}

TEST_F(UsersJourney, AdminListsAndPatchesUsersButUsersCannot) {
  auto alice = new_user("alice");
  auto alice_me = alice->run(alice->api().me());
  auto root = admin();

  auto page = root->run(root->api().users(100, std::nullopt));
  bool found = false;
  for (const auto& user : page.items)
    found = found || user.id == alice_me.id;
  EXPECT_TRUE(found);

  auto promoted = root->run(root->api().patch_user(alice_me.id, {{"role", "admin"}}));
  EXPECT_EQ(promoted.role, "admin");
  auto demoted = root->run(root->api().patch_user(alice_me.id, {{"role", "user"}}));
  EXPECT_EQ(demoted.role, "user");

  auto bob = new_user("bob");
  EXPECT_EQ(bob->request("GET", "/users").status, 403);
  EXPECT_EQ(bob->request("PATCH", "/users/" + alice_me.id, R"({"role":"admin"})").status, 403);
  // Another user's profile is not found, not forbidden; one's own is fine.
  EXPECT_EQ(bob->request("GET", "/users/" + alice_me.id).status, 404);
  auto bob_me = bob->run(bob->api().me());
  EXPECT_EQ(bob->request("GET", "/users/" + bob_me.id).status, 200);
  EXPECT_EQ(root->request("GET", "/users/" + alice_me.id).status, 200);

  // Deactivation locks the account out.
  root->run(root->api().patch_user(bob_me.id, {{"active", false}}));
  Session again(runner_, ordo_.gateway_origin());
  boost::json::object body{{"email", bob_me.email}, {"password", "correct horse battery"}};
  EXPECT_EQ(again.request("POST", "/users/login", boost::json::serialize(body)).status, 401);
}

TEST_F(UsersJourney, PagingWalksEveryUserOnce) {
  for (int i = 0; i < 5; ++i)
    new_user("page");
  auto root = admin();
  std::set<std::string> seen;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    auto page = root->run(root->api().users(2, cursor));
    EXPECT_LE(page.items.size(), 2u);
    for (const auto& user : page.items)
      EXPECT_TRUE(seen.insert(user.id).second);
    cursor = page.next_cursor;
    ++pages;
  } while (cursor && pages < 20);
  EXPECT_GE(seen.size(), 6u);
  EXPECT_EQ(root->request("GET", "/users?limit=0").status, 400);
  EXPECT_EQ(root->request("GET", "/users?cursor=garbage").status, 400);
}

TEST_F(UsersJourney, MissingOrBadTokensAre401) {
  Session anonymous(runner_, ordo_.gateway_origin());
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/users/me"}, {"GET", "/users"}, {"POST", "/users/logout"}}) {
    auto response = anonymous.request(method, path, "{}");
    EXPECT_EQ(response.status, 401) << method << " " << path;
    EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json");
  }
  auto session = new_user("tampered");
  auto token = session->api().access_token();
  // A signature character in the middle, changed: always a different signature.
  std::string flipped = token;
  char& c = flipped[flipped.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  for (std::string bad : {std::string("garbage"), flipped,
                          std::string("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."), token + "x"}) {
    Session forged(runner_, ordo_.gateway_origin());
    forged.api().set_access_token(bad);
    EXPECT_EQ(forged.request("GET", "/users/me").status, 401) << bad;
  }
  auto basic = anonymous.request("GET", "/users/me", {}, {{"Authorization", "Basic abc"}});
  EXPECT_EQ(basic.status, 401);
  // The service checks the token again: going around the gateway changes nothing.
  Session direct(runner_, ordo_.service_origin("users"));
  direct.api().set_access_token("garbage");
  EXPECT_EQ(direct.request("GET", "/users/me").status, 401);
}

}  // namespace
}  // namespace ordo::e2e
