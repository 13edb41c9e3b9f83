// The gateway's settings (config section "gateway"): health checks, ejection and retries of the
// upstream instances, its event loops, what it exposes, the web UI, and the rate limits and CORS
// of the public entry point.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "platform/config/setting.hpp"

namespace ordo::services::gateway {

struct Settings {
  // Active health checks of every upstream instance, ejection and retries.
  std::chrono::milliseconds health_interval{1'000};
  std::chrono::milliseconds health_timeout{500};
  int eject_after_failures = 3;
  std::chrono::milliseconds eject_duration{5'000};
  int upstream_retries = 2;  // other instances tried after the first
  // A relayed event stream silent for longer is closed (above streams.heartbeat_ms).
  std::chrono::milliseconds stream_idle_timeout{60'000};
  // Event loops (threads) its connections are spread over, beside the services' one.
  int io_threads = 2;
  // The public entry point: its /metrics (every service's counters) and the details of its /ready
  // (internal origins and their states) only when asked for. Services always answer both on
  // their own ports.
  bool expose_metrics = false;
  bool expose_details = false;
  // The built web UI (web/dist) served at / and /admin; empty: web/ beside the binary, else the
  // source tree's web/dist.
  std::string web_dir;
  // Rate limits (token buckets).
  double rate_limit_client_per_s = 100;
  double rate_limit_client_burst = 200;
  double rate_limit_user_per_s = 50;
  double rate_limit_user_burst = 100;
  std::vector<std::string> cors_allowed_origins{"*"};
};

config::Section settings_section();

}  // namespace ordo::services::gateway
