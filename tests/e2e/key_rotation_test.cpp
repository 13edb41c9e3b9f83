// Signing keys owned by the users service (issue 14, item 4): every other process verifies with
// its JWKS. After `ordo users rotate-key` a token issued before still works everywhere, tokens
// issued after carry the new kid and are accepted by every service, through the gateway and on
// each instance's own port, and a token signed with a key nobody published gets 401.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "harness.hpp"
#include "platform/auth/jwt.hpp"
#include "platform/auth/keys.hpp"
#include "platform/core/encoding.hpp"

namespace ordo::e2e {
namespace {

using namespace std::chrono_literals;

// One authenticated route of every service. A token that stands gets anything but 401 (the
// products probe's body is invalid on purpose, and a user may not create products anyway).
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

boost::json::object token_part(const std::string& token, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i)
    start = token.find('.', start) + 1;
  auto end = token.find('.', start);
  auto decoded = core::base64url_decode(std::string_view(token).substr(start, end - start));
  return boost::json::parse(decoded.value_or("{}")).as_object();
}

std::string kid_of(const std::string& token) {
  return std::string(token_part(token, 0).at("kid").as_string());
}

// The claims of a real token, signed with a key the users service never made.
std::string forged_from(const std::string& token) {
  auto payload = token_part(token, 1);
  auth::Claims claims;
  claims.sub = std::string(payload.at("sub").as_string());
  claims.role = std::string(payload.at("role").as_string());
  claims.jti = std::string(payload.at("jti").as_string());
  claims.sid = std::string(payload.at("sid").as_string());
  claims.ver = payload.at("ver").as_int64();
  claims.iss = std::string(payload.at("iss").as_string());
  claims.aud = std::string(payload.at("aud").as_string());
  claims.iat = payload.at("iat").as_int64();
  claims.exp = payload.at("exp").as_int64();
  return auth::sign_jwt(claims, auth::signing_key_from_seed(auth::new_signing_key_seed()));
}

class KeyRotation : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(ordo_.start()); }

  // The gateway and every instance of every service, by their own ports.
  std::vector<std::string> entry_points(const std::string& service) const {
    auto points = ordo_.service_origins(service);
    points.insert(points.begin(), ordo_.gateway_origin());
    return points;
  }

  // The status of each probe at each entry point, for a session holding `token`.
  void expect_everywhere(const std::string& token, bool accepted, const std::string& what) {
    for (const auto& probe : probes()) {
      for (const auto& origin : entry_points(probe.service)) {
        Session session(runner_, origin);
        session.api().set_access_token(token);
        auto response = session.request(probe.method, probe.path, probe.body);
        if (accepted) {
          EXPECT_NE(response.status, 401) << what << ": " << probe.method << " " << probe.path
                                          << " at " << origin << ": " << response.body;
        } else {
          expect_problem(response, 401, what + " at " + origin + probe.path);
        }
      }
    }
  }

  std::string rotate() {
    std::vector<std::string> args{binary_path()};
    for (auto& arg : ordo_.common_args())
      args.push_back(arg);
    args.emplace_back("users");
    args.emplace_back("rotate-key");
    std::string output;
    EXPECT_EQ(run_command(args, &output), 0) << output;
    return output;
  }

  OrdoProcess ordo_{unlimited_rate()};
  Runner runner_;
};

TEST_F(KeyRotation, TokensOfBothKeysWorkEverywhereAndUnknownKeysAreRefused) {
  auto email = unique_email("rotation");
  Session user(runner_, ordo_.gateway_origin());
  user.run(user.api().register_user(email, "correct horse battery", "Rota"));
  user.run(user.api().login(email, "correct horse battery"));
  auto before = user.api().access_token();
  auto old_kid = kid_of(before);
  expect_everywhere(before, true, "a token issued before the rotation");

  auto output = rotate();
  EXPECT_NE(output.find("is current"), std::string::npos) << output;
  EXPECT_NE(output.find(old_kid), std::string::npos) << "the old key retires: " << output;

  // Running users instances switch keys within their reload interval.
  std::string after;
  bool switched = eventually(
      [&] {
        user.run(user.api().login(email, "correct horse battery"));
        after = user.api().access_token();
        if (kid_of(after) != old_kid)
          return true;
        std::this_thread::sleep_for(200ms);
        return false;
      },
      30s);
  ASSERT_TRUE(switched) << "tokens are still signed with " << old_kid;
  EXPECT_NE(output.find(kid_of(after)), std::string::npos) << output;
  expect_everywhere(after, true, "a token issued after the rotation");
  expect_everywhere(before, true, "a token issued before the rotation, after it");

  // The JWKS publishes both keys until the old one retires.
  auto jwks = user.request("GET", "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  auto kids = auth::parse_jwks(Session::json(jwks));
  EXPECT_TRUE(kids.contains(old_kid));
  EXPECT_TRUE(kids.contains(kid_of(after)));

  // Last: a refused kid makes each verifier refresh, which holds off the next refresh a while.
  expect_everywhere(forged_from(after), false, "a token signed with an unknown key");

  // Nothing went through the shared data directory (the old key file is not made any more).
  EXPECT_FALSE(std::filesystem::exists(ordo_.data_dir() + "/jwt-signing-key.json"));
}

// A service that cannot reach the users service has no keys: it starts (after a bounded wait),
// says it is not ready, and refuses tokens (401), rather than accept what it cannot check.
// Without keys it cannot check any token: a route that needs a user refuses with 503 and
// Retry-After (try again, the token may be good), never 401 (which tells a client to drop it).
TEST(KeysAtStart, AServiceWithoutTheUsersServiceIsNotReadyAndCannotCheckTokens) {
  OrdoProcess products(Settings{{"auth.jwks_start_wait_ms", "0"}});
  ASSERT_NO_FATAL_FAILURE(products.start({"--service=products"}));
  Runner runner;
  Session session(runner, products.service_origin("products"));
  auto ready = session.request("GET", "/ready");
  EXPECT_EQ(ready.status, 503) << ready.body;
  auto body = Session::json(ready);
  ASSERT_TRUE(body.is_object()) << ready.body;
  EXPECT_EQ(body.at("keys"), false) << ready.body;
  EXPECT_EQ(body.at("database"), "up") << ready.body;

  auth::Claims claims;
  claims.sub = "00000000-0000-7000-8000-000000000000";
  claims.role = "admin";
  claims.jti = "j";
  claims.sid = "s";
  claims.ver = 1;
  claims.iss = "ordo";
  claims.aud = "ordo-api";
  claims.iat = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  claims.exp = claims.iat + 600;
  session.api().set_access_token(
      auth::sign_jwt(claims, auth::signing_key_from_seed(auth::new_signing_key_seed())));
  auto refused = session.request("POST", "/products", "{}");
  expect_problem(refused, 503, "a token without keys");
  EXPECT_EQ(refused.headers.get("Retry-After").value_or(""), std::string_view("1"));
}

}  // namespace
}  // namespace ordo::e2e
