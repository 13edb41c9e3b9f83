#include "services/gateway/upstreams.hpp"

#include <algorithm>

namespace ordo::services::gateway {

std::string_view to_string(InstanceState state) {
  switch (state) {
    case InstanceState::up:
      return "up";
    case InstanceState::ejected:
      return "ejected";
    case InstanceState::half_open:
      return "half-open";
  }
  return "unknown";
}

UpstreamSet::UpstreamSet(std::vector<std::string> origins, BreakerPolicy policy)
    : origins_(std::move(origins)), policy_(policy), instances_(origins_.size()) {}

InstanceState UpstreamSet::state(std::size_t index, Clock::time_point now) const {
  const auto& instance = instances_[index];
  if (!instance.ejected)
    return InstanceState::up;
  return now >= instance.probe_at ? InstanceState::half_open : InstanceState::ejected;
}

std::size_t UpstreamSet::up_count(Clock::time_point now) const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < instances_.size(); ++i)
    count += state(i, now) == InstanceState::up ? 1 : 0;
  return count;
}

std::optional<std::size_t> UpstreamSet::pick(Clock::time_point now,
                                             const std::vector<std::size_t>& tried) {
  auto n = instances_.size();
  if (n == 0)
    return std::nullopt;
  auto untried = [&](std::size_t i) {
    return std::find(tried.begin(), tried.end(), i) == tried.end();
  };
  std::optional<std::size_t> best;
  std::optional<std::size_t> probe;
  std::size_t start = next_++ % n;
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t i = (start + k) % n;
    if (!untried(i))
      continue;
    auto s = state(i, now);
    if (s == InstanceState::up) {
      if (!best || instances_[i].in_flight < instances_[*best].in_flight)
        best = i;
    } else if (s == InstanceState::half_open && instances_[i].in_flight == 0 && !probe) {
      probe = i;
    }
  }
  // A half-open instance gets a live request only when nothing healthy is left: otherwise the
  // health check readmits it, and no client request is spent finding out.
  return best ? best : probe;
}

std::chrono::seconds UpstreamSet::retry_after(Clock::time_point now) const {
  auto earliest = Clock::time_point::max();
  for (const auto& instance : instances_) {
    if (instance.ejected)
      earliest = std::min(earliest, instance.probe_at);
  }
  if (earliest == Clock::time_point::max() || earliest <= now)
    return std::chrono::seconds(1);
  auto wait = std::chrono::ceil<std::chrono::seconds>(earliest - now);
  return std::max(wait, std::chrono::seconds(1));
}

void UpstreamSet::started(std::size_t index) {
  ++instances_[index].in_flight;
}

Transition UpstreamSet::recover(Instance& instance) {
  instance.consecutive_failures = 0;
  if (!instance.ejected)
    return Transition::none;
  instance.ejected = false;
  return Transition::recovered;
}

Transition UpstreamSet::count_failure(Instance& instance, Clock::time_point now) {
  ++instance.consecutive_failures;
  if (instance.ejected) {
    // A failed probe (or a failure of a request that started before the ejection): wait again.
    instance.probe_at = std::max(instance.probe_at, now + policy_.eject_for);
    return Transition::none;
  }
  if (instance.consecutive_failures < policy_.eject_after_failures)
    return Transition::none;
  instance.ejected = true;
  instance.probe_at = now + policy_.eject_for;
  return Transition::ejected;
}

Transition UpstreamSet::succeeded(std::size_t index, Clock::time_point) {
  auto& instance = instances_[index];
  if (instance.in_flight > 0)
    --instance.in_flight;
  return recover(instance);
}

Transition UpstreamSet::failed(std::size_t index, Clock::time_point now) {
  auto& instance = instances_[index];
  if (instance.in_flight > 0)
    --instance.in_flight;
  return count_failure(instance, now);
}

Transition UpstreamSet::health_passed(std::size_t index, Clock::time_point) {
  return recover(instances_[index]);
}

Transition UpstreamSet::health_failed(std::size_t index, Clock::time_point now) {
  return count_failure(instances_[index], now);
}

AttemptOutcome classify_status(int status) {
  return status == 502 || status == 503 || status == 504 ? AttemptOutcome::unavailable_answer
                                                         : AttemptOutcome::answered;
}

AttemptOutcome classify_answer(int status, bool shed) {
  return shed ? AttemptOutcome::shed : classify_status(status);
}

bool is_idempotent(const std::string& method, bool has_idempotency_key) {
  for (std::string_view idempotent : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    if (method == idempotent)
      return true;
  }
  return has_idempotency_key && method == "POST";
}

bool may_retry(AttemptOutcome outcome, const std::string& method, bool has_idempotency_key) {
  switch (outcome) {
    case AttemptOutcome::answered:
      return false;
    case AttemptOutcome::not_sent:
    case AttemptOutcome::shed:  // never started: as safe to repeat as one never sent
      return true;
    case AttemptOutcome::unavailable_answer:
    case AttemptOutcome::failed_after_sending:
      return is_idempotent(method, has_idempotency_key);
  }
  return false;
}

bool counts_as_failure(AttemptOutcome outcome) {
  // A shed answer comes from a healthy instance at its limit: ejecting it would turn a busy
  // service into an unavailable one.
  return outcome != AttemptOutcome::answered && outcome != AttemptOutcome::shed;
}

}  // namespace ordo::services::gateway
