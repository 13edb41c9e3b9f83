// What the public port shows and how it answers junk (security issue, findings 3 and 8): every
// answer passes the rate limit and carries nosniff, authenticated ones are not stored, /docs is
// confined, the gateway keeps /metrics and the details of /ready to itself unless told, and
// junk methods leave /metrics the size it was.
#include <random>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

int count_status(const std::vector<http::Response>& responses, int status) {
  int count = 0;
  for (const auto& response : responses)
    count += response.status == status ? 1 : 0;
  return count;
}

// Before: 404s, 405s and other refusals never reached the limiter (it ran in the proxying
// handler only), so a client could send them without end.
TEST(Exposure, ErrorsAreRateLimitedLikeAnyRequest) {
  OrdoProcess ordo(Settings{{"rate_limit.client_per_s", "0.5"},
                            {"rate_limit.client_burst", "5"},
                            {"http.max_body_bytes", "4096"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  struct Junk {
    std::string method;
    std::string target;
    int status;
  };
  for (const Junk& junk : {Junk{"GET", "/nowhere", 404}, Junk{"DELETE", "/users/login", 405},
                           Junk{"BREW", "/products", 405}, Junk{"GET", "/users/%zz", 400}}) {
    std::vector<http::Response> responses;
    for (int i = 0; i < 10; ++i)
      responses.push_back(session.request(junk.method, junk.target));
    EXPECT_GE(count_status(responses, 429), 4) << junk.method << " " << junk.target;
    for (const auto& response : responses) {
      EXPECT_TRUE(response.status == junk.status || response.status == 429) << response.status;
      if (response.status == 429) {
        EXPECT_GE(std::stoi(std::string(response.headers.get_or("Retry-After", "0"))), 1);
        EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json");
      }
    }
  }
  // A refused request (its body too large) counts as well.
  auto refused = session.request("POST", "/users/login", std::string(8 * 1024, 'x'));
  EXPECT_EQ(refused.status, 429) << refused.body;
}

// Before: the method was a metrics label as sent; 300 random methods grew the page fivefold.
TEST(Exposure, JunkMethodsLeaveMetricsBounded) {
  auto settings = unlimited_rate();
  settings.emplace_back("gateway.expose_metrics", "true");
  OrdoProcess ordo(settings);
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  // The first junk of each kind (and the first scrape) may add its series; no more after that.
  for (const char* method : {"BREW", "PROPFIND"})
    session.request(method, "/products");
  session.request(std::string(8 * 1024, 'M'), "/products");
  session.request("GET", "/metrics");
  auto before = session.request("GET", "/metrics").body.size();
  std::mt19937 random(7);
  std::uniform_int_distribution<int> letter('A', 'Z');
  for (int i = 0; i < 300; ++i) {
    std::string method(6 + i % 20, 'X');
    for (auto& c : method)
      c = static_cast<char>(letter(random));
    session.request(method, "/products");
  }
  session.request(std::string(8 * 1024, 'N'), "/products");
  auto metrics = session.request("GET", "/metrics");
  // Only counts change (a few digits more).
  EXPECT_LT(metrics.body.size(), before + 512) << metrics.body.size() - before;
  EXPECT_NE(metrics.body.find("method=\"other\",status=\"405\""), std::string::npos);
  EXPECT_EQ(metrics.body.find("MMMMMMMM"), std::string::npos);
  EXPECT_EQ(metrics.body.find("NNNNNNNN"), std::string::npos);
}

TEST(Exposure, EveryAnswerSaysNosniffAndAuthenticatedOnesAreNotStored) {
  OrdoProcess ordo(Settings{{"rate_limit.client_per_s", "1"}, {"rate_limit.client_burst", "30"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto user = user_session(ordo, runner, "exposure");
  Session anonymous(runner, ordo.gateway_origin());
  Session users(runner, ordo.service_origin("users"));

  std::vector<http::Response> answers{
      anonymous.request("GET", "/health"),
      anonymous.request("GET", "/nowhere"),
      anonymous.request("DELETE", "/users/login"),
      anonymous.request("GET", "/users/me"),
      anonymous.request("POST", "/users/login", R"({"email":"a@b.cd","password":"wrong one!"})"),
      anonymous.request("GET", "/products"),
      users.request("GET", "/nowhere"),
      users.request("GET", "/health"),
  };
  for (const auto& answer : answers) {
    EXPECT_EQ(answer.headers.get_or("X-Content-Type-Options", ""), "nosniff") << answer.status;
    EXPECT_NE(answer.headers.get_or("Cache-Control", ""), "no-store") << answer.status;
  }
  auto me = user->request("GET", "/users/me");
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.headers.get_or("Cache-Control", ""), "no-store");
  EXPECT_EQ(me.headers.get_or("X-Content-Type-Options", ""), "nosniff");
  auto products = user->request("GET", "/products");
  EXPECT_EQ(products.headers.get_or("Cache-Control", ""), "no-store");
  // The 429s too, once the burst is spent.
  http::Response limited;
  for (int i = 0; i < 40 && limited.status != 429; ++i)
    limited = anonymous.request("GET", "/nowhere");
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.get_or("X-Content-Type-Options", ""), "nosniff");
}

TEST(Exposure, DocsPageIsConfined) {
  OrdoProcess ordo;
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  auto docs = session.request("GET", "/docs");
  ASSERT_EQ(docs.status, 200);
  EXPECT_EQ(docs.headers.get_or("X-Frame-Options", ""), "DENY");
  auto policy = std::string(docs.headers.get_or("Content-Security-Policy", ""));
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  // The explorer of the web build (scripts from this origin only, no inline one) or, without
  // a build, the built-in page (its one inline script by hash).
  bool explorer = docs.body.find("/docs/swagger-ui-bundle.js") != std::string::npos;
  EXPECT_NE(policy.find(explorer ? "script-src 'self';" : "script-src 'sha256-"), std::string::npos)
      << policy;
  EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe"), std::string::npos) << policy;
  if (explorer) {
    auto script = session.request("GET", "/docs/swagger-ui-bundle.js");
    EXPECT_EQ(script.status, 200);
    EXPECT_EQ(script.headers.get_or("Content-Type", ""), "text/javascript; charset=utf-8");
    EXPECT_EQ(script.headers.get_or("X-Content-Type-Options", ""), "nosniff");
  }
  // Only the explorer's own files: nothing else of the build, and no way out of it.
  expect_problem(session.request("GET", "/docs/index.js"), 404, "an unknown file");
  expect_problem(session.request("GET", "/docs/..%2Findex.html"), 404, "an encoded separator");
  expect_problem(session.request("GET", "/docs/.build-stamp"), 404, "a hidden file");
}

TEST(Exposure, GatewayKeepsMetricsAndReadinessDetailsToItself) {
  OrdoProcess ordo;
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session gateway(runner, ordo.gateway_origin());
  EXPECT_EQ(gateway.request("GET", "/metrics").status, 404);
  auto ready = gateway.request("GET", "/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;
  auto body = Session::json(ready).as_object();
  EXPECT_EQ(body.at("status").as_string(), "ready");
  EXPECT_FALSE(body.contains("instances")) << ready.body;
  EXPECT_FALSE(body.contains("services")) << ready.body;
  EXPECT_EQ(ready.body.find("http://"), std::string::npos) << ready.body;
  // The services still answer both on their own ports (operators and the bench scrape there).
  Session users(runner, ordo.service_origin("users"));
  auto metrics = users.request("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("ordo_http_open_connections{service=\"users\"}"), std::string::npos);
}

}  // namespace
}  // namespace ordo::e2e
