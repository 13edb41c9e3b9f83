#include <random>
#include <string>

#include <gtest/gtest.h>

#include "platform/metrics/metrics.hpp"

namespace ordo::metrics {
namespace {

TEST(MetricsRegistry, CountsRequestsIntoCumulativeBuckets) {
  Registry registry;
  registry.observe_request("users", "GET", 200, 0.0007);
  registry.observe_request("users", "GET", 200, 0.3);
  registry.observe_request("users", "POST", 401, 0.002);
  auto text = registry.render();
  EXPECT_NE(
      text.find("ordo_http_requests_total{service=\"users\",method=\"GET\",status=\"200\"} 2"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("ordo_http_requests_total{service=\"users\",method=\"POST\",status=\"401\"} 1"),
      std::string::npos);
  // 0.0007 s is under the 1 ms bound, 0.3 s is not: cumulative counts 1 then 2 at 0.5 s.
  EXPECT_NE(text.find("status=\"200\",le=\"0.001\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("status=\"200\",le=\"0.5\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("status=\"200\",le=\"+Inf\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE ordo_http_request_duration_seconds histogram"), std::string::npos);
}

TEST(MetricsRegistry, GaugesAreReadAtRenderTime) {
  Registry registry;
  double value = 1;
  registry.add_gauge("ordo_test_gauge", "a test gauge", [&value] { return value; });
  EXPECT_NE(registry.render().find("ordo_test_gauge 1\n"), std::string::npos);
  value = 42;
  EXPECT_NE(registry.render().find("ordo_test_gauge 42\n"), std::string::npos);
}

// Security issue, finding 3: the method became a label as sent, so junk methods (a 15 KB one, or
// hundreds of random ones) grew /metrics for ever.
TEST(MetricsRegistry, NonStandardMethodsShareTheLabelOther) {
  Registry registry;
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    registry.observe_request("gateway", method, 405, 0.001);
  auto baseline = registry.render().size();

  std::mt19937 random(42);
  std::uniform_int_distribution<int> letter('A', 'Z');
  for (int i = 0; i < 300; ++i) {
    std::string method(8 + i % 24, 'X');
    for (auto& c : method)
      c = static_cast<char>(letter(random));
    registry.observe_request("gateway", method, 405, 0.001);
  }
  registry.observe_request("gateway", std::string(15 * 1024, 'M'), 400, 0.001);
  registry.observe_request("gateway", "get", 405, 0.001);  // methods are case-sensitive
  auto text = registry.render();

  // Two more series (other/405, other/400), whatever was sent: each is a few lines.
  EXPECT_LT(text.size(), baseline + 4096) << text.size() - baseline;
  EXPECT_EQ(text.find("MMMMMMMM"), std::string::npos);
  EXPECT_NE(
      text.find(
          "ordo_http_requests_total{service=\"gateway\",method=\"other\",status=\"405\"} 301"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("ordo_http_requests_total{service=\"gateway\",method=\"other\",status=\"400\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("method=\"PATCH\",status=\"405\"} 1"), std::string::npos);
}

TEST(MetricsRegistry, MethodLabels) {
  EXPECT_EQ(method_label("GET"), "GET");
  EXPECT_EQ(method_label("OPTIONS"), "OPTIONS");
  EXPECT_EQ(method_label("PROPFIND"), "other");
  EXPECT_EQ(method_label(""), "other");
  EXPECT_EQ(method_label("GET "), "other");
}

}  // namespace
}  // namespace ordo::metrics
