// The gateway's upstream decisions: balancing, ejection and readmission, retry eligibility.
#include <gtest/gtest.h>

#include "services/gateway/upstreams.hpp"

namespace ordo::services::gateway {
namespace {

using namespace std::chrono_literals;

const Clock::time_point t0 = Clock::time_point{} + 1h;

UpstreamSet three(BreakerPolicy policy = {3, 5'000ms}) {
  return UpstreamSet({"http://a:1", "http://b:2", "http://c:3"}, policy);
}

TEST(GatewayUpstreams, IdleInstancesTakeTurns) {
  auto set = three();
  std::vector<int> hits(3, 0);
  for (int i = 0; i < 30; ++i) {
    auto picked = set.pick(t0, {});
    ASSERT_TRUE(picked);
    ++hits[*picked];
    set.started(*picked);
    set.succeeded(*picked, t0);
  }
  EXPECT_EQ(hits, (std::vector<int>{10, 10, 10}));
}

TEST(GatewayUpstreams, BusyInstanceIsAvoided) {
  auto set = three();
  set.started(0);
  set.started(0);
  set.started(1);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(set.pick(t0, {}), 2u);
}

TEST(GatewayUpstreams, TriedInstancesAreSkipped) {
  auto set = three();
  std::vector<std::size_t> tried{0, 2};
  EXPECT_EQ(set.pick(t0, tried), 1u);
  tried.push_back(1);
  EXPECT_FALSE(set.pick(t0, tried));
}

TEST(GatewayUpstreams, ConsecutiveFailuresEjectOnce) {
  auto set = three();
  set.started(1);
  EXPECT_EQ(set.failed(1, t0), Transition::none);
  EXPECT_EQ(set.health_failed(1, t0), Transition::none);
  set.started(1);
  EXPECT_EQ(set.failed(1, t0), Transition::ejected);
  EXPECT_EQ(set.state(1, t0), InstanceState::ejected);
  EXPECT_EQ(set.health_failed(1, t0 + 1s), Transition::none);  // logged once, not again
  EXPECT_EQ(set.up_count(t0), 2u);
  for (int i = 0; i < 10; ++i) {
    auto picked = set.pick(t0 + 1s, {});
    ASSERT_TRUE(picked);
    EXPECT_NE(*picked, 1u);
  }
}

TEST(GatewayUpstreams, SuccessResetsTheCount) {
  auto set = three();
  for (int round = 0; round < 5; ++round) {
    set.started(0);
    set.failed(0, t0);
    set.started(0);
    set.failed(0, t0);
    set.started(0);
    EXPECT_EQ(set.succeeded(0, t0), Transition::none);
  }
  EXPECT_EQ(set.state(0, t0), InstanceState::up);
}

TEST(GatewayUpstreams, PassingHealthCheckReadmits) {
  auto set = three({1, 60'000ms});
  EXPECT_EQ(set.health_failed(2, t0), Transition::ejected);
  EXPECT_EQ(set.health_passed(2, t0 + 1s), Transition::recovered);
  EXPECT_EQ(set.state(2, t0 + 1s), InstanceState::up);
  EXPECT_EQ(set.health_passed(2, t0 + 2s), Transition::none);
}

TEST(GatewayUpstreams, HalfOpenProbeOnlyWhenNothingElseIsUp) {
  auto set = UpstreamSet({"http://a:1", "http://b:2"}, {1, 5'000ms});
  set.health_failed(0, t0);
  // Cool-down over, but b is up: a waits for its health check.
  EXPECT_EQ(set.state(0, t0 + 6s), InstanceState::half_open);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(set.pick(t0 + 6s, {}), 1u);
  set.health_failed(1, t0 + 6s);
  // Nothing up: one probe request for a, and only one at a time.
  auto probe = set.pick(t0 + 11s, {});
  ASSERT_TRUE(probe);
  set.started(*probe);
  auto second = set.pick(t0 + 11s, std::vector<std::size_t>{*probe});
  EXPECT_EQ(second, probe == 0u ? std::optional<std::size_t>(1) : std::optional<std::size_t>(0));
  EXPECT_EQ(set.succeeded(*probe, t0 + 11s), Transition::recovered);
}

TEST(GatewayUpstreams, FailedProbeWaitsAnotherCoolDown) {
  auto set = UpstreamSet({"http://a:1"}, {1, 5'000ms});
  set.health_failed(0, t0);
  EXPECT_FALSE(set.pick(t0 + 1s, {}));
  EXPECT_EQ(set.retry_after(t0 + 1s), 4s);
  auto probe = set.pick(t0 + 5s, {});
  ASSERT_EQ(probe, 0u);
  set.started(0);
  EXPECT_FALSE(set.pick(t0 + 5s, {}));  // the probe is in flight
  EXPECT_EQ(set.failed(0, t0 + 6s), Transition::none);
  EXPECT_EQ(set.state(0, t0 + 7s), InstanceState::ejected);
  EXPECT_FALSE(set.pick(t0 + 10s, {}));
  EXPECT_EQ(set.pick(t0 + 11s, {}), 0u);
}

TEST(GatewayUpstreams, AllEjectedRetryAfterIsAtLeastOneSecond) {
  auto set = UpstreamSet({"http://a:1", "http://b:2"}, {1, 2'500ms});
  set.health_failed(0, t0);
  set.health_failed(1, t0 + 1s);
  EXPECT_FALSE(set.pick(t0 + 1s, {}));
  EXPECT_EQ(set.retry_after(t0 + 1s), 2s);  // 1.5 s, rounded up
  EXPECT_EQ(set.retry_after(t0 + 2'400ms), 1s);
}

TEST(GatewayUpstreams, NoInstancesPicksNothing) {
  UpstreamSet set({}, {});
  EXPECT_FALSE(set.pick(t0, {}));
}

TEST(GatewayUpstreams, IdempotentMethods) {
  for (const char* method : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
    EXPECT_TRUE(is_idempotent(method, false)) << method;
  EXPECT_FALSE(is_idempotent("POST", false));
  EXPECT_FALSE(is_idempotent("PATCH", false));
  EXPECT_TRUE(is_idempotent("POST", true));
  EXPECT_FALSE(is_idempotent("PATCH", true));
}

TEST(GatewayUpstreams, RetryEligibility) {
  using enum AttemptOutcome;
  // Nothing was sent: any method may go elsewhere.
  EXPECT_TRUE(may_retry(not_sent, "POST", false));
  // It may have arrived: only what is safe to repeat.
  EXPECT_TRUE(may_retry(failed_after_sending, "GET", false));
  EXPECT_FALSE(may_retry(failed_after_sending, "POST", false));
  EXPECT_TRUE(may_retry(failed_after_sending, "POST", true));
  EXPECT_TRUE(may_retry(unavailable_answer, "DELETE", false));
  EXPECT_FALSE(may_retry(unavailable_answer, "POST", false));
  // An answer is the answer.
  EXPECT_FALSE(may_retry(answered, "GET", false));
}

TEST(GatewayUpstreams, WhatCountsAgainstAnInstance) {
  for (int status : {200, 201, 400, 404, 409, 500})
    EXPECT_EQ(classify_status(status), AttemptOutcome::answered) << status;
  for (int status : {502, 503, 504})
    EXPECT_EQ(classify_status(status), AttemptOutcome::unavailable_answer) << status;
  EXPECT_FALSE(counts_as_failure(AttemptOutcome::answered));
  EXPECT_TRUE(counts_as_failure(AttemptOutcome::not_sent));
  EXPECT_TRUE(counts_as_failure(AttemptOutcome::failed_after_sending));
  EXPECT_TRUE(counts_as_failure(AttemptOutcome::unavailable_answer));
}

TEST(GatewayUpstreams, AShedAnswerIsABusyInstanceNotAFailedOne) {
  // The service's admission control refused it before any work (Ordo-Shed): the instance is
  // healthy, and any method may go to another instance.
  EXPECT_EQ(classify_answer(503, true), AttemptOutcome::shed);
  EXPECT_EQ(classify_answer(504, true), AttemptOutcome::shed);
  EXPECT_EQ(classify_answer(503, false), AttemptOutcome::unavailable_answer);
  EXPECT_EQ(classify_answer(200, false), AttemptOutcome::answered);
  EXPECT_FALSE(counts_as_failure(AttemptOutcome::shed));
  EXPECT_TRUE(may_retry(AttemptOutcome::shed, "POST", false));
  EXPECT_TRUE(may_retry(AttemptOutcome::shed, "PATCH", false));
}

TEST(GatewayUpstreams, ShedAnswersNeverEjectAnInstance) {
  auto set = three({1, 5'000ms});
  for (int i = 0; i < 10; ++i) {
    auto picked = set.pick(t0, {});
    ASSERT_TRUE(picked);
    set.started(*picked);
    if (counts_as_failure(classify_answer(503, true)))
      set.failed(*picked, t0);
    else
      set.succeeded(*picked, t0);
  }
  EXPECT_EQ(set.up_count(t0), 3u);
}

}  // namespace
}  // namespace ordo::services::gateway
