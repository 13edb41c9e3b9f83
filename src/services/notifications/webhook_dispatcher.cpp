#include "services/notifications/webhook_dispatcher.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/core/time.hpp"
#include "platform/http/client.hpp"
#include "platform/log/log.hpp"
#include "services/notifications/webhook_domain.hpp"
#include "services/notifications/webhook_store.hpp"
#include "services/notifications/webhook_target.hpp"

namespace ordo::services::notifications {
namespace asio = boost::asio;

namespace {
constexpr std::string_view kService = "notifications";
constexpr std::chrono::milliseconds kMinSleep{1};
// Only the status matters; a larger answer fails the attempt rather than fill memory.
constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;

asio::awaitable<void> sleep(asio::steady_timer& timer, std::chrono::milliseconds duration) {
  timer.expires_after(std::max(duration, kMinSleep));
  boost::system::error_code ec;  // operation_aborted is the wake-up, not an error
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

http::ClientOptions client_options(const WebhookOptions& options) {
  http::ClientOptions out;
  out.connect_timeout = options.timeout;
  out.request_timeout = options.timeout;
  out.max_idle_per_origin = 4;
  out.max_response_bytes = kMaxAnswerBytes;
  return out;
}
}  // namespace

// Everything is touched only on `strand` once the loop runs.
struct WebhookDispatcher::State {
  State(asio::any_io_executor executor, sql::Database& db, WebhookOptions options,
        std::function<void()> admin_notified)
      : strand(asio::make_strand(std::move(executor))),
        store(db),
        client(strand, client_options(options)),
        options(options),
        admin_notified(std::move(admin_notified)),
        wake(strand),
        finished_signal(strand, std::chrono::steady_clock::time_point::max()),
        random(std::random_device{}()) {}

  asio::strand<asio::any_io_executor> strand;
  WebhookStore store;
  http::Client client;
  WebhookOptions options;
  std::function<void()> admin_notified;
  asio::steady_timer wake;
  asio::steady_timer finished_signal;
  std::mt19937_64 random;  // jitter only: nothing secret
  bool running = false;
  bool stopping = false;
  bool woken = false;

  static asio::awaitable<void> run(std::shared_ptr<State> self) {
    while (!self->stopping) {
      self->woken = false;
      std::size_t tried = 0;
      std::chrono::milliseconds pause = self->options.poll_interval;
      try {
        tried = co_await self->deliver_due();
        pause = co_await self->until_next_due();
      } catch (const std::exception& e) {
        log::warn(kService, "webhook dispatch failed", {{"error", e.what()}});
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
    // Long enough for at least one attempt, whatever the configured timeout.
    auto lease = std::max(options.claim_lease, 4 * options.timeout).count();
    auto claimed_at = core::unix_millis();
    auto lease_ends = claimed_at + lease;
    auto due = co_await store.claim_due(claimed_at, options.batch, lease);
    for (const auto& delivery : due) {
      // An attempt may take a lookup, a connect and a request timeout: one that could outlast
      // the lease goes back to any instance's next pass rather than risk being sent twice.
      if (stopping || core::unix_millis() + 3 * options.timeout.count() > lease_ends) {
        co_await store.release(*delivery.claimed_by);
        break;
      }
      co_await deliver(delivery);
    }
    co_return due.size();
  }

  // One attempt, then its outcome recorded; the endpoint is disabled when it has been failing
  // for longer than options.disable_after.
  asio::awaitable<void> deliver(const WebhookDelivery& delivery) {
    auto webhook = co_await store.find(delivery.webhook_id);
    if (!webhook || webhook->status != kWebhookActive)
      co_return;
    AttemptOutcome outcome = co_await attempt(*webhook, delivery);
    auto now_ms = core::unix_millis();
    bool disable = false;
    if (!outcome.succeeded) {
      auto failing_since = webhook->failing_since_ms.value_or(now_ms);
      auto disable_after_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(options.disable_after).count();
      disable = now_ms - failing_since >= disable_after_ms;
      if (!disable) {
        double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random);
        auto delay = webhook_retry_delay(options.retry_base, options.retry_max,
                                         static_cast<int>(delivery.attempts) + 1, jitter);
        outcome.retry_at_ms = now_ms + delay.count();
      }
      log::warn(kService,
                disable ? "webhook delivery failed; disabling the webhook"
                        : "webhook delivery failed; will retry",
                {{"webhookId", webhook->id},
                 {"deliveryId", delivery.id},
                 {"attempts", delivery.attempts + 1},
                 {"error", outcome.error.value_or("")}});
    }
    // Only the claimant's outcome counts (and only it may disable the endpoint).
    if (!co_await store.record_attempt(delivery, outcome, now_ms))
      co_return;
    if (disable && co_await store.disable(*webhook, now_ms)) {
      log::warn(kService, "webhook disabled", {{"webhookId", webhook->id}, {"url", webhook->url}});
      if (admin_notified)
        admin_notified();
    }
  }

  asio::awaitable<AttemptOutcome> attempt(const Webhook& webhook, const WebhookDelivery& delivery) {
    AttemptOutcome outcome;
    try {
      auto target =
          co_await resolve_webhook_target(webhook.url, options.allow_private, options.timeout);
      auto timestamp = core::unix_millis() / 1000;
      http::OutgoingRequest request;
      request.method = "POST";
      request.target = target.target;
      request.headers.set("Host", target.authority);
      request.headers.set("Content-Type", "application/json");
      request.headers.set("User-Agent", "ordo-webhooks");
      request.headers.set("webhook-id", delivery.id);
      request.headers.set("webhook-timestamp", std::to_string(timestamp));
      request.headers.set("webhook-signature",
                          sign_webhook(webhook.secret, delivery.id, timestamp, delivery.body));
      request.body = delivery.body;
      auto response = co_await client.send(target.origin, std::move(request), options.timeout);
      outcome.response_code = response.status;
      // A redirect is not followed: the target the admin registered answered something else.
      outcome.succeeded = response.status >= 200 && response.status < 300;
      if (!outcome.succeeded)
        outcome.error = "the endpoint answered " + std::to_string(response.status);
    } catch (const std::exception& e) {
      outcome.error = e.what();
    }
    co_return outcome;
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

WebhookDispatcher::WebhookDispatcher(asio::any_io_executor executor, sql::Database& db,
                                     WebhookOptions options, std::function<void()> admin_notified)
    : state_(std::make_shared<State>(std::move(executor), db, options, std::move(admin_notified))) {
}

WebhookDispatcher::~WebhookDispatcher() {
  asio::post(state_->strand, [state = state_] {
    state->stopping = true;
    state->wake.cancel();
  });
}

void WebhookDispatcher::start() {
  asio::post(state_->strand, [state = state_] {
    if (state->running || state->stopping)
      return;
    state->running = true;
    asio::co_spawn(state->strand, State::run(state), asio::detached);
  });
}

void WebhookDispatcher::wake() {
  asio::post(state_->strand, [state = state_] {
    state->woken = true;
    state->wake.cancel();
  });
}

asio::awaitable<void> WebhookDispatcher::stop() {
  return asio::co_spawn(state_->strand, State::await_stop(state_), asio::use_awaitable);
}

}  // namespace ordo::services::notifications
