// The PostgreSQL Database against a real server (ORDO_TEST_POSTGRES_URL): types, errors,
// transactions on the pool, timeouts, migrations, and a server that is down or restarts.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
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

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override { log::set_level(log::Level::off); }

  Result query(const std::string& sql, std::vector<Value> params = {}) {
    return run_async<Result>(ctx_, db().query(sql, std::move(params)));
  }
  void exec(const std::string& sql, std::vector<Value> params = {}) {
    run_async(ctx_, db().transact([&](Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec(sql, params);
    }));
  }
  Database& db() { return *test_db_.db; }

  asio::io_context ctx_;
  ordo::testing::PostgresTestDatabase test_db_{ctx_, "pgtest"};
};

TEST_F(PostgresTest, TypesRoundTripByColumnType) {
  exec(
      "CREATE TABLE t (i BIGINT, s INTEGER, r DOUBLE PRECISION, x TEXT, j JSONB, b BOOLEAN, "
      "n NUMERIC, at TIMESTAMPTZ)");
  exec("INSERT INTO t VALUES ($1, $2, $3, $4, $5, true, $6, $7)",
       params(std::int64_t{9007199254740993}, 42, 2.5, "hé \"x\"", R"({"a": [1, 2]})", 12.75,
              "2024-01-02T03:04:05Z"));
  Result r = query("SELECT i, s, r, x, j, b, n, at FROM t");
  ASSERT_EQ(r.rows.size(), 1u);
  const Row& row = r.one();
  EXPECT_EQ(row.value(0), Value(std::int64_t{9007199254740993}));
  EXPECT_EQ(row.value(1), Value(std::int64_t{42}));
  EXPECT_EQ(row.value(2), Value(2.5));
  EXPECT_EQ(row.text(3), "hé \"x\"");
  EXPECT_EQ(row.text(4), R"({"a": [1, 2]})");
  EXPECT_TRUE(row.boolean(5));
  EXPECT_EQ(row.value(6), Value(12.75));
  EXPECT_TRUE(row.text(7).starts_with("2024-01-02 03:04:05"));
}

TEST_F(PostgresTest, NullsBothWays) {
  exec("CREATE TABLE t (i BIGINT, x TEXT)");
  exec("INSERT INTO t VALUES ($1, $2)", params(std::optional<std::int64_t>{}, Null{}));
  Result r = query("SELECT i, x FROM t WHERE x IS NULL");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_TRUE(r.one().is_null(0));
  EXPECT_EQ(r.one().optional_text(1), std::nullopt);
}

TEST_F(PostgresTest, NumericSumsComeBackAsIntegersAndAveragesAsReals) {
  exec("CREATE TABLE t (n BIGINT)");
  exec("INSERT INTO t VALUES (1), (2), (4)");
  Result r = query("SELECT SUM(n), AVG(n), COUNT(*), SUM(n) / 2.0 FROM t");
  EXPECT_EQ(r.one().value(0), Value(std::int64_t{7}));
  EXPECT_NEAR(std::get<double>(r.one().value(1)), 7.0 / 3, 1e-9);
  EXPECT_EQ(r.one().value(2), Value(std::int64_t{3}));
  EXPECT_EQ(r.one().value(3), Value(3.5));
  EXPECT_TRUE(query("SELECT SUM(n) FROM t WHERE n > 100").one().is_null(0));
}

TEST_F(PostgresTest, AffectedRowsCountUpdates) {
  exec("CREATE TABLE t (n BIGINT)");
  exec("INSERT INTO t VALUES (1), (2), (3)");
  Result r = run_async<Result>(ctx_, db().query("UPDATE t SET n = n + 1 WHERE n >= $1", params(2)));
  EXPECT_EQ(r.affected_rows, 2);
}

// Larger than the socket buffers both ways: the send waits for the socket to drain, the read
// for more data (over TLS too, where OpenSSL may hold bytes the socket no longer shows).
TEST_F(PostgresTest, LargeParametersAndResults) {
  exec("CREATE TABLE t (x TEXT)");
  std::string big(4 << 20, 'x');
  big[12345] = 'y';
  exec("INSERT INTO t VALUES ($1)", params(big));
  EXPECT_EQ(query("SELECT x FROM t").one().text(0), big);
  Result many = query("SELECT g, repeat('z', 100) FROM generate_series(1, 20000) g");
  ASSERT_EQ(many.rows.size(), 20000u);
  EXPECT_EQ(many.rows.back().integer(0), 20000);
}

