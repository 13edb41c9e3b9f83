// The gateway's rules without I/O: which service owns a route and whether it needs a token, and
// token-bucket rate limiting.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ordo::services::gateway {

enum class Access { public_route, token_required };

struct RouteEntry {
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // router pattern, "/users/{id}"
  std::string service;  // the upstream that answers it
  Access access = Access::token_required;
  // An event stream: the access token may come as ?access_token= (a browser's EventSource
  // cannot set headers); it is moved into Authorization before proxying.
  bool query_token = false;
};

// Every public path of API.md and the service that answers it.
const std::vector<RouteEntry>& route_table();

// The target without every `name=...` parameter of its query (and without the "?" when nothing
// is left), other parameters unchanged and in order.
std::string without_query_parameter(std::string_view target, std::string_view name);

// A token bucket per key: `rate` tokens per second up to `burst`. Thread-safe; bounded memory
// (full buckets are forgotten first, since forgetting them changes nothing).
class RateLimiter {
 public:
  RateLimiter(double rate_per_s, double burst, std::size_t max_keys = 100'000);
  // nullopt when the request may pass (one token taken), else the seconds until one is back.
  std::optional<int> take(const std::string& key, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  void prune(std::chrono::steady_clock::time_point now);

  double rate_;
  double burst_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

// CORS decision for one Origin against the configured list ("*" allows any).
std::optional<std::string> allowed_origin(const std::vector<std::string>& allowed,
                                          const std::string& origin);

}  // namespace ordo::services::gateway
