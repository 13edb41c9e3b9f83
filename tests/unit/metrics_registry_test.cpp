#include <random>
#include <string>

#include <gtest/gtest.h>

#include "platform/metrics/metrics.hpp"

namespace ordo::metrics {
namespace {

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(MetricsRegistry, CountsRequestsByServiceAndRouteIntoCumulativeBuckets) {
  Registry registry;
  registry.observe_request("users", "/users/{id}", "GET", 200, 0.0007);
  registry.observe_request("users", "/users/{id}", "GET", 200, 0.3);
  registry.observe_request("users", "/users/login", "POST", 401, 0.002);
  auto text = registry.render();
  EXPECT_TRUE(has(text,
                  "ordo_http_requests_total{service=\"users\",route=\"/users/{id}\","
                  "method=\"GET\",status=\"200\"} 2\n"))
      << text;
  EXPECT_TRUE(has(text,
                  "ordo_http_requests_total{service=\"users\",route=\"/users/login\","
                  "method=\"POST\",status=\"401\"} 1\n"));
  // 0.0007 s is under the 1 ms bound, 0.3 s is not: cumulative counts 1 then 2 at 0.5 s.
  EXPECT_TRUE(has(text, "status=\"200\",le=\"0.001\"} 1\n")) << text;
  EXPECT_TRUE(has(text, "status=\"200\",le=\"0.5\"} 2\n")) << text;
  EXPECT_TRUE(has(text, "status=\"200\",le=\"+Inf\"} 2\n")) << text;
  EXPECT_TRUE(has(text, "# TYPE ordo_http_request_duration_seconds histogram\n"));
}

TEST(MetricsRegistry, GaugesAreReadAtRenderTime) {
  Registry registry;
  double value = 1;
  registry.gauge("ordo_test_gauge", "a test gauge", {{"service", "orders"}},
                 [&value] { return value; });
  EXPECT_TRUE(has(registry.render(), "ordo_test_gauge{service=\"orders\"} 1\n"));
  value = 42.5;
  EXPECT_TRUE(has(registry.render(), "ordo_test_gauge{service=\"orders\"} 42.5\n"));
}

TEST(MetricsRegistry, OneHelpAndTypePerFamilyWhateverTheSeries) {
  Registry registry;
  registry.counter("ordo_things_total", "things", {{"kind", "a"}}).add(3);
  registry.gauge("ordo_level", "a level", {{"service", "orders"}}, [] { return 1.0; });
  registry.counter("ordo_things_total", "things", {{"kind", "b"}}).add();
  registry.gauge("ordo_level", "a level", {{"service", "users"}}, [] { return 2.0; });
  registry.counter("ordo_things_total", "things", {{"kind", "a"}}).add();  // the same series
  auto text = registry.render();
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count("# TYPE ordo_things_total counter\n"), 1u) << text;
  EXPECT_EQ(count("# TYPE ordo_level gauge\n"), 1u) << text;
  EXPECT_TRUE(has(text, "ordo_things_total{kind=\"a\"} 4\n")) << text;
  EXPECT_TRUE(has(text, "ordo_things_total{kind=\"b\"} 1\n")) << text;
  // The family's series follow its TYPE line, before the next family's HELP.
  auto type = text.find("# TYPE ordo_level gauge");
  auto users = text.find("ordo_level{service=\"users\"} 2");
  auto next_help = text.find("# HELP", type + 1);
  EXPECT_LT(type, users);
  EXPECT_TRUE(next_help == std::string::npos || users < next_help) << text;
}

TEST(MetricsRegistry, ATypeClashIsAProgrammingError) {
  Registry registry;
  registry.counter("ordo_x_total", "x", {});
  EXPECT_THROW(registry.gauge("ordo_x_total", "x", {}, [] { return 0.0; }), std::logic_error);
}

TEST(MetricsRegistry, HistogramsOwnedElsewhereAreRead) {
  Registry registry;
  core::Histogram histogram({0.1, 1});
  registry.histogram_reading("ordo_wait_seconds", "waits", {{"service", "orders"}}, histogram);
  histogram.observe(0.05);
  histogram.observe(0.5);
  histogram.observe(5);
  auto text = registry.render();
  EXPECT_TRUE(has(text, "ordo_wait_seconds_bucket{service=\"orders\",le=\"0.1\"} 1\n")) << text;
  EXPECT_TRUE(has(text, "ordo_wait_seconds_bucket{service=\"orders\",le=\"1\"} 2\n")) << text;
  EXPECT_TRUE(has(text, "ordo_wait_seconds_bucket{service=\"orders\",le=\"+Inf\"} 3\n")) << text;
  EXPECT_TRUE(has(text, "ordo_wait_seconds_sum{service=\"orders\"} 5.55\n")) << text;
  EXPECT_TRUE(has(text, "ordo_wait_seconds_count{service=\"orders\"} 3\n")) << text;
}

TEST(MetricsRegistry, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Registry registry;
  registry.counter("ordo_odd_total", "odd", {{"reason", "say \"no\""}}).add();
  EXPECT_TRUE(has(registry.render(), "ordo_odd_total{reason=\"say \\\"no\\\"\"} 1\n"));
}

TEST(MetricsRegistry, ProcessMetricsAreRead) {
  Registry registry;
  add_process_metrics(registry);
  auto text = registry.render();
  for (const char* name :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_max_fds ", "process_start_time_seconds ", "ordo_build_info{version="})
    EXPECT_TRUE(has(text, name)) << name << "\n" << text;
  EXPECT_FALSE(has(text, "process_open_fds 0\n"));
}

// Security issue, finding 3: the method became a label as sent, so junk methods (a 15 KB one, or
// hundreds of random ones) grew /metrics for ever.
TEST(MetricsRegistry, NonStandardMethodsShareTheLabelOther) {
  Registry registry;
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    registry.observe_request("gateway", "unmatched", method, 405, 0.001);
  auto baseline = registry.render().size();

  std::mt19937 random(42);
  std::uniform_int_distribution<int> letter('A', 'Z');
  for (int i = 0; i < 300; ++i) {
    std::string method(8 + i % 24, 'X');
    for (auto& c : method)
      c = static_cast<char>(letter(random));
    registry.observe_request("gateway", "unmatched", method, 405, 0.001);
  }
  registry.observe_request("gateway", "unmatched", std::string(15 * 1024, 'M'), 400, 0.001);
  registry.observe_request("gateway", "unmatched", "get", 405, 0.001);  // case-sensitive
  auto text = registry.render();

  // Two more series (other/405, other/400), whatever was sent: each is a few lines.
  EXPECT_LT(text.size(), baseline + 4096) << text.size() - baseline;
  EXPECT_FALSE(has(text, "MMMMMMMM"));
  EXPECT_TRUE(has(text, "route=\"unmatched\",method=\"other\",status=\"405\"} 301\n")) << text;
  EXPECT_TRUE(has(text, "route=\"unmatched\",method=\"other\",status=\"400\"} 1\n"));
  EXPECT_TRUE(has(text, "method=\"PATCH\",status=\"405\"} 1\n"));
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
