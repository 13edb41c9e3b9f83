// LatencyRecorder: percentiles in milliseconds, merging, and an empty recorder. The bounds allow
// either nearest-rank or interpolated percentiles.
#include <chrono>

#include <gtest/gtest.h>

#include "bench/bench.hpp"

namespace ordo::bench {
namespace {

using std::chrono::microseconds;

TEST(BenchLatency, PercentilesInMilliseconds) {
  LatencyRecorder recorder;
  for (int i = 100; i >= 1; --i)  // 1..100 ms, recorded out of order
    recorder.record(microseconds(i * 1000));
  EXPECT_EQ(recorder.count(), 100u);
  EXPECT_NEAR(recorder.percentile_ms(50), 50.5, 0.5);
  EXPECT_NEAR(recorder.percentile_ms(90), 90.5, 0.5);
  EXPECT_NEAR(recorder.percentile_ms(99), 99.5, 0.5);
  EXPECT_NEAR(recorder.percentile_ms(99.9), 99.95, 0.05);
  EXPECT_DOUBLE_EQ(recorder.percentile_ms(100), 100);
  EXPECT_DOUBLE_EQ(recorder.percentile_ms(0), 1);
}

TEST(BenchLatency, MergesAndStaysCorrectAfterMoreSamples) {
  LatencyRecorder a, b;
  a.record(microseconds(1500));
  EXPECT_DOUBLE_EQ(a.percentile_ms(50), 1.5);
  b.record(microseconds(500));
  b.record(microseconds(2500));
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_DOUBLE_EQ(a.percentile_ms(50), 1.5);
  a.record(microseconds(100));  // after a sort: must be sorted again
  EXPECT_DOUBLE_EQ(a.percentile_ms(0), 0.1);
  EXPECT_DOUBLE_EQ(a.percentile_ms(100), 2.5);
}

TEST(BenchLatency, EmptyRecorderGivesZero) {
  LatencyRecorder recorder;
  EXPECT_EQ(recorder.percentile_ms(99), 0);
}

}  // namespace
}  // namespace ordo::bench
