// The gateway's I/O towards the services: active health checks of every instance, and sending a
// request to one instance with bounded retries on others (the decisions live in upstreams.hpp).
//
// Threads: the gateway's connections run on several event loops (one thread each). The upstream
// sets (instance states, in-flight counts) are shared by all of them under one mutex, never held
// across a co_await; each loop has its own http::Client, so a pooled upstream connection is only
// ever used on the loop that opened it.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "platform/config/config.hpp"
#include "platform/core/name_lookup.hpp"
#include "platform/http/client.hpp"
#include "platform/log/log.hpp"

namespace ordo::services::gateway {

class Proxy {
 public:
  // loops: the executors of the gateway's event loops (at least one); health checks and
  // discovery run on the first one. lookup resolves upstream host names (empty: the system's
  // resolver), always off the loops.
  Proxy(const std::vector<boost::asio::any_io_executor>& loops, const config::Config& config,
        const std::set<std::string>& services, core::NameLookup lookup = {});
  // Stops the health checks and closes idle upstream connections. Call it when no loop runs (or
  // from the first loop's thread when there is only one).
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // GET /ready on every instance now and then every gateway.health_interval_ms.
  void start_health_checks();
  // Discovery by DNS: an upstream origin with a host name ("http://orders:3003") stands for one
  // instance per address the name resolves to, looked up now and then every
  // gateway.dns_refresh_ms; instances whose address appears are added, those whose address went
  // are dropped. Until the name first resolves, the origin itself is the instance (the client
  // resolves it per connection); a failed lookup keeps the last addresses. Nothing when
  // gateway.dns_refresh_ms is 0.
  void start_discovery();

  // The upstream's answer (any status), from the first instance that gives one it may keep; when
  // none does, raises 502 (unreachable), 504 (too slow) or 503 with Retry-After (every instance
  // ejected). Only idempotent requests are retried once they may have reached an instance.
  boost::asio::awaitable<http::Response> send(const std::string& service,
                                              http::OutgoingRequest request, log::Context context);

  // Whether the service has any instance configured.
  bool has_instances(const std::string& service) const;
  // The client of the loop `current` runs on (the first loop's when it is none of them), for the
  // gateway's own /ready probes.
  http::Client& client(const boost::asio::any_io_executor& current);
  // {"products": [{"origin": "...", "state": "up", "inFlight": 0}, ...], ...}; an instance
  // found by resolving a configured name also has "name": that configured origin.
  boost::json::object instance_states() const;
  // The service's current instances (the origins requests go to).
  std::vector<std::string> instance_origins(const std::string& service) const;
  // Instances in the up state, per service (for a gauge).
  std::function<double()> up_gauge(const std::string& service) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ordo::services::gateway
