// PLACEHOLDER, to be deleted when the ceilings branch is merged: trivial stand-ins for
// run_db_ceiling, run_hash_ceiling and render_chart_svg (implemented in db_ceiling.cpp,
// hash_ceiling.cpp and chart.cpp on that branch), only so that this branch links.
#include "bench/bench.hpp"

namespace ordo::bench {
namespace {

ScenarioResult placeholder(const std::string& scenario, const BenchOptions& options) {
  ScenarioResult result;
  result.scenario = scenario;
  result.mode = options.mode;
  result.connections = options.connections;
  result.errors["not_implemented_placeholder"] = 1;
  return result;
}

}  // namespace

ScenarioResult run_db_ceiling(const BenchOptions& options) {
  return placeholder("db", options);  // PLACEHOLDER
}

ScenarioResult run_hash_ceiling(const BenchOptions& options) {
  return placeholder("hash", options);  // PLACEHOLDER
}

std::string render_chart_svg(const std::vector<ChartPoint>& points, const std::string& title) {
  // PLACEHOLDER: an empty chart naming how many points it was given.
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"40\"><text x=\"4\" "
         "y=\"24\">placeholder: " +
         title + " (" + std::to_string(points.size()) + " points)</text></svg>\n";
}

}  // namespace ordo::bench
