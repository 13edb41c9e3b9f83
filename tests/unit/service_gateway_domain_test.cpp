// The gateway's rules: the route table against API.md, token-bucket rate limiting and CORS.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "host/registry.hpp"
#include "platform/config/config.hpp"
#include "services/gateway/domain.hpp"

namespace ordo::services::gateway {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const RouteEntry* find_route(const std::string& method, const std::string& pattern) {
  for (const auto& route : route_table()) {
    if (route.method == method && route.pattern == pattern)
      return &route;
  }
  return nullptr;
}

struct Expected {
  const char* method;
  const char* pattern;
  const char* service;
};

// Every row of the tables in API.md (plus the JWKS document of the conventions).
const std::vector<Expected>& api_md_routes() {
  static const std::vector<Expected> routes{
      // Users
      {"POST", "/users/register", "users"},
      {"POST", "/users/login", "users"},
      {"POST", "/users/refresh", "users"},
      {"POST", "/users/logout", "users"},
      {"GET", "/users/me", "users"},
      {"GET", "/users", "users"},
      {"GET", "/users/{id}", "users"},
      {"PATCH", "/users/{id}", "users"},
      {"GET", "/.well-known/jwks.json", "users"},
      // Products (catalog)
      {"GET", "/products", "products"},
      {"GET", "/products/{id}", "products"},
      {"POST", "/products", "products"},
      {"PATCH", "/products/{id}", "products"},
      {"DELETE", "/products/{id}", "products"},
      // Stock (inventory service)
      {"GET", "/products/{id}/stock", "inventory"},
      {"PATCH", "/products/{id}/replenish", "inventory"},
      {"PUT", "/products/{id}/stock", "inventory"},
      {"GET", "/products/{id}/stock/movements", "inventory"},
      {"GET", "/inventory/low-stock", "inventory"},
      // Orders
      {"POST", "/orders", "orders"},
      {"GET", "/orders", "orders"},
      {"GET", "/orders/{id}", "orders"},
      {"POST", "/orders/{id}/cancel", "orders"},
      {"GET", "/orders/{id}/events", "orders"},
      // Notifications
      {"GET", "/notifications", "notifications"},
      {"GET", "/notifications/stream", "notifications"},
      {"GET", "/notifications/{id}", "notifications"},
  };
  return routes;
}

TEST(GatewayRoutes, EveryApiPathIsRoutedToItsService) {
  for (const auto& expected : api_md_routes()) {
    const RouteEntry* route = find_route(expected.method, expected.pattern);
    ASSERT_NE(route, nullptr) << expected.method << " " << expected.pattern;
    EXPECT_EQ(route->service, expected.service) << expected.method << " " << expected.pattern;
  }
}

TEST(GatewayRoutes, PublicRoutesAreExactlyTheAnonymousOnes) {
  std::set<std::pair<std::string, std::string>> expected{
      {"POST", "/users/register"},
      {"POST", "/users/login"},
      {"POST", "/users/refresh"},
      {"GET", "/.well-known/jwks.json"},
      {"GET", "/products"},
      {"GET", "/products/{id}"},
      {"GET", "/products/{id}/stock"},
      {"GET", "/notifications/vapid-public-key"},
  };
  std::set<std::pair<std::string, std::string>> actual;
  for (const auto& route : route_table()) {
    if (route.access == Access::public_route)
      actual.emplace(route.method, route.pattern);
  }
  EXPECT_EQ(actual, expected);
}

TEST(GatewayRoutes, NoDuplicates) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& route : route_table()) {
    EXPECT_TRUE(seen.emplace(route.method, route.pattern).second)
        << "duplicate " << route.method << " " << route.pattern;
  }
}

TEST(GatewayRoutes, EntriesAreWellFormed) {
  std::set<std::string> services;  // every service registered with a database
  for (const auto& definition : host::service_registry()) {
    if (definition.make != nullptr)
      services.insert(definition.name);
  }
  const std::set<std::string> methods{"GET", "POST", "PUT", "PATCH", "DELETE"};
  for (const auto& route : route_table()) {
    EXPECT_TRUE(methods.count(route.method)) << route.method << " " << route.pattern;
    EXPECT_TRUE(route.pattern.starts_with("/")) << route.pattern;
    EXPECT_FALSE(route.pattern.size() > 1 && route.pattern.ends_with("/")) << route.pattern;
    EXPECT_TRUE(services.count(route.service)) << route.service << " for " << route.pattern;
  }
}

