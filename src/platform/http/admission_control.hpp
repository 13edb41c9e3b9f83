// Admission control as middleware: each request of a group waits for one of the group's slots
// (a bounded wait, shortened by the caller's deadline) or is refused before any work starts:
// 503 with Retry-After past the queue wait, 504 past the deadline. Routes outside every group
// (/health, /ready, /metrics) are never refused.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/http/admission.hpp"
#include "platform/http/forwarded.hpp"
#include "platform/http/router.hpp"

namespace ordo::http {

struct AdmissionGroup {
  std::string name;  // "read", "write", "password": for problem details and metric names
  AdmissionLimit limit;
};

struct AdmissionPolicy {
  std::vector<AdmissionGroup> groups;
  // The index in `groups` of the group a request belongs to; nullopt: never refused.
  std::function<std::optional<std::size_t>(const Request&)> classify;
  // Peers whose Ordo-Timeout-Ms is believed (http.trusted_proxies: the gateway's addresses).
  // Anyone else's is ignored, as their X-Forwarded-For is.
  std::vector<std::string> trusted_proxies;
};

class AdmissionControl {
 public:
  explicit AdmissionControl(AdmissionPolicy policy);

  // The middleware; it keeps the groups alive. Thread-safe: each group has a mutex, never held
  // across a co_await, and a waiter is woken on its own executor.
  Middleware middleware() const;

  std::size_t group_count() const;
  const std::string& group_name(std::size_t group) const;
  // For gauges, read at scrape time.
  std::function<double()> in_flight_gauge(std::size_t group) const;
  std::function<double()> refused_gauge(std::size_t group) const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ordo::http
