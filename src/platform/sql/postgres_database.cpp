// The PostgreSQL Database: a pool of non-blocking libpq connections on a strand of the service's
// executor. Connections are made on demand, checked before reuse and replaced when they break;
// after a failed connect, attempts back off so an unreachable server costs callers nothing.
#include "platform/sql/postgres_database.hpp"

#include <algorithm>
#include <deque>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/log/log.hpp"
#include "platform/sql/postgres_connection.hpp"
#include "platform/sql/postgres_transaction.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Body = std::function<asio::awaitable<void>(Transaction&)>;

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr std::chrono::milliseconds kAnswerGrace{2000};
constexpr int kSchemaAttempts = 5;

// The connections and everyone waiting for one. Shared with the coroutines that use it, so a
// coroutine frame destroyed late (at io_context shutdown) still finds it.
class Pool : public std::enable_shared_from_this<Pool> {
 public:
  Pool(asio::any_io_executor executor, std::string name, const PostgresOptions& options)
      : strand_(asio::make_strand(executor)), name_(std::move(name)), options_(options) {
    settings_.url = options.url;
    settings_.application_name = "ordo-" + name_;
    settings_.connect_timeout = options.connect_timeout;
    settings_.lookup = options.lookup;
    if (options.statement_timeout.count() > 0) {
      settings_.answer_timeout = options.statement_timeout + kAnswerGrace;
    }
    options_.pool_size = std::max(1, options.pool_size);
    if (options_.schema.empty()) {
      options_.schema = name_;
    }
  }

  const asio::strand<asio::any_io_executor>& strand() const { return strand_; }
  const std::string& name() const { return name_; }

