// The gateway's upstream decisions without I/O: which instance of a service takes a request, when
// an instance is ejected and when it is trusted again, and whether a failed attempt may be retried.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ordo::services::gateway {

using Clock = std::chrono::steady_clock;

struct BreakerPolicy {
  int eject_after_failures = 3;                // consecutive failures, active or passive
  std::chrono::milliseconds eject_for{5'000};  // cool-down before a half-open probe
};

enum class InstanceState {
  joining,    // found by discovery after the start: no traffic until a health check passes
  up,         // takes traffic
  ejected,    // failed too often; waits for a health check to pass or the cool-down to end
  half_open,  // cool-down over: one probe request at a time, and only when nothing is up
};
std::string_view to_string(InstanceState state);

// What an observation did to an instance, so the caller logs each transition once.
enum class Transition { none, ejected, recovered, joined };

// One instance the set should hold: its origin ("http://10.89.0.5:3003") and the configured
// origin it comes from ("http://orders:3003" when found by resolving that name; else the same).
struct Member {
  std::string origin;
  std::string source;
  bool operator==(const Member&) const = default;
};

// What an update did, for the log.
struct MembershipChange {
  std::vector<std::string> added;
  std::vector<std::string> removed;
};

// The instances of one service. Not thread-safe: the gateway's Proxy guards every set with one
// mutex, since requests on all of its event loops share them.
//
// Selection is least-in-flight with a rotating tie-break: with equal instances and light load it
// is round-robin, and an instance that turns slow (a long query, a full disk) collects in-flight
// requests and is skipped until it drains. The gateway sees every request, so the counts are
// exact; a random power-of-two choice only pays when many balancers share the instances.
//
// Membership changes (discovery by DNS, see proxy.cpp): an instance that leaves is retired, not
// erased, so the index of a request in flight on it stays valid; it is never picked nor listed,
// and comes back with a clean record if its address returns. drop_retired() erases them once no
// index is held.
class UpstreamSet {
 public:
  UpstreamSet(std::vector<std::string> origins, BreakerPolicy policy);

  // Slots, retired ones included: indices run from 0 to size() - 1.
  std::size_t size() const { return instances_.size(); }
  const std::string& origin(std::size_t index) const { return instances_[index].member.origin; }
  const std::string& source(std::size_t index) const { return instances_[index].member.source; }
  bool retired(std::size_t index) const { return instances_[index].retired; }
  std::size_t active_count() const;
  InstanceState state(std::size_t index, Clock::time_point now) const;
  std::size_t in_flight(std::size_t index) const { return instances_[index].in_flight; }
  std::size_t up_count(Clock::time_point now) const;

  // Makes the active instances exactly `members` (in that order for new ones): keeps the state
  // of those already there, adds the new ones (joining: a replica just scaled up or restarted
  // may still be starting, without its database or its token keys), retires the others.
  MembershipChange update(const std::vector<Member>& members);
  // True when no request is in flight on any instance (then no caller holds an index).
  bool idle() const;
  // Erases retired instances; indices change. Only when idle() and no health check is running.
  void drop_retired();

  // The instance to try next, skipping those in `tried`: an up one (least in flight), else a
  // half-open one with no request in flight. nullopt when none may be tried now.
  std::optional<std::size_t> pick(Clock::time_point now, const std::vector<std::size_t>& tried);
  // When every instance is ejected: how long until the first one may be probed (>= 1 s, for
  // Retry-After).
  std::chrono::seconds retry_after(Clock::time_point now) const;

  // Around each proxied attempt.
  void started(std::size_t index);
  Transition succeeded(std::size_t index, Clock::time_point now);
  Transition failed(std::size_t index, Clock::time_point now);
  // Active health checks (GET /ready): a pass readmits an ejected instance at once.
  Transition health_passed(std::size_t index, Clock::time_point now);
  Transition health_failed(std::size_t index, Clock::time_point now);

 private:
  struct Instance {
    Member member;
    bool retired = false;
    bool joining = false;
    int consecutive_failures = 0;
    bool ejected = false;
    Clock::time_point probe_at{};  // while ejected: when the cool-down ends
    std::size_t in_flight = 0;
  };
  Transition recover(Instance& instance);
  Transition count_failure(Instance& instance, Clock::time_point now);

  BreakerPolicy policy_;
  std::vector<Instance> instances_;
  std::size_t next_ = 0;  // rotates the tie-break
};

// A configured origin taken apart, for discovery by DNS: "http://orders:3003" is scheme
// "http://", host "orders", port "3003" (empty when the origin has none).
struct OriginParts {
  std::string scheme;
  std::string host;  // without brackets
  std::string port;
};
std::optional<OriginParts> split_origin(std::string_view origin);
// The origin of one of the host's addresses: "http://10.89.0.5:3003", "http://[fd00::5]:3003".
std::string origin_at(const OriginParts& parts, const std::string& address);

// How an attempt on one instance ended, as far as retrying is concerned.
enum class AttemptOutcome {
  answered,              // any answer the client gets, except those below
  unavailable_answer,    // the upstream answered 502, 503 or 504
  not_sent,              // no connection: the request never left the gateway
  failed_after_sending,  // reset, closed or timed out after the request may have arrived
  shed  // refused by the instance's admission control before any work (Ordo-Shed): alive, busy
};
AttemptOutcome classify_status(int status);
// classify_status, unless the instance said it refused the request unstarted.
AttemptOutcome classify_answer(int status, bool shed);

// Idempotent by method (RFC 9110 9.2.2), or a POST with an Idempotency-Key (orders deduplicate by
// it). Not a PATCH with one: no service deduplicates PATCHes, and a replenish must not run twice.
bool is_idempotent(const std::string& method, bool has_idempotency_key);
// Whether the request may go to another instance after this outcome: one never sent always may;
// one that may have arrived only when repeating it is harmless.
bool may_retry(AttemptOutcome outcome, const std::string& method, bool has_idempotency_key);
// Whether the outcome counts against the instance's health (a 4xx or 500 is the request's fault).
bool counts_as_failure(AttemptOutcome outcome);

}  // namespace ordo::services::gateway
