// Delivers webhook calls: its own loop (not a Channel: a delivery belongs to an endpoint, not to
// a recipient) in the dispatcher's style, on one strand so one instance never sends a delivery
// twice at once. Woken after each committed event batch, on start (rows left pending by a crash
// or a restart) and when a retry falls due.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/sql/database.hpp"

namespace ordo::services::notifications {

struct WebhookOptions {
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds retry_base{5'000};
  std::chrono::milliseconds retry_max{3'600'000};
  std::chrono::seconds disable_after{3 * 86'400};
  bool allow_private = false;
  std::size_t batch = 32;
  std::chrono::milliseconds poll_interval{5'000};
  // How long a pass holds the deliveries it claimed: another instance takes over what a crashed
  // one claimed once it ends. A pass starts no attempt that could outlast its lease.
  std::chrono::milliseconds claim_lease{300'000};
};

class WebhookDispatcher {
 public:
  // admin_notified: called after a disabled webhook's notification for its admin committed.
  WebhookDispatcher(boost::asio::any_io_executor executor, sql::Database& db,
                    WebhookOptions options, std::function<void()> admin_notified);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  void start();
  void wake();
  boost::asio::awaitable<void> stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ordo::services::notifications
