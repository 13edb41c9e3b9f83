// Delivers pending notifications through their channels, outside any consumer transaction:
// woken after each committed event, on start (leftovers of a crash) and when a retry falls due.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "services/notifications/channel.hpp"
#include "services/notifications/domain.hpp"
#include "services/notifications/store.hpp"

namespace ordo::services::notifications {

struct DispatcherOptions {
  RetryPolicy retry;
  std::size_t batch = 64;
  std::chrono::milliseconds poll_interval{5'000};  // a safety net: wake() is the usual trigger
  // How long a pass holds the notifications it claimed: another instance takes over what a
  // crashed one claimed once it ends. A pass starts no send with less than lease_margin left,
  // so a slow channel cannot make a lease end while its notification is being sent.
  std::chrono::milliseconds claim_lease{300'000};
  std::chrono::milliseconds lease_margin{90'000};  // above an e-mail's 60 s send limit
};

class Dispatcher {
 public:
  Dispatcher(boost::asio::any_io_executor executor, sql::Database& db,
             std::vector<std::unique_ptr<Channel>> channels, DispatcherOptions options = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();  // the background loop; its first pass delivers what a crash left pending
  void wake();   // call after committing new notifications
  boost::asio::awaitable<void> stop();

  // One pass: tries every notification due now once and records the outcome. Returns how many
  // it tried. The loop calls it; tests may call it directly instead of start().
  boost::asio::awaitable<std::size_t> deliver_due();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ordo::services::notifications
