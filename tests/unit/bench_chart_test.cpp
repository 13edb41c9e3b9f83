// The sweep chart: a well-formed SVG root, one marker per point, escaped text, the log scale
// for wide latency ranges, and the same bytes for the same points.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bench/bench.hpp"

namespace ordo::bench {
namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

// Every element opened is closed in order (self-closing ones count as both).
bool balanced(const std::string& svg) {
  std::vector<std::string> open;
  for (std::size_t at = svg.find('<'); at != std::string::npos; at = svg.find('<', at + 1)) {
    auto end = svg.find('>', at);
    if (end == std::string::npos)
      return false;
    std::string tag = svg.substr(at + 1, end - at - 1);
    if (tag.empty())
      return false;
    if (tag.back() == '/')
      continue;
    std::string name = tag.substr(tag[0] == '/' ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \n"));
    if (tag[0] != '/') {
      open.push_back(name);
    } else {
      if (open.empty() || open.back() != name)
        return false;
      open.pop_back();
    }
  }
  return open.empty();
}

std::vector<ChartPoint> sweep(double p99_low, double p99_high) {
  return {{"order-flow", 1, 900, p99_low},
          {"order-flow", 4, 2500, p99_low * 2},
          {"order-flow", 16, 4800, p99_high / 2},
          {"order-flow", 64, 5200, p99_high},
          {"read", 1, 3000, p99_low},
          {"read", 64, 9000, p99_high / 3}};
}

TEST(BenchChart, IsOneWellFormedSvgRoot) {
  auto svg = render_chart_svg(sweep(1, 20), "Ordo sweep");
  ASSERT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(occurrences(svg, "<svg"), 1u);
  EXPECT_TRUE(balanced(svg));
  EXPECT_EQ(svg.find("href"), std::string::npos);  // no external assets
}

TEST(BenchChart, HasOneLabelledMarkerPerPointAndALinePerScenario) {
  auto points = sweep(1, 20);
  auto svg = render_chart_svg(points, "t");
  EXPECT_EQ(occurrences(svg, "<circle class=\"marker\""), points.size());
  EXPECT_EQ(occurrences(svg, "class=\"marker-label\""), points.size());
  EXPECT_EQ(occurrences(svg, "<polyline"), 2u);
  EXPECT_NE(svg.find(">64</text>"), std::string::npos);
  EXPECT_NE(svg.find("class=\"legend\""), std::string::npos);
  EXPECT_NE(svg.find(">order-flow</text>"), std::string::npos);
  EXPECT_NE(svg.find(">read</text>"), std::string::npos);
}

TEST(BenchChart, EscapesTitleAndScenarioNames) {
  std::vector<ChartPoint> points{{"a<b&\"c\"", 1, 10, 1}};
  auto svg = render_chart_svg(points, "orders <fast> & 'safe'");
  EXPECT_NE(svg.find("orders &lt;fast&gt; &amp; &#39;safe&#39;"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b&amp;&quot;c&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("<fast>"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_TRUE(balanced(svg));
}

TEST(BenchChart, ChoosesALogScaleOnlyForWideLatencyRanges) {
  auto narrow = render_chart_svg(sweep(2, 150), "narrow");  // 75x
  EXPECT_NE(narrow.find("class=\"y-axis\" data-scale=\"linear\""), std::string::npos);
  auto wide = render_chart_svg(sweep(0.5, 700), "wide");  // 1400x
  EXPECT_NE(wide.find("class=\"y-axis\" data-scale=\"log\""), std::string::npos);
  EXPECT_NE(wide.find(">1000</text>"), std::string::npos);  // a decade tick
  EXPECT_NE(wide.find("log scale"), std::string::npos);
}

TEST(BenchChart, IsDeterministicAndCopesWithNoPoints) {
  EXPECT_EQ(render_chart_svg(sweep(1, 20), "x"), render_chart_svg(sweep(1, 20), "x"));
  auto empty = render_chart_svg({}, "nothing");
  EXPECT_TRUE(balanced(empty));
  EXPECT_EQ(occurrences(empty, "<circle"), 0u);
  EXPECT_NE(empty.find("no data"), std::string::npos);
}

}  // namespace
}  // namespace ordo::bench
