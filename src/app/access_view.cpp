#include "app/access_view.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "contracts/events.hpp"
#include "platform/bus/consumer.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"

namespace ordo::app {
namespace asio = boost::asio;
namespace events = contracts::events;

namespace {

constexpr std::chrono::milliseconds kFollowInterval{250};
constexpr std::chrono::milliseconds kPruneInterval{60'000};
// Re-read rows changed this long before the last read: another instance's transaction may
// commit a little after the time it wrote, and instances' clocks differ a little.
constexpr std::int64_t kOverlapMs = 10'000;

void require(bool ok, const char* what) {
  if (!ok)
    throw std::invalid_argument(what);
}

events::UserRegistered decode_user_updated(const boost::json::value& data) {
  auto user = events::user_registered_from_json(data);
  require(!user.user_id.empty() && user.token_version >= 1, "no user id or token version");
  return user;
}

events::SessionEnded decode_session_ended(const boost::json::value& data) {
  auto session = events::session_ended_from_json(data);
  require(!session.session_id.empty(), "no session id");
  return session;
}

asio::awaitable<void> sleep(asio::steady_timer& timer, std::chrono::milliseconds duration) {
  timer.expires_after(duration);
  boost::system::error_code ec;  // operation_aborted is stop()
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

struct AccessView::State {
  State(asio::any_io_executor executor, sql::Database& db, std::string service)
      : strand(asio::make_strand(std::move(executor))),
        db(db),
        service(std::move(service)),
        wake(strand),
        finished_signal(strand, std::chrono::steady_clock::time_point::max()) {}

  asio::strand<asio::any_io_executor> strand;
  sql::Database& db;
  std::string service;
  auth::TokenRevocations revocations;
  asio::steady_timer wake;
  asio::steady_timer finished_signal;
  bool running = false;
  bool stopping = false;

  // Applied to memory inside the consumer's transaction, before it commits: revocations only
  // move forward (a version never goes back), so a rolled-back attempt that is redelivered
  // changes nothing, and a refusal a few milliseconds early is harmless.
  asio::awaitable<void> user_updated(sql::Transaction& tx, const events::UserRegistered& user) {
    co_await tx.exec(
        "INSERT INTO access_users (user_id, token_version, active, changed_at_ms) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET "
        "token_version = excluded.token_version, active = excluded.active, "
        "changed_at_ms = excluded.changed_at_ms "
        "WHERE excluded.token_version >= access_users.token_version",
        sql::params(user.user_id, user.token_version, user.active, core::unix_millis()));
    revocations.user_changed(user.user_id, {user.token_version, user.active});
  }

  asio::awaitable<void> session_ended(sql::Transaction& tx, const events::SessionEnded& session) {
    co_await tx.exec(
        "INSERT INTO access_sessions (session_id, user_id, until_s, recorded_at_ms) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO UPDATE SET "
        "until_s = excluded.until_s, recorded_at_ms = excluded.recorded_at_ms "
        "WHERE excluded.until_s > access_sessions.until_s",
        sql::params(session.session_id, session.user_id, session.until, core::unix_millis()));
    revocations.session_ended(session.session_id, session.until);
  }

  // Everything changed since since_ms (all of it for 0).
  asio::awaitable<void> read_since(std::int64_t since_ms) {
    auto users = co_await db.query(
        "SELECT user_id, token_version, active FROM access_users WHERE changed_at_ms >= $1",
        sql::params(since_ms));
    for (const auto& row : users.rows)
      revocations.user_changed(row.text(0), {row.integer(1), row.boolean(2)});
    auto sessions = co_await db.query(
        "SELECT session_id, until_s FROM access_sessions WHERE recorded_at_ms >= $1 AND until_s > "
        "$2",
        sql::params(since_ms, core::unix_seconds()));
    for (const auto& row : sessions.rows)
      revocations.session_ended(row.text(0), row.integer(1));
  }

  asio::awaitable<void> prune() {
    auto now_s = core::unix_seconds();
    revocations.forget_expired(now_s);
    co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec("DELETE FROM access_sessions WHERE until_s <= $1", sql::params(now_s));
    });
  }

  static asio::awaitable<void> run(std::shared_ptr<State> self) {
    // Only a shared (PostgreSQL) database has other instances to follow.
    bool follow = self->db.dialect() == sql::Dialect::postgres;
    auto interval = follow ? kFollowInterval : kPruneInterval;
    auto last_read_ms = core::unix_millis();
    auto last_prune = std::chrono::steady_clock::now();
    while (!self->stopping) {
      co_await sleep(self->wake, interval);
      if (self->stopping)
        break;
      try {
        if (follow) {
          auto started_ms = core::unix_millis();
          co_await self->read_since(last_read_ms - kOverlapMs);
          last_read_ms = started_ms;
        }
        if (std::chrono::steady_clock::now() - last_prune >= kPruneInterval) {
          last_prune = std::chrono::steady_clock::now();
          co_await self->prune();
        }
      } catch (const std::exception& e) {
        // The database is restarting or unreachable: the next round tries again.
        log::warn(self->service, "access view refresh failed", {{"error", e.what()}});
      }
    }
    self->running = false;
    self->finished_signal.cancel();
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

AccessView::AccessView(asio::any_io_executor executor, sql::Database& db, std::string service)
    : state_(std::make_shared<State>(std::move(executor), db, std::move(service))) {}

AccessView::~AccessView() {
  asio::post(state_->strand, [state = state_] {
    state->stopping = true;
    state->wake.cancel();
  });
}

std::vector<sql::Migration> AccessView::migrations() {
  return {
      {9101, "access_users", "any",
       "CREATE TABLE access_users (user_id TEXT PRIMARY KEY, token_version BIGINT NOT NULL, "
       "active INTEGER NOT NULL, changed_at_ms BIGINT NOT NULL); "
       "CREATE INDEX access_users_changed ON access_users (changed_at_ms)"},
      {9102, "access_sessions", "any",
       "CREATE TABLE access_sessions (session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, "
       "until_s BIGINT NOT NULL, recorded_at_ms BIGINT NOT NULL); "
       "CREATE INDEX access_sessions_recorded ON access_sessions (recorded_at_ms)"},
  };
}

bus::Subscription AccessView::subscription() {
  // Not coroutine lambdas: they hand the state (kept alive by the consumer) to its coroutines.
  auto user_updated = [state = state_](sql::Transaction& tx, const events::UserRegistered& user,
                                       const bus::CloudEvent&) {
    return state->user_updated(tx, user);
  };
  auto session_ended = [state = state_](sql::Transaction& tx, const events::SessionEnded& session,
                                        const bus::CloudEvent&) {
    return state->session_ended(tx, session);
  };
  bus::Consumer consumer(state_->db, state_->service + "-access");
  consumer.on(events::kUserUpdated, decode_user_updated, user_updated)
      .on(events::kUserSessionEnded, decode_session_ended, session_ended);
  return consumer.subscription();
}

const auth::TokenRevocations& AccessView::revocations() const {
  return state_->revocations;
}

asio::awaitable<void> AccessView::load() {
  // Just migrated, so the database answered a moment ago; a restart in between is waited out.
  asio::steady_timer timer(state_->strand);
  for (int attempt = 1;; ++attempt) {
    try {
      co_await state_->read_since(0);
      break;
    } catch (const sql::Error& e) {
      bool unreachable =
          e.kind() == sql::Error::Kind::connection || e.kind() == sql::Error::Kind::busy;
      if (!unreachable || attempt == 50)
        throw;
    }
    co_await sleep(timer, std::chrono::milliseconds(200));
  }
  log::info(state_->service, "access view loaded",
            {{"users", state_->revocations.users()}, {"sessions", state_->revocations.sessions()}});
}

void AccessView::start() {
  asio::post(state_->strand, [state = state_] {
    if (state->running || state->stopping)
      return;
    state->running = true;
    asio::co_spawn(state->strand, State::run(state), asio::detached);
  });
}

asio::awaitable<void> AccessView::stop() {
  return asio::co_spawn(state_->strand, State::await_stop(state_), asio::use_awaitable);
}

}  // namespace ordo::app
