// Latency percentiles (nearest rank over every sample: the bench keeps all of them) and error
// totals.
#include <algorithm>
#include <cmath>

#include "bench/bench.hpp"

namespace ordo::bench {

std::uint64_t ScenarioResult::error_count() const {
  std::uint64_t total = 0;
  for (const auto& [kind, count] : errors)
    total += count;
  return total;
}

void LatencyRecorder::merge(const LatencyRecorder& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = false;
}

double LatencyRecorder::percentile_ms(double p) const {
  if (samples_.empty())
    return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples_.size())));
  auto index = rank == 0 ? 0 : rank - 1;
  return static_cast<double>(samples_[std::min(index, samples_.size() - 1)]) / 1000.0;
}

}  // namespace ordo::bench
