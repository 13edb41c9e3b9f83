#include "services/gateway/upstreams.hpp"

#include <algorithm>

namespace ordo::services::gateway {

std::string_view to_string(InstanceState state) {
  switch (state) {
    case InstanceState::joining:
      return "joining";
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
    : policy_(policy), instances_(origins.size()) {
  for (std::size_t i = 0; i < origins.size(); ++i)
    instances_[i].member = Member{origins[i], origins[i]};
}

std::size_t UpstreamSet::active_count() const {
  return static_cast<std::size_t>(std::count_if(instances_.begin(), instances_.end(),
                                                [](const Instance& i) { return !i.retired; }));
}

MembershipChange UpstreamSet::update(const std::vector<Member>& members) {
  MembershipChange change;
  auto wanted = [&](const std::string& origin) {
    return std::any_of(members.begin(), members.end(),
                       [&](const Member& m) { return m.origin == origin; });
  };
  for (auto& instance : instances_) {
    if (!instance.retired && !wanted(instance.member.origin)) {
      instance.retired = true;
      change.removed.push_back(instance.member.origin);
    }
  }
  for (const auto& member : members) {
    auto found = std::find_if(instances_.begin(), instances_.end(),
                              [&](const Instance& i) { return i.member.origin == member.origin; });
    if (found == instances_.end()) {
      Instance fresh;
      fresh.member = member;
      fresh.joining = true;
      instances_.push_back(std::move(fresh));
      change.added.push_back(member.origin);
    } else if (found->retired) {
      // Back after it left: whatever it was then, it is a new process now.
      found->retired = false;
      found->member = member;
      found->consecutive_failures = 0;
      found->ejected = false;
      found->joining = true;
      change.added.push_back(member.origin);
    } else {
      found->member.source = member.source;
    }
  }
  return change;
}

bool UpstreamSet::idle() const {
  return std::all_of(instances_.begin(), instances_.end(),
                     [](const Instance& i) { return i.in_flight == 0; });
}

void UpstreamSet::drop_retired() {
  std::erase_if(instances_, [](const Instance& i) { return i.retired; });
}

InstanceState UpstreamSet::state(std::size_t index, Clock::time_point now) const {
  const auto& instance = instances_[index];
  if (instance.joining)
    return InstanceState::joining;
  if (!instance.ejected)
    return InstanceState::up;
  return now >= instance.probe_at ? InstanceState::half_open : InstanceState::ejected;
}

std::size_t UpstreamSet::up_count(Clock::time_point now) const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < instances_.size(); ++i)
    count += !instances_[i].retired && state(i, now) == InstanceState::up ? 1 : 0;
  return count;
}

std::optional<std::size_t> UpstreamSet::pick(Clock::time_point now,
                                             const std::vector<std::size_t>& tried) {
  auto untried = [&](std::size_t i) {
    return std::find(tried.begin(), tried.end(), i) == tried.end();
  };
  // The up instances with the fewest requests in flight take turns (by a rotating position among
  // them, so retired or ejected slots in between skew nothing).
  std::vector<std::size_t> least;
  std::optional<std::size_t> probe;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    if (!untried(i) || instances_[i].retired)
      continue;
    auto s = state(i, now);
    if (s == InstanceState::up) {
      if (!least.empty() && instances_[i].in_flight < instances_[least.front()].in_flight)
        least.clear();
      if (least.empty() || instances_[i].in_flight == instances_[least.front()].in_flight)
        least.push_back(i);
    } else if (s == InstanceState::half_open && instances_[i].in_flight == 0 && !probe) {
      probe = i;
    }
  }
  if (!least.empty())
    return least[next_++ % least.size()];
  // A half-open instance gets a live request only when nothing healthy is left: otherwise the
  // health check readmits it, and no client request is spent finding out.
  return probe;
}

std::chrono::seconds UpstreamSet::retry_after(Clock::time_point now) const {
  auto earliest = Clock::time_point::max();
  for (const auto& instance : instances_) {
    if (instance.ejected && !instance.retired)
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
  auto& instance = instances_[index];
  if (instance.joining) {
    instance.joining = false;
    instance.consecutive_failures = 0;
    return Transition::joined;
  }
  return recover(instance);
}

Transition UpstreamSet::health_failed(std::size_t index, Clock::time_point now) {
  auto& instance = instances_[index];
  if (instance.joining) {  // still starting: it joins when a check passes, however long that takes
    ++instance.consecutive_failures;
    return Transition::none;
  }
  return count_failure(instance, now);
}

std::optional<OriginParts> split_origin(std::string_view origin) {
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos)
    return std::nullopt;
  OriginParts parts;
  parts.scheme = std::string(origin.substr(0, scheme_end + 3));
  auto authority = origin.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos)
    return std::nullopt;
  std::string_view port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    parts.host = std::string(authority.substr(1, close - 1));
    auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return std::nullopt;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    auto colon = authority.rfind(':');
    parts.host = std::string(authority.substr(0, colon));
    port = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
  }
  if (parts.host.empty())
    return std::nullopt;
  parts.port = std::string(port);
  return parts;
}

std::string origin_at(const OriginParts& parts, const std::string& address) {
  bool v6 = address.find(':') != std::string::npos;
  std::string origin = parts.scheme + (v6 ? "[" + address + "]" : address);
  return parts.port.empty() ? origin : origin + ":" + parts.port;
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
