// TEMPORARY copy of LatencyRecorder for the ceilings branch: the runner branch owns
// src/bench/latency.cpp; the lead deletes one of the two at merge.
#include <algorithm>
#include <cmath>

#include "bench/bench.hpp"

namespace ordo::bench {

void LatencyRecorder::merge(const LatencyRecorder& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = false;
}

// Nearest rank: the smallest sample with at least p% of the samples at or below it.
double LatencyRecorder::percentile_ms(double p) const {
  if (samples_.empty())
    return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  double clamped = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::size_t>(std::ceil(clamped / 100.0 * samples_.size()));
  std::size_t index = rank == 0 ? 0 : rank - 1;
  return static_cast<double>(samples_[std::min(index, samples_.size() - 1)]) / 1000.0;
}

}  // namespace ordo::bench