TEST_F(PostgresTest, DuplicateKeyIsAUniqueViolationWithTheServersMessage) {
  exec("CREATE TABLE t (id TEXT PRIMARY KEY)");
  exec("INSERT INTO t VALUES ($1)", params("a"));
  try {
    exec("INSERT INTO t VALUES ($1)", params("a"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::unique_violation);
    EXPECT_NE(std::string(e.what()).find("23505"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
  }
  // The connection is fine afterwards.
  EXPECT_EQ(query("SELECT COUNT(*) FROM t").one().integer(0), 1);
}

TEST_F(PostgresTest, SyntaxErrorIsOther) {
  try {
    query("SELEC 1");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::other);
    EXPECT_NE(std::string(e.what()).find("42601"), std::string::npos) << e.what();
  }
}

TEST_F(PostgresTest, ThrowingBodyRollsBackAndRethrows) {
  exec("CREATE TABLE t (n BIGINT)");
  EXPECT_THROW(run_async(ctx_, db().transact([](Transaction& tx) -> asio::awaitable<void> {
                 co_await tx.exec("INSERT INTO t VALUES (1)");
                 throw std::runtime_error("body failed");
               })),
               std::runtime_error);
  EXPECT_EQ(query("SELECT COUNT(*) FROM t").one().integer(0), 0);
}

TEST_F(PostgresTest, BodyThatSwallowsAFailedStatementDoesNotCommit) {
  exec("CREATE TABLE t (id TEXT PRIMARY KEY)");
  exec("INSERT INTO t VALUES ('a')");
  EXPECT_THROW(run_async(ctx_, db().transact([](Transaction& tx) -> asio::awaitable<void> {
                 co_await tx.exec("INSERT INTO t VALUES ('b')");
                 try {
                   co_await tx.exec("INSERT INTO t VALUES ('a')");
                 } catch (const Error&) {
                 }
               })),
               Error);
  EXPECT_EQ(query("SELECT COUNT(*) FROM t").one().integer(0), 1);
}

// Transactions run concurrently on the pool; a conditional update keeps stock from going below
// zero whatever the interleaving.
TEST_F(PostgresTest, ConcurrentConditionalDecrementsNeverGoBelowZero) {
  exec("CREATE TABLE stock (id TEXT PRIMARY KEY, n BIGINT NOT NULL CHECK (n >= 0))");
  exec("INSERT INTO stock VALUES ('a', 50)");
  int succeeded = 0;
  int finished = 0;
  auto decrement = [&]() -> asio::awaitable<void> {
    co_await db().transact([&](Transaction& tx) -> asio::awaitable<void> {
      Result r = co_await tx.exec("UPDATE stock SET n = n - 1 WHERE id = 'a' AND n >= 1");
      co_await tx.exec("SELECT pg_sleep(0.001)");
      if (r.affected_rows == 1) {
        ++succeeded;
      }
    });
    ++finished;
  };
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(ctx_, decrement(), asio::detached);
  }
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(ctx_);
    while (finished < 200) {
      timer.expires_after(10ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }());
  EXPECT_EQ(succeeded, 50);
  EXPECT_EQ(query("SELECT n FROM stock").one().integer(0), 0);
}

// The io thread keeps running other work while a statement is in flight.
TEST_F(PostgresTest, SlowStatementDoesNotBlockTheEventLoop) {
  int ticks = 0;
  auto ticker = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(ctx_);
    for (int i = 0; i < 20; ++i) {
      timer.expires_after(10ms);
      co_await timer.async_wait(asio::use_awaitable);
      ++ticks;
    }
  };
  asio::co_spawn(ctx_, ticker(), asio::detached);
  query("SELECT pg_sleep(0.5)");
  EXPECT_GE(ticks, 15);
}

TEST_F(PostgresTest, CallersBeyondThePoolWaitForAConnection) {
  // A service name of its own: other tests on the same server do not add to its backends.
  std::string service = ordo::testing::unique_schema("pool");
  ordo::testing::PostgresTestDatabase pool(ctx_, service);
  int done = 0;
  auto sleeper = [&]() -> asio::awaitable<void> {
    co_await pool.db->query("SELECT pg_sleep(0.05)");
    ++done;
  };
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(ctx_, sleeper(), asio::detached);
  }
  auto start = std::chrono::steady_clock::now();
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(ctx_);
    while (done < 20) {
      timer.expires_after(5ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }());
  // 4 connections: 5 rounds of 50 ms, not 20 at once.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_EQ(query("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1",
                  params("ordo-" + service))
                .one()
                .integer(0),
            4);
}