  // A connection borrowed from the pool, given back (or discarded when unfit) on destruction.
  class Lease {
   public:
    Lease(std::shared_ptr<Pool> pool, std::unique_ptr<PostgresConnection> connection, bool reused)
        : pool_(std::move(pool)), connection_(std::move(connection)), reused_(reused) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ && connection_) {
        pool_->release(std::move(connection_));
      }
    }
    PostgresConnection& operator*() const { return *connection_; }
    PostgresConnection* operator->() const { return connection_.get(); }
    bool reused() const { return reused_; }

   private:
    std::shared_ptr<Pool> pool_;
    std::unique_ptr<PostgresConnection> connection_;
    bool reused_;
  };

  // Waits (asynchronously) for a free connection, or makes one while the pool has room.
  // Throws sql::Error(connection) while the server is unreachable.
  asio::awaitable<Lease> acquire(bool ignore_backoff) {
    auto self = shared_from_this();
    for (;;) {
      while (!idle_.empty()) {
        auto connection = std::move(idle_.back());  // the most recently used: likely warm
        idle_.pop_back();
        if (connection->still_alive()) {
          co_return Lease(self, std::move(connection), true);
        }
        --open_;  // dropped by the server while idle (restart, idle timeout)
      }
      if (open_ < options_.pool_size) {
        if (!ignore_backoff && Clock::now() < next_attempt_) {
          throw Error(Error::Kind::connection,
                      "postgres " + name_ + ": unreachable (" + last_failure_ + ")");
        }
        ++open_;
        auto connection = co_await connect_counted();
        co_return Lease(self, std::move(connection), false);
      }
      auto waiter = std::make_shared<Waiter>(strand_);
      waiters_.push_back(waiter);
      waiter->timer.expires_after(options_.connect_timeout + options_.statement_timeout +
                                  kAnswerGrace);
      boost::system::error_code ec;
      co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (waiter->connection) {
        co_return Lease(self, std::move(waiter->connection), true);
      }
      if (!waiter->woken) {
        throw Error(Error::Kind::busy,
                    "postgres " + name_ + ": no free connection in the pool in time");
      }
      // Woken without a connection: one was discarded or a connect failed. Look again.
    }
  }

  void release(std::unique_ptr<PostgresConnection> connection) {
    if (!connection->reusable()) {
      connection.reset();
      --open_;
      wake_waiter(nullptr);
      return;
    }
    if (!wake_waiter(&connection)) {
      idle_.push_back(std::move(connection));
    }
  }

 private:
  struct Waiter {
    explicit Waiter(const asio::strand<asio::any_io_executor>& strand) : timer(strand) {}
    asio::steady_timer timer;
    std::unique_ptr<PostgresConnection> connection;
    bool woken = false;
  };

  // Hands the connection (or, with null, just a turn to look again) to the longest waiter.
  bool wake_waiter(std::unique_ptr<PostgresConnection>* connection) {
    while (!waiters_.empty()) {
      auto waiter = waiters_.front().lock();
      waiters_.pop_front();
      if (!waiter || waiter->woken) {
        continue;  // gave up waiting
      }
      waiter->woken = true;
      if (connection) {
        waiter->connection = std::move(*connection);
      }
      waiter->timer.cancel();
      return true;
    }
    return false;
  }

  void wake_all_waiters() {
    while (wake_waiter(nullptr)) {
    }
  }

  // Connects one more connection (open_ already counts it), keeping the count and the backoff
  // right whichever way it ends.
  asio::awaitable<std::unique_ptr<PostgresConnection>> connect_counted() {
    std::unique_ptr<PostgresConnection> connection;
    std::exception_ptr failure;
    std::string reason;
    try {
      connection = co_await connect_session();
    } catch (const std::exception& e) {
      failure = std::current_exception();
      reason = e.what();
    }
    if (failure) {
      --open_;
      note_failure(reason);
      wake_all_waiters();  // they fail fast now instead of waiting out their timers
      std::rethrow_exception(failure);
    }
    if (backoff_.count() > 0) {
      log::info(name_, "postgres reachable again");
    }
    backoff_ = std::chrono::milliseconds(0);
    next_attempt_ = Clock::time_point{};
    co_return connection;
  }

  void note_failure(const std::string& reason) {
    if (backoff_.count() == 0) {
      log::warn(name_, "postgres unreachable", {{"error", reason}});
    }
    backoff_ = std::clamp(backoff_ * 2, kFirstBackoff, kMaxBackoff);
    next_attempt_ = Clock::now() + backoff_;
    last_failure_ = reason;
  }

  // A connected session in the service's schema, with the statement timeout set.
  asio::awaitable<std::unique_ptr<PostgresConnection>> connect_session() {
    auto connection = co_await PostgresConnection::connect(strand_, settings_);
    std::string schema = quote_identifier(options_.schema);
    if (!schema_ready_) {
      co_await create_schema(*connection, schema);
      schema_ready_ = true;
    }
    std::vector<Value> no_params;
    co_await connection->exec("SET search_path TO " + schema + "; SET statement_timeout = " +
                                  std::to_string(options_.statement_timeout.count()),
                              no_params);
    co_return connection;
  }

  // CREATE SCHEMA IF NOT EXISTS is not atomic: two instances creating the schema at once may see
  // a duplicate (42P06) or unique violation (23505). The schema then exists: try again.
  static asio::awaitable<void> create_schema(PostgresConnection& connection,
                                             const std::string& schema) {
    std::vector<Value> no_params;
    for (int attempt = 1;; ++attempt) {
      bool raced = false;
      try {
        co_await connection.exec("CREATE SCHEMA IF NOT EXISTS " + schema, no_params);
        co_return;
      } catch (const Error& e) {
        std::string_view what = e.what();
        raced = attempt < kSchemaAttempts &&
                (e.kind() == Error::Kind::unique_violation || what.find("42P06") != what.npos);
        if (!raced) {
          throw;
        }
      }
    }
  }

  asio::strand<asio::any_io_executor> strand_;
  std::string name_;
  PostgresOptions options_;
  PostgresConnectSettings settings_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_;
  int open_ = 0;  // connections alive or being made
  std::deque<std::weak_ptr<Waiter>> waiters_;
  std::chrono::milliseconds backoff_{0};
  Clock::time_point next_attempt_{};
  std::string last_failure_;
  bool schema_ready_ = false;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(asio::any_io_executor executor, std::string name, const PostgresOptions& options)
      : pool_(std::make_shared<Pool>(std::move(executor), std::move(name), options)) {}

  Dialect dialect() const override { return Dialect::postgres; }
  const std::string& name() const override { return pool_->name(); }

  // Not coroutines: the SQL is copied before the caller's string_view can go away, and the work
  // runs on the pool's strand whatever executor the caller is on.
  asio::awaitable<Result> query(std::string_view sql, std::vector<Value> params) override {
    ++counters_->statements;
    ++counters_->round_trips;
    return asio::co_spawn(pool_->strand(),
                          run_query(pool_, counters_, std::string(sql), std::move(params)),
                          asio::use_awaitable);
  }

  asio::awaitable<void> transact(Body body) override {
    return asio::co_spawn(pool_->strand(), run_transaction(pool_, counters_, std::move(body)),
                          asio::use_awaitable);
  }

  asio::awaitable<bool> ping() override {
    return asio::co_spawn(pool_->strand(), run_ping(pool_), asio::use_awaitable);
  }

 private:
  // A lease, counted as waiting until the pool gives it and as in use while it is held.
  static asio::awaitable<Pool::Lease> counted_lease(Pool& pool, Counters& counters) {
    GaugeGuard waiting(counters.waiting);
    co_return co_await pool.acquire(false);
  }

  static asio::awaitable<Result> run_query(std::shared_ptr<Pool> pool,
                                           std::shared_ptr<Counters> counting, std::string sql,
                                           std::vector<Value> params) {
    Counters& counters = *counting;
    CallTimer timer(counters.call_seconds);
    // A reused connection may have died since its last use without us noticing: one retry on a
    // fresh one. A read-only statement is safe to repeat.
    for (int attempt = 1;; ++attempt) {
      bool retry = false;
      {
        Pool::Lease lease = co_await counted_lease(*pool, counters);
        GaugeGuard in_use(counters.in_use);
        try {
          co_return co_await lease->exec(sql, params);
        } catch (const Error& e) {
          retry = attempt == 1 && lease.reused() && e.kind() == Error::Kind::connection;
          if (!retry) {
            throw;
          }
        }
      }
    }
  }

  static asio::awaitable<void> run_transaction(std::shared_ptr<Pool> pool,
                                               std::shared_ptr<Counters> counting, Body body) {
    Counters& counters = *counting;
    CallTimer timer(counters.call_seconds);
    Pool::Lease lease = co_await counted_lease(*pool, counters);
    GaugeGuard in_use(counters.in_use);
    PostgresTransaction tx(*lease, counters);
    std::exception_ptr failure;
    try {
      co_await body(tx);
    } catch (...) {
      failure = std::current_exception();
    }
    tx.end();
    if (failure) {
      if (tx.begun()) {
        ++counters.transactions;
        ++counters.round_trips;
        co_await rollback(*lease);
      }
      std::rethrow_exception(failure);
    }
    if (!tx.begun()) {
      co_return;  // the body ran no statement: there is nothing to commit
    }
    ++counters.transactions;
    ++counters.round_trips;
    std::vector<Value> no_params;
    co_await lease->exec("COMMIT", no_params);
    if (lease->last_command() != "COMMIT") {
      // The body swallowed a failed statement: PostgreSQL answers COMMIT with ROLLBACK.
      throw Error(Error::Kind::other,
                  "postgres " + pool->name() + ": transaction rolled back (a statement failed)");
    }
  }

  // Best effort: a connection that cannot roll back is left in a transaction or broken, and the
  // pool discards it on release.
  static asio::awaitable<void> rollback(PostgresConnection& connection) {
    try {
      std::vector<Value> no_params;
      co_await connection.exec("ROLLBACK", no_params);
    } catch (const std::exception&) {
      // Nothing more to do: release() sees the state.
    }
  }

  static asio::awaitable<bool> run_ping(std::shared_ptr<Pool> pool) {
    try {
      Pool::Lease lease = co_await pool->acquire(true);
      std::vector<Value> no_params;
      Result result = co_await lease->exec("SELECT 1", no_params);
      co_return result.rows.size() == 1;
    } catch (const std::exception&) {
      co_return false;
    }
  }

  std::shared_ptr<Pool> pool_;
};
}  // namespace

std::unique_ptr<Database> open_postgres(asio::any_io_executor executor,
                                        const std::string& service_name,
                                        const PostgresOptions& options) {
  return std::make_unique<PostgresDatabase>(std::move(executor), service_name, options);
}

}  // namespace ordo::sql
