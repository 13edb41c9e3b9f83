// The dispatcher: one loop on a strand, like the outbox relay, so passes never overlap.
#include "services/notifications/dispatcher.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/core/time.hpp"
#include "platform/log/log.hpp"

namespace ordo::services::notifications {
namespace asio = boost::asio;

namespace {
constexpr std::string_view kService = "notifications";
constexpr std::chrono::milliseconds kMinSleep{1};  // a zero interval must not spin

asio::awaitable<void> sleep(asio::steady_timer& timer, std::chrono::milliseconds duration) {
  timer.expires_after(std::max(duration, kMinSleep));
  boost::system::error_code ec;  // operation_aborted is the wake-up, not an error
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}
}  // namespace

// Everything is touched only on `strand` once the loop runs.
struct Dispatcher::State {
  State(asio::any_io_executor executor, sql::Database& db,
        std::vector<std::unique_ptr<Channel>> channels, DispatcherOptions options)
      : strand(asio::make_strand(std::move(executor))),
        store(db),
        channels(std::move(channels)),
        options(options),
        wake(strand),
        finished_signal(strand, std::chrono::steady_clock::time_point::max()) {}

  asio::strand<asio::any_io_executor> strand;
  NotificationStore store;
  std::vector<std::unique_ptr<Channel>> channels;
  DispatcherOptions options;
  asio::steady_timer wake;
  asio::steady_timer finished_signal;  // stop() waits on it; cancelled when the loop has ended
  bool running = false;
  bool stopping = false;
  bool woken = false;

  Channel* channel(const std::string& name) {
    for (auto& channel : channels) {
      if (channel->name() == name)
        return channel.get();
    }
    return nullptr;
  }

  static asio::awaitable<void> run(std::shared_ptr<State> self) {
    while (!self->stopping) {
      self->woken = false;
      std::size_t tried = 0;
      std::chrono::milliseconds pause = self->options.poll_interval;
      try {
        tried = co_await self->deliver_due();
        pause = co_await self->until_next_due();
      } catch (const std::exception& e) {
        // The database failed; the notifications stay pending and are tried on a later pass.
        log::warn(kService, "notification dispatch failed", {{"error", e.what()}});
      }
      if (self->stopping)
        break;
      if (tried < self->options.batch && !self->woken)
        co_await sleep(self->wake, pause);
    }
    self->running = false;
    self->finished_signal.cancel();
  }

  asio::awaitable<std::chrono::milliseconds> until_next_due() {
    auto next = co_await store.next_due_ms();
    if (!next)
      co_return options.poll_interval;
    auto wait = std::chrono::milliseconds(*next - core::unix_millis());
    co_return std::clamp(wait, std::chrono::milliseconds(0), options.poll_interval);
  }

  asio::awaitable<std::size_t> deliver_due() {
    auto claim =
        co_await store.claim_due(core::unix_millis(), options.batch, options.claim_lease.count());
    // Deliveries of a pass are recorded together, in one statement: a crash in between delivers
    // them again (at least once, as every channel promises).
    std::vector<std::string> delivered;
    bool stopped_early = false;
    for (const auto& delivery : claim.deliveries) {
      // Stopping, or too little of the lease left: the rest go back to the next pass of any
      // instance (or of the next process).
      if (stopping || core::unix_millis() + lease_margin().count() > claim.until_ms) {
        stopped_early = true;
        break;
      }
      if (co_await deliver(claim.id, delivery))
        delivered.push_back(delivery.notification.id);
    }
    if (!delivered.empty())
      co_await store.record_delivered(claim.id, delivered);
    if (stopped_early)
      co_await store.release(claim.id);
    co_return claim.deliveries.size();
  }

  std::chrono::milliseconds lease_margin() const {
    return std::min(options.lease_margin, options.claim_lease / 2);
  }

  // True when delivered; a failure is recorded at once (with its retry time).
  asio::awaitable<bool> deliver(const std::string& claim_id, const Delivery& delivery) {
    const auto& notification = delivery.notification;
    std::optional<std::string> error;
    bool permanent = false;
    if (Channel* channel = this->channel(notification.channel)) {
      try {
        co_await channel->deliver(notification, delivery.recipient);
      } catch (const PermanentDeliveryError& e) {
        error = e.what();
        permanent = true;
      } catch (const std::exception& e) {
        error = e.what();
      }
    } else {
      error = "channel not configured: " + notification.channel;
    }
    if (!error)
      co_return true;
    int attempts = static_cast<int>(notification.attempts) + 1;
    auto delay = permanent ? std::nullopt : retry_delay(options.retry, attempts);
    std::optional<std::int64_t> retry_at;
    if (delay)
      retry_at = core::unix_millis() + delay->count();
    log::warn(kService,
              delay ? "notification delivery failed; will retry"
                    : "notification delivery failed; giving up",
              {{"notificationId", notification.id},
               {"channel", notification.channel},
               {"attempts", attempts},
               {"error", *error}});
    co_await store.record_failure(claim_id, notification.id, *error, retry_at);
    co_return false;
  }

  static asio::awaitable<void> await_stop(std::shared_ptr<State> self) {
    self->stopping = true;
    self->wake.cancel();
    while (self->running) {
      boost::system::error_code ec;
      co_await self->finished_signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

Dispatcher::Dispatcher(asio::any_io_executor executor, sql::Database& db,
                       std::vector<std::unique_ptr<Channel>> channels, DispatcherOptions options)
    : state_(std::make_shared<State>(std::move(executor), db, std::move(channels), options)) {}

Dispatcher::~Dispatcher() {
  // The loop holds its own reference to the state; this only asks it to end.
  asio::post(state_->strand, [state = state_] {
    state->stopping = true;
    state->wake.cancel();
  });
}

void Dispatcher::start() {
  asio::post(state_->strand, [state = state_] {
    if (state->running || state->stopping)
      return;
    state->running = true;
    asio::co_spawn(state->strand, State::run(state), asio::detached);
  });
}

void Dispatcher::wake() {
  asio::post(state_->strand, [state = state_] {
    state->woken = true;
    state->wake.cancel();
  });
}

asio::awaitable<void> Dispatcher::stop() {
  return asio::co_spawn(state_->strand, State::await_stop(state_), asio::use_awaitable);
}

asio::awaitable<std::size_t> Dispatcher::deliver_due() {
  return state_->deliver_due();
}

}  // namespace ordo::services::notifications
