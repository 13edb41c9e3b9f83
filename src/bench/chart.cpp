// The concurrency sweep as a self-contained SVG: throughput across, p99 latency up (log scale
// when the latencies span more than two decades), one line per scenario, points labelled with
// their connection count. Deterministic: the same points give the same bytes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "bench/bench.hpp"
#include "platform/core/encoding.hpp"

namespace ordo::bench {
namespace {

constexpr double kWidth = 800, kHeight = 500;
constexpr double kLeft = 80, kRight = kWidth - 190, kTop = 60, kBottom = kHeight - 70;
constexpr double kLogThreshold = 100;  // max/min p99 above this: a log scale
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// Coordinates with two decimals, labels as short as they can be: printf is locale-independent
// here because nothing in Ordo calls setlocale.
std::string coord(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

std::string label(double v) {
  char buffer[32];
  if (std::fabs(v - std::round(v)) < 1e-9)
    std::snprintf(buffer, sizeof buffer, "%.0f", v);
  else
    std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

// 1, 2 or 5 times a power of ten, at least `raw`.
double nice_step(double raw) {
  if (raw <= 0)
    return 1;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * power >= raw)
      return factor * power;
  }
  return 10 * power;
}

struct Axis {
  bool log = false;
  double lo = 0, hi = 1;
  std::vector<double> ticks;

  // A linear axis from 0 to a round value above max, about five ticks.
  static Axis linear(double max) {
    Axis axis;
    double step = nice_step((max > 0 ? max * 1.05 : 1) / 5);
    axis.hi = std::max(step, std::ceil(max * 1.05 / step) * step);
    for (int i = 0; i * step <= axis.hi + step * 1e-9; ++i)
      axis.ticks.push_back(i * step);
    return axis;
  }

  // Whole decades around [min, max] (both > 0), a tick on each.
  static Axis logarithmic(double min, double max) {
    Axis axis;
    axis.log = true;
    int first = static_cast<int>(std::floor(std::log10(min)));
    int last = static_cast<int>(std::ceil(std::log10(max)));
    if (last == first)
      ++last;
    axis.lo = std::pow(10.0, first);
    axis.hi = std::pow(10.0, last);
    for (int e = first; e <= last; ++e)
      axis.ticks.push_back(std::pow(10.0, e));
    return axis;
  }

