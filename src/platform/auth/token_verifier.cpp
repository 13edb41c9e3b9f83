#include "platform/auth/token_verifier.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/log/log.hpp"

namespace ordo::auth {
namespace asio = boost::asio;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct TokenVerifier::State {
  asio::any_io_executor executor;
  KeyFetch fetch;  // empty: a fixed key set
  VerifyPolicy policy;
  KeyCacheOptions options;

  mutable std::mutex mutex;
  std::shared_ptr<const JwtVerifier> verifier;  // null until the first fetch succeeded
  bool in_flight = false;
  bool last_fetch_ok = false;
  bool started = false;
  bool stopped = false;
  std::optional<Clock::time_point> last_unknown_kid_fetch;
  // Called when the fetch in flight ends, whatever its outcome.
  std::vector<std::function<void()>> waiters;
  std::atomic<std::uint64_t> fetch_count{0};
  // The periodic loop's timer: only touched on `executor`.
  std::unique_ptr<asio::steady_timer> loop_timer;
};

namespace {
using State = TokenVerifier::State;

// Why a fetch is wanted: an unknown kid is rate-limited, the schedule is not.
enum class Reason { scheduled, unknown_kid };

// The scheduled loop waits this long at most for its own fetch before it looks again (a fetch
// has its own time limits; this only keeps the loop from waiting on a lost wake-up forever).
constexpr milliseconds kScheduledFetchWait{30'000};

void finish_fetch(State& state, std::optional<KeySet> keys) {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(state.mutex);
    if (keys)
      state.verifier = std::make_shared<const JwtVerifier>(std::move(*keys), state.policy);
    state.last_fetch_ok = keys.has_value();
    state.in_flight = false;
    waiters.swap(state.waiters);
  }
  for (auto& wake : waiters)
    wake();
}

asio::awaitable<void> run_fetch(std::shared_ptr<State> state) {
  std::optional<KeySet> keys;
  std::string failure;
  try {
    KeySet fetched = co_await state->fetch();
    if (fetched.empty())
      failure = "no keys are published";
    else
      keys = std::move(fetched);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!keys)
    log::warn("auth", "cannot fetch the token verification keys (JWKS)", {{"error", failure}});
  finish_fetch(*state, std::move(keys));
}

// Joins the fetch in flight or starts one, then waits (at most `bound`) for it to end. Returns
// false, at once, when no fetch was allowed (stopped, no source, or an unknown kid within the
// cooldown of the last one).
asio::awaitable<bool> refresh(std::shared_ptr<State> state, Reason reason, milliseconds bound) {
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor);
  timer->expires_after(bound);
  auto woken = std::make_shared<std::atomic<bool>>(false);
  bool allowed = true;
  bool start = false;
  {
    std::lock_guard lock(state->mutex);
    if (state->stopped || !state->fetch) {
      allowed = false;
    } else if (!state->in_flight) {
      auto now = Clock::now();
      if (reason == Reason::unknown_kid) {
        const auto& last = state->last_unknown_kid_fetch;
        allowed = !last || now - *last >= state->options.unknown_kid_cooldown;
        if (allowed)
          state->last_unknown_kid_fetch = now;
      }
      start = allowed;
      if (start) {
        state->in_flight = true;
        ++state->fetch_count;
      }
    }
    if (allowed) {
      // Wakes the waiter on its own executor: timers are not for other threads to touch.
      state->waiters.push_back([timer, woken] {
        woken->store(true);
        asio::post(timer->get_executor(), [timer] { timer->cancel(); });
      });
    }
  }
  if (!allowed)
    co_return false;
  if (start)
    asio::co_spawn(state->executor, run_fetch(state), asio::detached);
  if (!woken->load()) {
    boost::system::error_code ignored;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return true;
}

asio::awaitable<void> keep_fresh(std::shared_ptr<State> state) {
  auto backoff = state->options.retry_min;
  for (;;) {
    co_await refresh(state, Reason::scheduled, kScheduledFetchWait);
    bool ok = false;
    bool stopped = false;
    {
      std::lock_guard lock(state->mutex);
      stopped = state->stopped;
      ok = state->last_fetch_ok;
    }
    if (stopped)
      co_return;
    auto delay = ok ? state->options.refresh_interval : backoff;
    backoff = ok ? state->options.retry_min : std::min(backoff * 2, state->options.retry_max);
    state->loop_timer->expires_after(delay);
    boost::system::error_code ignored;
    co_await state->loop_timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

VerifyResult unknown_key() {
  return VerifyResult{std::nullopt, JwtError::unknown_key};
}
}  // namespace

TokenVerifier::TokenVerifier(asio::any_io_executor fetch_executor, KeyFetch fetch,
                             VerifyPolicy policy, KeyCacheOptions options)
    : state_(std::make_shared<State>()) {
  state_->executor = std::move(fetch_executor);
  state_->fetch = std::move(fetch);
  state_->policy = std::move(policy);
  state_->options = options;
}

TokenVerifier::TokenVerifier(asio::any_io_executor executor, KeySet keys, VerifyPolicy policy)
    : state_(std::make_shared<State>()) {
  state_->executor = std::move(executor);
  state_->policy = std::move(policy);
  state_->verifier = std::make_shared<const JwtVerifier>(std::move(keys), state_->policy);
  state_->last_fetch_ok = true;
}

TokenVerifier::~TokenVerifier() {
  stop();
}

void TokenVerifier::start() {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->fetch || state_->started || state_->stopped)
      return;
    state_->started = true;
  }
  state_->loop_timer = std::make_unique<asio::steady_timer>(state_->executor);
  asio::co_spawn(state_->executor, keep_fresh(state_), asio::detached);
}

void TokenVerifier::stop() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopped)
      return;
    state_->stopped = true;
    if (!state_->started)
      return;
  }
  asio::post(state_->executor, [state = state_] { state->loop_timer->cancel(); });
}

VerifyResult TokenVerifier::verify_known(std::string_view token) const {
  std::shared_ptr<const JwtVerifier> verifier;
  {
    std::lock_guard lock(state_->mutex);
    verifier = state_->verifier;
  }
  return verifier ? verifier->verify(token) : unknown_key();
}

asio::awaitable<VerifyResult> TokenVerifier::verify(std::string token) const {
  auto result = verify_known(token);
  if (result.ok() || result.error != JwtError::unknown_key)
    co_return result;
  auto wait = state_->options.unknown_kid_wait;
  bool refreshed = co_await refresh(state_, Reason::unknown_kid, wait);
  if (!refreshed)
    co_return result;
  co_return verify_known(token);
}

bool TokenVerifier::has_keys() const {
  std::lock_guard lock(state_->mutex);
  return state_->verifier != nullptr;
}

asio::awaitable<bool> TokenVerifier::wait_for_keys(milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  // Only at start: a short poll is simpler than another kind of waiter.
  while (!has_keys() && Clock::now() < deadline) {
    timer.expires_after(std::min<Clock::duration>(milliseconds(20), deadline - Clock::now()));
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return has_keys();
}

std::uint64_t TokenVerifier::fetches() const {
  return state_->fetch_count.load();
}

}  // namespace ordo::auth
