// The gateway's upstream decisions: balancing, ejection and readmission, retry eligibility.
#include <map>
#include <string>
#include <vector>

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

// ---- membership (discovery by DNS) ----

std::vector<Member> members_of(const std::string& name, const std::vector<std::string>& origins) {
  std::vector<Member> members;
  for (const auto& origin : origins)
    members.push_back(Member{origin, name});
  return members;
}

std::vector<std::string> active(const UpstreamSet& set) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < set.size(); ++i) {
    if (!set.retired(i))
      out.push_back(set.origin(i));
  }
  return out;
}

TEST(GatewayUpstreams, ANameStandsForEachOfItsAddresses) {
  const std::string name = "http://orders:3003";
  UpstreamSet set({name}, {3, 5'000ms});
  auto change = set.update(members_of(name, {"http://10.0.0.2:3003", "http://10.0.0.3:3003"}));
  EXPECT_EQ(change.added,
            (std::vector<std::string>{"http://10.0.0.2:3003", "http://10.0.0.3:3003"}));
  EXPECT_EQ(change.removed, (std::vector<std::string>{name}));  // the placeholder goes
  EXPECT_EQ(active(set),
            (std::vector<std::string>{"http://10.0.0.2:3003", "http://10.0.0.3:3003"}));
  EXPECT_EQ(set.active_count(), 2u);
  EXPECT_EQ(set.up_count(t0), 0u);  // joining until each passes a health check
  EXPECT_EQ(set.health_passed(1, t0), Transition::joined);  // slot 0: the retired placeholder
  EXPECT_EQ(set.health_passed(2, t0), Transition::joined);
  EXPECT_EQ(set.up_count(t0), 2u);

  // Every address takes turns; the retired placeholder never does.
  std::map<std::string, int> hits;
  for (int i = 0; i < 10; ++i) {
    auto picked = set.pick(t0, {});
    ASSERT_TRUE(picked);
    EXPECT_EQ(set.source(*picked), name);
    ++hits[set.origin(*picked)];
    set.started(*picked);
    set.succeeded(*picked, t0);
  }
  EXPECT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits["http://10.0.0.2:3003"], 5);
}

TEST(GatewayUpstreams, AVanishedAddressIsRetiredAndAReturningOneStartsClean) {
  const std::string name = "http://orders:3003";
  UpstreamSet set({}, {2, 5'000ms});
  set.update(members_of(name, {"http://10.0.0.2:3003", "http://10.0.0.3:3003"}));
  set.health_passed(0, t0);
  set.health_passed(1, t0);
  // .3 fails its way out, with a request still in flight on .2.
  set.health_failed(1, t0);
  set.health_failed(1, t0);
  EXPECT_EQ(set.state(1, t0), InstanceState::ejected);
  set.started(0);

  auto change = set.update(members_of(name, {"http://10.0.0.3:3003", "http://10.0.0.4:3003"}));
  EXPECT_EQ(change.removed, (std::vector<std::string>{"http://10.0.0.2:3003"}));
  EXPECT_EQ(change.added, (std::vector<std::string>{"http://10.0.0.4:3003"}));
  EXPECT_EQ(set.state(1, t0), InstanceState::ejected);  // kept: still the same instance
  EXPECT_EQ(set.state(2, t0), InstanceState::joining);
  EXPECT_FALSE(set.pick(t0, {}));  // .3 is ejected (not yet half-open), .4 still joining
  set.health_passed(2, t0);
  // The in-flight request's index still names its instance, which is never picked again.
  EXPECT_EQ(set.origin(0), "http://10.0.0.2:3003");
  EXPECT_TRUE(set.retired(0));
  EXPECT_FALSE(set.idle());
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(set.pick(t0, {}), 2u);  // .4: the only one up
  set.succeeded(0, t0);
  EXPECT_TRUE(set.idle());
  set.drop_retired();
  EXPECT_EQ(active(set),
            (std::vector<std::string>{"http://10.0.0.3:3003", "http://10.0.0.4:3003"}));
  EXPECT_EQ(set.size(), 2u);

  // .3 leaves and comes back (a new container with the old address): a clean record, joining
  // again like any new instance.
  set.update(members_of(name, {"http://10.0.0.4:3003"}));
  set.update(members_of(name, {"http://10.0.0.4:3003", "http://10.0.0.3:3003"}));
  EXPECT_EQ(set.state(0, t0), InstanceState::joining);
  EXPECT_EQ(set.health_passed(0, t0), Transition::joined);
  EXPECT_EQ(set.state(0, t0), InstanceState::up);
  EXPECT_EQ(set.up_count(t0), 2u);
}

// A replica scaled up or restarted is found by DNS while it may still be starting (no database,
// no token keys yet): it takes no request until its /ready passes, however long that takes.
TEST(GatewayUpstreams, ANewInstanceJoinsOnlyWhenAHealthCheckPasses) {
  const std::string name = "http://orders:3003";
  UpstreamSet set({}, {2, 5'000ms});
  set.update(members_of(name, {"http://10.0.0.2:3003"}));
  set.health_passed(0, t0);
  set.update(members_of(name, {"http://10.0.0.2:3003", "http://10.0.0.3:3003"}));
  EXPECT_EQ(set.state(1, t0), InstanceState::joining);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(set.health_failed(1, t0 + std::chrono::seconds(i)), Transition::none);
    EXPECT_EQ(set.pick(t0 + std::chrono::seconds(i), {}), 0u);  // never the joining one
  }
  EXPECT_EQ(set.state(1, t0 + 30s), InstanceState::joining);  // not ejected, not half-open
  EXPECT_EQ(set.pick(t0 + 30s, {0}), std::nullopt);
  EXPECT_EQ(set.health_passed(1, t0 + 30s), Transition::joined);
  EXPECT_EQ(set.pick(t0 + 30s, {0}), 1u);
  EXPECT_EQ(to_string(InstanceState::joining), "joining");
}

TEST(GatewayUpstreams, EveryRetiredInstanceEjectedDoesNotDelayRetryAfter) {
  UpstreamSet set({"http://a:1", "http://b:2"}, {1, 5'000ms});
  set.health_failed(0, t0);
  set.update(members_of("x", {"http://b:2"}));
  set.health_failed(0, t0);  // the retired one
  set.health_failed(1, t0 + 3s);
  EXPECT_EQ(set.retry_after(t0 + 3s), 5s);
}

TEST(GatewayUpstreams, OriginsTakenApartAndPutBackPerAddress) {
  auto parts = split_origin("http://orders:3003");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->host, "orders");
  EXPECT_EQ(origin_at(*parts, "10.89.0.5"), "http://10.89.0.5:3003");
  EXPECT_EQ(origin_at(*parts, "fd00::5"), "http://[fd00::5]:3003");
  auto v6 = split_origin("http://[::1]:3002/");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "3002");
  auto no_port = split_origin("http://products");
  ASSERT_TRUE(no_port);
  EXPECT_EQ(origin_at(*no_port, "127.0.0.2"), "http://127.0.0.2");
  EXPECT_FALSE(split_origin("orders:3003"));
  EXPECT_FALSE(split_origin("http://"));
  EXPECT_FALSE(split_origin("http://[::1:3002"));
}

}  // namespace
}  // namespace ordo::services::gateway
