// The gateway's own duties: ids and traces, CORS, rate limits, unbuilt services, upstream
// failures, health and readiness.
#include <sstream>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

TEST(Gateway, HealthReadyAndRequestIds) {
  // The details of /ready and /metrics are off by default on the gateway (exposure_test.cpp).
  OrdoProcess ordo(
      Settings{{"gateway.expose_metrics", "true"}, {"gateway.expose_details", "true"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  EXPECT_EQ(session.request("GET", "/health").status, 200);
  auto ready = session.request("GET", "/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(Session::json(ready).at("services").at("users").as_string(), "ready");

  auto echoed = session.request("GET", "/health", {}, {{"X-Request-Id", "my-request-1"}});
  EXPECT_EQ(echoed.headers.get_or("X-Request-Id", ""), "my-request-1");
  auto made = session.request("GET", "/health", {}, {{"X-Request-Id", "bad id\twith tab"}});
  EXPECT_NE(made.headers.get_or("X-Request-Id", ""), "");
  EXPECT_NE(made.headers.get_or("X-Request-Id", ""), "bad id\twith tab");

  std::string trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto traced = session.request("POST", "/users/login", R"({"email":"x@y.zz","password":"p"})",
                                {{"traceparent", trace}, {"X-Request-Id", "trace-check"}});
  EXPECT_EQ(traced.headers.get_or("traceparent", ""), trace);
  // The users service logged the same trace id and request id: the context crossed the hop.
  auto log = ordo.log_text();
  bool users_line = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"service\":\"users\"") != std::string::npos &&
        line.find("0af7651916cd43dd8448eb211c80319c") != std::string::npos &&
        line.find("trace-check") != std::string::npos) {
      users_line = true;
    }
  }
  EXPECT_TRUE(users_line) << log;

  auto openapi = session.request("GET", "/openapi.json");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_EQ(Session::json(openapi).at("openapi").as_string(), "3.1.0");

  auto docs = session.request("GET", "/docs");
  EXPECT_EQ(docs.status, 200);
  EXPECT_EQ(docs.headers.get_or("Content-Type", ""), "text/html; charset=utf-8");
  EXPECT_NE(docs.body.find("/openapi.json"), std::string::npos);

  auto metrics = session.request("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("ordo_http_requests_total{service=\"gateway\""), std::string::npos)
      << metrics.body;
  // Every server has /metrics: in one process the registry is shared; distributed, each
  // process reports its own.
  Session users(runner, ordo.service_origin("users"));
  auto users_metrics = topology().distributed ? users.request("GET", "/metrics") : metrics;
  EXPECT_NE(users_metrics.body.find("ordo_http_open_connections{service=\"users\"}"),
            std::string::npos);
}

TEST(Gateway, CorsPreflightAndSimpleRequests) {
  OrdoProcess ordo(Settings{{"cors.allowed_origins", "https://shop.example"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  auto preflight = session.request(
      "OPTIONS", "/users/login", {},
      {{"Origin", "https://shop.example"}, {"Access-Control-Request-Method", "POST"}},
      std::nullopt);
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.headers.get_or("Access-Control-Allow-Origin", ""), "https://shop.example");
  EXPECT_NE(preflight.headers.get_or("Access-Control-Allow-Headers", "").find("Authorization"),
            std::string::npos);
  auto simple = session.request("GET", "/health", {}, {{"Origin", "https://shop.example"}});
  EXPECT_EQ(simple.headers.get_or("Access-Control-Allow-Origin", ""), "https://shop.example");
  auto foreign = session.request("GET", "/health", {}, {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(foreign.headers.has("Access-Control-Allow-Origin"));
}

TEST(Gateway, RateLimitsAnswer429WithRetryAfter) {
  OrdoProcess ordo(Settings{{"rate_limit.client_per_s", "1"}, {"rate_limit.client_burst", "5"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  int limited = 0;
  for (int i = 0; i < 10; ++i) {
    auto response = session.request("POST", "/users/login", R"({"email":"a@b.cd","password":"x"})");
    if (response.status == 429) {
      ++limited;
      EXPECT_GE(std::stoi(std::string(response.headers.get_or("Retry-After", "0"))), 1);
      EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json");
    }
  }
  EXPECT_GE(limited, 4);
}

TEST(Gateway, UpstreamTimeoutIs504) {
  // An upstream timeout shorter than one Argon2id hash: every login times out at the gateway.
  OrdoProcess ordo(Settings{{"http.upstream_timeout_ms", "1"}});
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  auto response =
      session.request("POST", "/users/register",
                      R"({"email":"slow@example.com","password":"long enough 1","name":"S"})");
  EXPECT_EQ(response.status, 504) << response.body;
  EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json");
}

TEST(Gateway, UnreachableUpstreamIs502AndNotReady) {
  OrdoProcess ordo;
  ASSERT_NO_FATAL_FAILURE(ordo.start({"--service=gateway"}));
  Runner runner;
  Session session(runner, ordo.gateway_origin());
  auto response = session.request("POST", "/users/login", R"({"email":"a@b.cd","password":"x"})");
  EXPECT_EQ(response.status, 502) << response.body;
  EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json");
  EXPECT_EQ(session.request("GET", "/ready").status, 503);
}

TEST(Gateway, UpstreamClientErrorsPassThroughUnchanged) {
  OrdoProcess ordo;
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  Session through_gateway(runner, ordo.gateway_origin());
  Session direct(runner, ordo.service_origin("users"));
  std::string body = R"({"email":"bad","password":"x","name":""})";
  auto via = through_gateway.request("POST", "/users/register", body);
  auto straight = direct.request("POST", "/users/register", body);
  EXPECT_EQ(via.status, 400);
  EXPECT_EQ(via.status, straight.status);
  auto a = Session::json(via).as_object();
  auto b = Session::json(straight).as_object();
  EXPECT_EQ(a.at("errors"), b.at("errors"));
  EXPECT_EQ(a.at("title"), b.at("title"));
}

}  // namespace
}  // namespace ordo::e2e