  // 0..1 along the axis.
  double fraction(double v) const {
    if (log) {
      double clamped = std::max(v, lo);
      return (std::log10(clamped) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    }
    return hi > lo ? (v - lo) / (hi - lo) : 0;
  }
};

}  // namespace

std::string render_chart_svg(const std::vector<ChartPoint>& points, const std::string& title) {
  // Scenarios in order of first appearance, each with its points by connection count.
  std::vector<std::string> order;
  std::map<std::string, std::vector<ChartPoint>> series;
  for (const auto& point : points) {
    if (!series.contains(point.scenario))
      order.push_back(point.scenario);
    series[point.scenario].push_back(point);
  }
  for (auto& [name, list] : series) {
    std::stable_sort(list.begin(), list.end(), [](const ChartPoint& a, const ChartPoint& b) {
      return a.connections < b.connections;
    });
  }

  double max_x = 0, max_y = 0, min_positive_y = 0;
  for (const auto& point : points) {
    max_x = std::max(max_x, point.throughput_per_s);
    max_y = std::max(max_y, point.p99_ms);
    if (point.p99_ms > 0 && (min_positive_y == 0 || point.p99_ms < min_positive_y))
      min_positive_y = point.p99_ms;
  }
  Axis x = Axis::linear(max_x);
  Axis y = min_positive_y > 0 && max_y / min_positive_y > kLogThreshold
               ? Axis::logarithmic(min_positive_y, max_y)
               : Axis::linear(max_y);
  auto px = [&](double v) { return kLeft + x.fraction(v) * (kRight - kLeft); };
  auto py = [&](double v) { return kBottom - y.fraction(v) * (kBottom - kTop); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" viewBox=\"0 0 " << kWidth << ' ' << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg << "<title>" << core::html_escape(title) << "</title>\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  svg << "<text class=\"title\" x=\"" << coord(kWidth / 2) << "\" y=\"30\" text-anchor=\"middle\" "
      << "font-size=\"16\" font-weight=\"bold\">" << core::html_escape(title) << "</text>\n";

  // Axes: grid lines, ticks and their labels, then the axis titles.
  svg << "<g class=\"x-axis\" data-scale=\"linear\" stroke=\"#000000\">\n";
  svg << "<line x1=\"" << coord(kLeft) << "\" y1=\"" << coord(kBottom) << "\" x2=\""
      << coord(kRight) << "\" y2=\"" << coord(kBottom) << "\"/>\n";
  for (double tick : x.ticks) {
    double at = px(tick);
    svg << "<line x1=\"" << coord(at) << "\" y1=\"" << coord(kTop) << "\" x2=\"" << coord(at)
        << "\" y2=\"" << coord(kBottom) << "\" stroke=\"#e0e0e0\"/>\n";
    svg << "<line x1=\"" << coord(at) << "\" y1=\"" << coord(kBottom) << "\" x2=\"" << coord(at)
        << "\" y2=\"" << coord(kBottom + 5) << "\"/>\n";
    svg << "<text x=\"" << coord(at) << "\" y=\"" << coord(kBottom + 20)
        << "\" text-anchor=\"middle\" stroke=\"none\">" << label(tick) << "</text>\n";
  }
  svg << "<text x=\"" << coord((kLeft + kRight) / 2) << "\" y=\"" << coord(kBottom + 45)
      << "\" text-anchor=\"middle\" stroke=\"none\">throughput (per second)</text>\n";
  svg << "</g>\n";

  svg << "<g class=\"y-axis\" data-scale=\"" << (y.log ? "log" : "linear")
      << "\" stroke=\"#000000\">\n";
  svg << "<line x1=\"" << coord(kLeft) << "\" y1=\"" << coord(kTop) << "\" x2=\"" << coord(kLeft)
      << "\" y2=\"" << coord(kBottom) << "\"/>\n";
  for (double tick : y.ticks) {
    double at = py(tick);
    svg << "<line x1=\"" << coord(kLeft) << "\" y1=\"" << coord(at) << "\" x2=\"" << coord(kRight)
        << "\" y2=\"" << coord(at) << "\" stroke=\"#e0e0e0\"/>\n";
    svg << "<line x1=\"" << coord(kLeft - 5) << "\" y1=\"" << coord(at) << "\" x2=\""
        << coord(kLeft) << "\" y2=\"" << coord(at) << "\"/>\n";
    svg << "<text x=\"" << coord(kLeft - 8) << "\" y=\"" << coord(at + 4)
        << "\" text-anchor=\"end\" stroke=\"none\">" << label(tick) << "</text>\n";
  }
  double middle = (kTop + kBottom) / 2;
  svg << "<text x=\"20\" y=\"" << coord(middle) << "\" text-anchor=\"middle\" stroke=\"none\" "
      << "transform=\"rotate(-90 20 " << coord(middle) << ")\">p99 latency (ms"
      << (y.log ? ", log scale" : "") << ")</text>\n";
  svg << "</g>\n";

  if (points.empty()) {
    svg << "<text x=\"" << coord((kLeft + kRight) / 2) << "\" y=\"" << coord(middle)
        << "\" text-anchor=\"middle\">no data</text>\n";
  }

  // One line and its labelled markers per scenario, and its legend entry.
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto& name = order[i];
    const char* color = kColors[i % std::size(kColors)];
    const auto& list = series[name];
    svg << "<g class=\"series\" data-scenario=\"" << core::html_escape(name) << "\">\n";
    svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
    for (std::size_t j = 0; j < list.size(); ++j)
      svg << (j ? " " : "") << coord(px(list[j].throughput_per_s)) << ','
          << coord(py(list[j].p99_ms));
    svg << "\"/>\n";
    for (const auto& point : list) {
      double cx = px(point.throughput_per_s), cy = py(point.p99_ms);
      svg << "<circle class=\"marker\" cx=\"" << coord(cx) << "\" cy=\"" << coord(cy)
          << "\" r=\"4\" fill=\"" << color << "\"><title>" << core::html_escape(name) << ", "
          << point.connections << " connections: " << label(point.throughput_per_s) << "/s, p99 "
          << label(point.p99_ms) << " ms</title></circle>\n";
      svg << "<text class=\"marker-label\" x=\"" << coord(cx + 6) << "\" y=\"" << coord(cy - 6)
          << "\" fill=\"" << color << "\">" << point.connections << "</text>\n";
    }
    double ly = kTop + 10 + static_cast<double>(i) * 22;
    svg << "<line x1=\"" << coord(kRight + 20) << "\" y1=\"" << coord(ly) << "\" x2=\""
        << coord(kRight + 45) << "\" y2=\"" << coord(ly) << "\" stroke=\"" << color
        << "\" stroke-width=\"2\"/>\n";
    svg << "<text class=\"legend\" x=\"" << coord(kRight + 52) << "\" y=\"" << coord(ly + 4)
        << "\">" << core::html_escape(name) << "</text>\n";
    svg << "</g>\n";
  }
  svg << "<text x=\"" << coord(kRight + 20) << "\" y=\""
      << coord(kTop + 10 + static_cast<double>(order.size()) * 22 + 10)
      << "\" fill=\"#555555\">labels: connections</text>\n";
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace ordo::bench
