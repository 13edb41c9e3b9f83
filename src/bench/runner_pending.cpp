// PLACEHOLDER so that the ceilings branch links without the runner: the runner branch defines
// run(), to_json_line(), to_table() and error_count(); the lead deletes this file at merge.
#include "bench/bench.hpp"

namespace ordo::bench {

std::uint64_t ScenarioResult::error_count() const {
  std::uint64_t total = 0;
  for (const auto& [name, count] : errors)
    total += count;
  return total;
}

std::string to_json_line(const ScenarioResult& result) {
  return "{\"scenario\":\"" + result.scenario + "\"}";  // placeholder
}

std::string to_table(const std::vector<ScenarioResult>&) {
  return {};  // placeholder
}

int run(const BenchOptions&) {
  return 1;  // placeholder: the runner branch implements the command
}

}  // namespace ordo::bench