TEST_F(PostgresTest, MultiStatementMigrationsApplyOnceEvenFromTwoInstancesAtOnce) {
  std::vector<Migration> migrations = {
      {1, "things", "any",
       "-- comment\nCREATE TABLE things (id TEXT PRIMARY KEY, name TEXT);\n"
       "INSERT INTO things VALUES ('a', 'x;y');\nINSERT INTO things VALUES ('b', 'z');\n"},
      {2, "sqlite_only", "sqlite", "THIS IS NOT POSTGRES"},
      {3, "seq", "postgres", "CREATE TABLE s (seq BIGINT GENERATED ALWAYS AS IDENTITY)"},
  };
  PostgresOptions options{.url = ordo::testing::postgres_test_url(), .schema = test_db_.schema};
  auto second = open_postgres(ctx_.get_executor(), "pgtest", options);
  int applied_first = 0;
  int applied_second = 0;
  int finished = 0;
  auto first = [&]() -> asio::awaitable<void> {
    applied_first = co_await migrate(db(), migrations);
    ++finished;
  };
  auto second_instance = [&]() -> asio::awaitable<void> {
    applied_second = co_await migrate(*second, migrations);
    ++finished;
  };
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    asio::co_spawn(ctx_, first(), asio::detached);
    asio::co_spawn(ctx_, second_instance(), asio::detached);
    asio::steady_timer timer(ctx_);
    while (finished < 2) {
      timer.expires_after(5ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }());
  EXPECT_EQ(applied_first + applied_second, 2);
  EXPECT_EQ(query("SELECT COUNT(*) FROM things").one().integer(0), 2);
  EXPECT_EQ(query("SELECT name FROM things WHERE id = 'a'").one().text(0), "x;y");
  EXPECT_EQ(run_async<int>(ctx_, migrate(db(), migrations)), 0);
}

TEST(PostgresTimeout, StatementBeyondTheTimeoutFailsAndTheConnectionStaysUsable) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  PostgresOptions options;
  options.pool_size = 1;
  options.statement_timeout = 200ms;
  ordo::testing::PostgresTestDatabase test_db(ctx, "timeout", options);
  auto start = std::chrono::steady_clock::now();
  try {
    run_async<Result>(ctx, test_db.db->query("SELECT pg_sleep(3)"));
    FAIL() << "no timeout";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::other);
    EXPECT_NE(std::string(e.what()).find("57014"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(run_async<Result>(ctx, test_db.db->query("SELECT 1")).one().integer(0), 1);
}

// ---- a server of the test's own, stopped and started ----

bool ping(asio::io_context& ctx, Database& db) {
  return run_async<bool>(ctx, db.ping());
}

bool wait_for_ping(asio::io_context& ctx, Database& db) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ping(ctx, db)) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

void expect_connection_error(asio::io_context& ctx, Database& db) {
  try {
    run_async<Result>(ctx, db.query("SELECT 1"));
    ADD_FAILURE() << "query succeeded while the server is down";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::connection) << e.what();
  }
}

TEST(PostgresServer, DownAtOpenThenComesUp) {
  log::set_level(log::Level::off);
  ordo::testing::PrivatePostgres server;
  asio::io_context ctx;
  auto start = std::chrono::steady_clock::now();
  auto db = open_postgres(ctx.get_executor(), "late", {.url = server.url(), .schema = "late"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_FALSE(ping(ctx, *db));
  expect_connection_error(ctx, *db);
  expect_connection_error(ctx, *db);  // again at once, within the backoff: still an error

  server.start();
  ASSERT_TRUE(wait_for_ping(ctx, *db));
  run_async(ctx, db->transact([](Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec("CREATE TABLE t (n BIGINT)");
    co_await tx.exec("INSERT INTO t VALUES (1)");
  }));
  Result r = run_async<Result>(ctx, db->query("SELECT current_schema(), COUNT(*) FROM t"));
  EXPECT_EQ(r.one().text(0), "late");
  EXPECT_EQ(r.one().integer(1), 1);
}

TEST(PostgresServer, RestartReplacesEveryPooledConnection) {
  log::set_level(log::Level::off);
  ordo::testing::PrivatePostgres server;
  server.start();
  asio::io_context ctx;
  auto db = open_postgres(ctx.get_executor(), "restart", {.url = server.url(), .schema = "r"});
  run_async(ctx, db->transact([](Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec("CREATE TABLE t (n BIGINT)");
  }));
  // Fill the pool: four connections, all of which the restart will kill.
  auto fill = [&]() -> asio::awaitable<void> {
    int done = 0;
    auto one = [&]() -> asio::awaitable<void> {
      co_await db->query("SELECT pg_sleep(0.05)");
      ++done;
    };
    for (int i = 0; i < 4; ++i) {
      asio::co_spawn(ctx, one(), asio::detached);
    }
    asio::steady_timer timer(ctx);
    while (done < 4) {
      timer.expires_after(5ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
  };
  run_async(ctx, fill());

  server.stop();
  EXPECT_FALSE(ping(ctx, *db));
  expect_connection_error(ctx, *db);

  server.start();
  ASSERT_TRUE(wait_for_ping(ctx, *db));
  // Every caller gets a working connection, none a stale one.
  run_async(ctx, fill());
  for (int i = 0; i < 8; ++i) {
    run_async(ctx, db->transact([](Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec("INSERT INTO t VALUES (1)");
    }));
  }
  EXPECT_EQ(run_async<Result>(ctx, db->query("SELECT COUNT(*) FROM t")).one().integer(0), 8);
}

}  // namespace
}  // namespace ordo::sql
