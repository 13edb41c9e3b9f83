#include "services/gateway/settings.hpp"

#include "platform/config/config.hpp"

namespace ordo::services::gateway {

config::Section settings_section() {
  config::Section section{"gateway", {}, nullptr, nullptr};
  section.settings = {
      config::millis("gateway.health_interval_ms",
                     "gateway: GET /ready on every upstream instance this often",
                     &Settings::health_interval),
      config::millis("gateway.health_timeout_ms", "gateway: a health check slower than this failed",
                     &Settings::health_timeout),
      config::number<int>(
          "gateway.eject_after_failures",
          "gateway: consecutive failures (requests or health checks) that eject an instance",
          &Settings::eject_after_failures, 1, 1'000),
      config::millis(
          "gateway.eject_ms",
          "gateway: an ejected instance gets a probe request after this (a passing health "
          "check readmits it sooner)",
          &Settings::eject_duration),
      config::millis(
          "gateway.stream_idle_timeout_ms",
          "gateway: a relayed event stream (text/event-stream) that sends nothing, not even a "
          "heartbeat, for this long is closed; keep it above streams.heartbeat_ms",
          &Settings::stream_idle_timeout, 1),
      config::number<int>("gateway.retries",
                          "gateway: other instances an idempotent request is retried on (0: none)",
                          &Settings::upstream_retries, 0, 10),
      config::number<int>(
          "gateway.io_threads",
          "gateway: threads (event loops) its connections are spread over, beside the "
          "services' own",
          &Settings::io_threads, 1, 64),
      config::flag(
          "gateway.expose_metrics",
          "gateway: answer GET /metrics on the public port (the services always do on theirs)",
          &Settings::expose_metrics),
      config::flag(
          "gateway.expose_details",
          "gateway: /ready lists every service and upstream instance (else only its status)",
          &Settings::expose_details),
      config::text(
          "gateway.web_dir",
          "gateway: directory of the built web UI (web/dist) served at / and /admin; empty: "
          "web/ beside the binary, else the source tree's web/dist",
          &Settings::web_dir),
      config::number<double>("rate_limit.client_per_s", "requests/s per client address",
                             &Settings::rate_limit_client_per_s, 0.01, 1e9),
      config::number<double>("rate_limit.client_burst", "burst per client address",
                             &Settings::rate_limit_client_burst, 1, 1e9),
      config::number<double>("rate_limit.user_per_s", "requests/s per authenticated user",
                             &Settings::rate_limit_user_per_s, 0.01, 1e9),
      config::number<double>("rate_limit.user_burst", "burst per authenticated user",
                             &Settings::rate_limit_user_burst, 1, 1e9),
      config::list("cors.allowed_origins", "comma-separated origins, or *",
                   &Settings::cors_allowed_origins),
  };
  return section;
}

}  // namespace ordo::services::gateway
