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

}  // namespace
}  // namespace ordo::metrics
