// The PostgreSQL migration lock (issue 14): a waiter gives up within its bound instead of hitting
// the statement timeout, takes the lock once it is free, and a holder that stalls mid-migration
// loses the lock to the server's idle-in-transaction timeout.
#include <atomic>
#include <chrono>
#include <exception>
#include <string>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "platform/sql/postgres_database.hpp"
#include "postgres_test_support.hpp"
#include "sql_test_support.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using ordo::testing::run_async;

const std::vector<Migration> kOne = {{1, "things", "any", "CREATE TABLE things (id TEXT)"}};

// Another instance's migration transaction, holding the schema's lock (blocking libpq: the test
// thread is not an event loop).
class LockHolder {
 public:
  LockHolder(const std::string& url, const std::string& schema) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK)
      throw std::runtime_error(PQerrorMessage(conn_));
    run("BEGIN");
    run("SELECT pg_advisory_xact_lock(hashtext('" + schema + "'))");
  }
  ~LockHolder() { PQfinish(conn_); }
  void release() { run("COMMIT"); }

 private:
  void run(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    bool ok =
        PQresultStatus(result) == PGRES_TUPLES_OK || PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (!ok)
      throw std::runtime_error(sql + ": " + PQerrorMessage(conn_));
  }
  PGconn* conn_;
};

TEST(PostgresMigrationLock, AWaiterGivesUpWithinItsBoundAsBusyAndSucceedsLater) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  ordo::testing::PostgresTestDatabase test(ctx, "miglock");
  MigrationOptions options{.lock_attempt = 100ms, .lock_wait = 600ms, .idle_timeout = 10s};
  LockHolder holder(ordo::testing::postgres_test_url(), test.schema);
  try {
    run_async<int>(ctx, migrate(*test.db, kOne, options));
    FAIL() << "no error";
  } catch (const Error& e) {
    // busy, not other: the service's start retries it instead of failing (issue 14's restarts).
    EXPECT_EQ(e.kind(), Error::Kind::busy) << e.what();
    EXPECT_NE(std::string(e.what()).find("migration lock"), std::string::npos) << e.what();
  }
  holder.release();
  EXPECT_EQ(run_async<int>(ctx, migrate(*test.db, kOne, options)), 1);
}

TEST(PostgresMigrationLock, AWaiterRetriesUntilTheLockIsFree) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  ordo::testing::PostgresTestDatabase test(ctx, "miglock");
  MigrationOptions options{.lock_attempt = 50ms, .lock_wait = 20s, .idle_timeout = 10s};
  LockHolder holder(ordo::testing::postgres_test_url(), test.schema);
  // Released from the loop while the migration is waiting (after some of its attempts).
  asio::steady_timer release(ctx);
  release.expires_after(400ms);
  release.async_wait([&](boost::system::error_code) { holder.release(); });
  EXPECT_EQ(run_async<int>(ctx, migrate(*test.db, kOne, options)), 1);
}

// A database whose migration transactions stall right after taking the lock, as an instance
// whose event loop froze would (issue 14: a blocking DNS lookup while opening a connection).
class StallingDatabase final : public Database {
 public:
  StallingDatabase(Database& inner, std::chrono::milliseconds stall)
      : inner_(inner), stall_(stall) {}
  Dialect dialect() const override { return inner_.dialect(); }
  const std::string& name() const override { return inner_.name(); }
  asio::awaitable<Result> query(std::string_view sql, std::vector<Value> params) override {
    return inner_.query(sql, std::move(params));
  }
  asio::awaitable<bool> ping() override { return inner_.ping(); }
  asio::awaitable<void> transact(std::function<asio::awaitable<void>(Transaction&)> body) override {
    co_await inner_.transact([this, &body](Transaction& tx) -> asio::awaitable<void> {
      Stalling stalling(tx, *this);
      co_await body(stalling);
    });
  }

  std::atomic<bool> holding{false};

 private:
  class Stalling final : public Transaction {
   public:
    Stalling(Transaction& tx, StallingDatabase& db) : tx_(tx), db_(db) {}
    asio::awaitable<Result> exec(std::string_view sql, std::vector<Value> params) override {
      Result result = co_await tx_.exec(sql, std::move(params));
      if (sql.find("pg_advisory_xact_lock") != std::string_view::npos) {
        db_.holding = true;
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(db_.stall_);
        co_await timer.async_wait(asio::use_awaitable);
      }
      co_return result;
    }

   private:
    Transaction& tx_;
    StallingDatabase& db_;
  };

  Database& inner_;
  std::chrono::milliseconds stall_;
};

TEST(PostgresMigrationLock, AStalledHolderLosesTheLock) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  ordo::testing::PostgresTestDatabase test(ctx, "miglock");
  StallingDatabase stalling(*test.db, 3s);
  PostgresOptions other_options;
  other_options.url = ordo::testing::postgres_test_url();
  other_options.schema = test.schema;
  auto other = open_postgres(ctx.get_executor(), "miglock-other", other_options);

  // The stalled instance: its session sits idle in its transaction, holding the lock, until the
  // server ends the session; its migration then fails.
  MigrationOptions stalled_options{.lock_attempt = 100ms, .lock_wait = 20s, .idle_timeout = 300ms};
  std::exception_ptr stalled_failure;
  bool stalled_done = false;
  asio::co_spawn(ctx, migrate(stalling, kOne, stalled_options), [&](std::exception_ptr e, int) {
    stalled_failure = e;
    stalled_done = true;
  });
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!stalling.holding && std::chrono::steady_clock::now() < deadline)
    ctx.run_one_for(50ms);
  ASSERT_TRUE(stalling.holding);

  // The other instance waits for the lock and gets it once the server ended the stalled session.
  MigrationOptions options{.lock_attempt = 100ms, .lock_wait = 20s, .idle_timeout = 10s};
  EXPECT_EQ(run_async<int>(ctx, migrate(*other, kOne, options)), 1);
  while (!stalled_done && std::chrono::steady_clock::now() < deadline)
    ctx.run_one_for(50ms);
  // After its stall, its next statement finds the session ended.
  ASSERT_TRUE(stalled_done);
  EXPECT_TRUE(stalled_failure);
  other.reset();
}

}  // namespace
}  // namespace ordo::sql