// ---------------------------------------------------------------------------------------------
// Rate limiting

const Clock::time_point kT0 = Clock::time_point{} + 1000h;

TEST(GatewayRateLimiter, BurstThenRefuse) {
  RateLimiter limiter(1.0, 3.0);
  EXPECT_EQ(limiter.take("k", kT0), std::nullopt);
  EXPECT_EQ(limiter.take("k", kT0), std::nullopt);
  EXPECT_EQ(limiter.take("k", kT0), std::nullopt);
  auto wait = limiter.take("k", kT0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 1);
  // Refusals take nothing: still refused, still one second.
  EXPECT_EQ(limiter.take("k", kT0), 1);
}

TEST(GatewayRateLimiter, RetryAfterReflectsTheRate) {
  RateLimiter slow(0.25, 1.0);  // one token every 4 s
  EXPECT_EQ(slow.take("k", kT0), std::nullopt);
  EXPECT_EQ(slow.take("k", kT0), 4);
  EXPECT_EQ(slow.take("k", kT0 + 1s), 3);
  EXPECT_EQ(slow.take("k", kT0 + 3500ms), 1);
  EXPECT_EQ(slow.take("k", kT0 + 4s), std::nullopt);

  RateLimiter fast(10.0, 1.0);  // less than a second to wait is still "1"
  EXPECT_EQ(fast.take("k", kT0), std::nullopt);
  auto wait = fast.take("k", kT0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_GE(*wait, 1);
}

TEST(GatewayRateLimiter, RefillsOverTime) {
  RateLimiter limiter(2.0, 4.0);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(limiter.take("k", kT0), std::nullopt) << i;
  EXPECT_TRUE(limiter.take("k", kT0).has_value());
  // Half a second at 2/s is one token.
  EXPECT_EQ(limiter.take("k", kT0 + 500ms), std::nullopt);
  EXPECT_TRUE(limiter.take("k", kT0 + 500ms).has_value());
  // A quarter second is half a token: not enough.
  EXPECT_TRUE(limiter.take("k", kT0 + 750ms).has_value());
  EXPECT_EQ(limiter.take("k", kT0 + 1000ms), std::nullopt);
}

TEST(GatewayRateLimiter, RefillIsCappedAtTheBurst) {
  RateLimiter limiter(100.0, 3.0);
  EXPECT_EQ(limiter.take("k", kT0), std::nullopt);
  const auto later = kT0 + 1h;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(limiter.take("k", later), std::nullopt) << i;
  EXPECT_TRUE(limiter.take("k", later).has_value());
}

TEST(GatewayRateLimiter, ClockGoingBackwardsAddsNothing) {
  RateLimiter limiter(1.0, 1.0);
  EXPECT_EQ(limiter.take("k", kT0), std::nullopt);
  EXPECT_TRUE(limiter.take("k", kT0 - 10s).has_value());
}

TEST(GatewayRateLimiter, KeysAreIndependent) {
  RateLimiter limiter(1.0, 2.0);
  EXPECT_EQ(limiter.take("a", kT0), std::nullopt);
  EXPECT_EQ(limiter.take("a", kT0), std::nullopt);
  EXPECT_TRUE(limiter.take("a", kT0).has_value());
  EXPECT_EQ(limiter.take("b", kT0), std::nullopt);
  EXPECT_EQ(limiter.take("b", kT0), std::nullopt);
  EXPECT_TRUE(limiter.take("b", kT0).has_value());
  EXPECT_TRUE(limiter.take("a", kT0).has_value());
}

TEST(GatewayRateLimiter, MaxKeysBoundsMemory) {
  // Two keys at most. Every key is drained, so none can be forgotten for being full: making
  // room means forgetting one, which then starts again with a full bucket.
  RateLimiter limiter(0.001, 1.0, 2);
  std::vector<std::string> keys{"a", "b", "c", "d", "e"};
  for (const auto& key : keys) {
    EXPECT_EQ(limiter.take(key, kT0), std::nullopt) << key;
    EXPECT_TRUE(limiter.take(key, kT0).has_value()) << key;
  }
  // The most recent key is still remembered as drained; the oldest ones were forgotten.
  EXPECT_TRUE(limiter.take("e", kT0).has_value());
  for (const auto& key : {"a", "b", "c"})
    EXPECT_EQ(limiter.take(key, kT0), std::nullopt) << key;
}

TEST(GatewayRateLimiter, FullBucketsAreForgottenFirst) {
  RateLimiter limiter(1.0, 1.0, 2);
  EXPECT_EQ(limiter.take("busy", kT0 + 10s), std::nullopt);  // drained at 10 s
  EXPECT_EQ(limiter.take("idle", kT0), std::nullopt);        // drained at 0 s, full by 10 s
  // A third key at 10.5 s: "idle" is full again (forgetting it changes nothing), "busy" is not.
  EXPECT_EQ(limiter.take("new", kT0 + 10500ms), std::nullopt);
  EXPECT_TRUE(limiter.take("busy", kT0 + 10500ms).has_value());
}

TEST(GatewayRateLimiter, ThreadSafe) {
  RateLimiter limiter(0.001, 4000.0);
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (!limiter.take("shared", kT0))
          ++passed;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(passed.load(), 4000);
}

// ---------------------------------------------------------------------------------------------
// CORS

TEST(GatewayCors, WildcardAllowsAnyOrigin) {
  EXPECT_EQ(allowed_origin({"*"}, "https://shop.example"), "*");
  EXPECT_EQ(allowed_origin({"https://a.example", "*"}, "https://shop.example"), "*");
}

TEST(GatewayCors, ExactListMatchesWholeOrigins) {
  const std::vector<std::string> allowed{"https://a.example", "http://localhost:5173"};
  EXPECT_EQ(allowed_origin(allowed, "https://a.example"), "https://a.example");
  EXPECT_EQ(allowed_origin(allowed, "http://localhost:5173"), "http://localhost:5173");
  EXPECT_EQ(allowed_origin(allowed, "https://b.example"), std::nullopt);
  EXPECT_EQ(allowed_origin(allowed, "http://a.example"), std::nullopt);
  EXPECT_EQ(allowed_origin(allowed, "https://a.example.evil.com"), std::nullopt);
  EXPECT_EQ(allowed_origin(allowed, "http://localhost:5174"), std::nullopt);
}

TEST(GatewayCors, NoOriginNoHeader) {
  EXPECT_EQ(allowed_origin({"*"}, ""), std::nullopt);
  EXPECT_EQ(allowed_origin({"https://a.example"}, ""), std::nullopt);
  EXPECT_EQ(allowed_origin({}, "https://a.example"), std::nullopt);
}

}  // namespace
}  // namespace ordo::services::gateway

namespace ordo::services::gateway {
namespace {

TEST(QueryParameter, RemovedWhereverItIs) {
  EXPECT_EQ(without_query_parameter("/orders/1/events?access_token=abc", "access_token"),
            "/orders/1/events");
  EXPECT_EQ(without_query_parameter("/s?a=1&access_token=abc&b=2", "access_token"), "/s?a=1&b=2");
  EXPECT_EQ(without_query_parameter("/s?access_token=x&access_token=y&b", "access_token"), "/s?b");
  EXPECT_EQ(without_query_parameter("/s?access_tokenx=1", "access_token"), "/s?access_tokenx=1");
  EXPECT_EQ(without_query_parameter("/s", "access_token"), "/s");
  EXPECT_EQ(without_query_parameter("/s?", "access_token"), "/s");
}

TEST(RouteTable, OnlyStreamsTakeATokenInTheQuery) {
  for (const auto& entry : route_table()) {
    bool stream =
        entry.pattern == "/orders/{id}/events" || entry.pattern == "/notifications/stream";
    EXPECT_EQ(entry.query_token, stream) << entry.pattern;
  }
}

}  // namespace
}  // namespace ordo::services::gateway
