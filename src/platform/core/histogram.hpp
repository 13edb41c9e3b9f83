// Lock-free counters and histograms that the platform's parts (the SQL drivers, the outbox
// relay, the consumers) keep themselves; the metrics registry only reads them at scrape time,
// so those parts need not know about /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace ordo::core {

// Upper bounds in seconds, for latencies from a fraction of a millisecond to ten seconds.
const std::vector<double>& latency_buckets();
// Upper bounds in seconds, for processes that take seconds to minutes (an order's saga).
const std::vector<double>& long_latency_buckets();

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds = latency_buckets());

  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    std::uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

}  // namespace ordo::core
