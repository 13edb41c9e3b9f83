// The gateway's I/O towards the services: active health checks of every instance, and sending a
// request to one instance with bounded retries on others (the decisions live in upstreams.hpp).
#pragma once

#include <memory>
#include <set>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "platform/config/config.hpp"
#include "platform/http/client.hpp"
#include "platform/log/log.hpp"

namespace ordo::services::gateway {

class Proxy {
 public:
  Proxy(boost::asio::any_io_executor executor, const config::Config& config,
        const std::set<std::string>& services);
  ~Proxy();  // stops the health checks
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // GET /ready on every instance now and then every gateway.health_interval_ms.
  void start_health_checks();

  // The upstream's answer (any status), from the first instance that gives one it may keep; when
  // none does, raises 502 (unreachable), 504 (too slow) or 503 with Retry-After (every instance
  // ejected). Only idempotent requests are retried once they may have reached an instance.
  boost::asio::awaitable<http::Response> send(const std::string& service,
                                              http::OutgoingRequest request, log::Context context);

  // Any-instance probe of each service's /ready, for the gateway's own /ready.
  http::Client& client();
  // {"products": [{"origin": "...", "state": "up", "inFlight": 0}, ...], ...}
  boost::json::object instance_states() const;
  // Instances in the up state, per service (for a gauge).
  std::function<double()> up_gauge(const std::string& service) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ordo::services::gateway
