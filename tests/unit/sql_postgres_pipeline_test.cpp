// The PostgreSQL driver's prepared-statement cache and pipeline mode against a real server
// (ORDO_TEST_POSTGRES_URL): statements prepared once per connection, stale ones prepared again,
// batches and BEGIN in one round trip, and the same error semantics as one statement at a time.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "platform/log/log.hpp"
#include "platform/sql/postgres_connection.hpp"
#include "platform/sql/postgres_database.hpp"
#include "platform/sql/postgres_transaction.hpp"
#include "postgres_test_support.hpp"
#include "sql_test_support.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;
using ordo::testing::run_async;

PostgresOptions one_connection() {
  PostgresOptions options;
  options.pool_size = 1;  // every statement on the same session, which pg_prepared_statements shows
  return options;
}

// One INSERT per id (a variadic call, so no braced list ends up inside a co_await).
template <typename... Ids>
std::vector<Statement> inserts(const Ids&... ids) {
  std::vector<Statement> statements;
  (statements.push_back({"INSERT INTO t (id) VALUES ($1) RETURNING id", params(ids)}), ...);
  return statements;
}

class PostgresPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);
    exec("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT)");
  }

  Result query(const std::string& sql, std::vector<Value> params = {}) {
    return run_async<Result>(ctx_, db().query(sql, std::move(params)));
  }
  void exec(const std::string& sql, std::vector<Value> params = {}) {
    run_async(ctx_, db().transact([&](Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec(sql, params);
    }));
  }
  std::vector<Result> exec_all(std::vector<Statement> statements) {
    std::vector<Result> results;
    run_async(ctx_, db().transact([&](Transaction& tx) -> asio::awaitable<void> {
      results = co_await tx.exec_all(std::move(statements));
    }));
    return results;
  }
  std::int64_t count() { return query("SELECT COUNT(*) FROM t").one().integer(0); }
  // The session's prepared statements with this text (the pool has one connection).
  std::int64_t prepared(const std::string& sql) {
    return query("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement = $1", params(sql))
        .one()
        .integer(0);
  }
  Database& db() { return *test_db_.db; }

  asio::io_context ctx_;
  ordo::testing::PostgresTestDatabase test_db_{ctx_, "pipe", one_connection()};
};

TEST_F(PostgresPipelineTest, StatementsArePreparedOnceAndReused) {
  const std::string select = "SELECT COUNT(*) FROM t WHERE n < $1";
  for (int i = 0; i < 5; ++i) {
    query(select, params(5));
  }
  EXPECT_EQ(prepared(select), 1);
  Result uses =
      query("SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE statement = $1",
            params(select));
  EXPECT_EQ(uses.one().integer(0), 5);
  // Other parameter types are another statement: the server typed the first one's parameters.
  query(select, params(2.5));
  EXPECT_EQ(prepared(select), 2);
  // Statements without a plan (DDL, transaction control) are not kept.
  EXPECT_EQ(prepared("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT)"), 0);
  EXPECT_EQ(query("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement = 'BEGIN'")
                .one()
                .integer(0),
            0);
}

// A prepared SELECT * whose table gained a column fails on the server with "cached plan must not
// change result type" (0A000): the driver prepares it again and the caller never sees it.
TEST_F(PostgresPipelineTest, StaleStatementOutsideATransactionIsPreparedAgain) {
  exec("INSERT INTO t (id, n) VALUES ('a', 1)");
  EXPECT_EQ(query("SELECT * FROM t").one().size(), 2u);
  exec("ALTER TABLE t ADD COLUMN note TEXT DEFAULT 'x'");
  Result after = query("SELECT * FROM t");
  ASSERT_EQ(after.one().size(), 3u);
  EXPECT_EQ(after.one().text(2), "x");
  EXPECT_EQ(prepared("SELECT * FROM t"), 1);  // the stale one was deallocated
}

TEST_F(PostgresPipelineTest, StaleStatementFirstInATransactionIsRetriedWithTheTransaction) {
  exec("INSERT INTO t (id, n) VALUES ('a', 1)");
  EXPECT_EQ(query("SELECT * FROM t").one().size(), 2u);
  exec("ALTER TABLE t ADD COLUMN note TEXT");
  std::size_t columns = 0;
  run_async(ctx_, db().transact([&](Transaction& tx) -> asio::awaitable<void> {
    Result rows = co_await tx.exec("SELECT * FROM t");
    columns = rows.one().size();
    co_await tx.exec("INSERT INTO t (id) VALUES ('b')");
  }));
  EXPECT_EQ(columns, 3u);
  EXPECT_EQ(count(), 2);
}

// After the transaction did work, a stale statement cannot be retried alone: the transaction
// fails as busy (nothing of it is kept) and runs fine the next time.
TEST_F(PostgresPipelineTest, StaleStatementInsideATransactionIsBusyThenWorks) {
  query("SELECT * FROM t");
  exec("ALTER TABLE t ADD COLUMN note TEXT");
  auto body = [](Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec("INSERT INTO t (id) VALUES ($1)", params("a"));
    co_await tx.exec("SELECT * FROM t");
  };
  try {
    run_async(ctx_, db().transact(body));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::busy) << e.what();
    EXPECT_NE(std::string(e.what()).find("0A000"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count(), 0);
  run_async(ctx_, db().transact(body));
  EXPECT_EQ(count(), 1);
}

TEST_F(PostgresPipelineTest, BatchResultsComeBackInOrderAndCommit) {
  std::vector<Result> results = exec_all(inserts("a", "b", "c"));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].one().text(0), "a");
  EXPECT_EQ(results[2].one().text(0), "c");
  EXPECT_EQ(results[1].affected_rows, 1);
  EXPECT_EQ(count(), 3);
  std::vector<Statement> mixed;
  mixed.push_back({"UPDATE t SET n = $1 WHERE id <> $2", params(5, "b")});
  mixed.push_back({"SELECT SUM(n) FROM t", {}});
  mixed.push_back({"DELETE FROM t WHERE n IS NULL", {}});
  results = exec_all(std::move(mixed));
  EXPECT_EQ(results[0].affected_rows, 2);
  EXPECT_EQ(results[1].one().integer(0), 10);  // sees the statement before it
  EXPECT_EQ(results[2].affected_rows, 1);
}

TEST_F(PostgresPipelineTest, ThrowingBodyRollsBackABatch) {
  EXPECT_THROW(run_async(ctx_, db().transact([](Transaction& tx) -> asio::awaitable<void> {
                 co_await tx.exec_all(inserts("a", "b"));
                 throw std::runtime_error("body failed");
               })),
               std::runtime_error);
  EXPECT_EQ(count(), 0);
}

TEST_F(PostgresPipelineTest, FailureInTheMiddleOfABatchLeavesNothingAndTheConnectionWorks) {
  exec("INSERT INTO t (id) VALUES ('dup')");
  try {
    exec_all(inserts("a", "dup", "c"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::unique_violation) << e.what();
    EXPECT_NE(std::string(e.what()).find("23505"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count(), 1);
  // The same (only) connection goes on, with the statements it prepared.
  exec_all(inserts("a", "c"));
  EXPECT_EQ(count(), 3);
}

TEST_F(PostgresPipelineTest, BodyThatSwallowsAFailedBatchDoesNotCommit) {
  exec("INSERT INTO t (id) VALUES ('dup')");
  EXPECT_THROW(run_async(ctx_, db().transact([](Transaction& tx) -> asio::awaitable<void> {
                 try {
                   co_await tx.exec_all(inserts("a", "dup"));
                 } catch (const Error&) {
                 }
               })),
               Error);
  EXPECT_EQ(count(), 1);
}

// As inventory's reservation does: a savepoint, a failure, back to the savepoint, and on.
TEST_F(PostgresPipelineTest, SavepointsWorkInsidePipelinedTransactions) {
  exec("INSERT INTO t (id) VALUES ('dup')");
  run_async(ctx_, db().transact([](Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec_all(inserts("a"));
    co_await tx.exec("SAVEPOINT lines", params());
    bool failed = false;
    try {
      co_await tx.exec_all(inserts("b", "dup"));
    } catch (const Error& e) {
      failed = e.kind() == Error::Kind::unique_violation;
    }
    EXPECT_TRUE(failed);
    co_await tx.exec("ROLLBACK TO SAVEPOINT lines", params());
    co_await tx.exec("RELEASE SAVEPOINT lines", params());
    std::vector<Statement> more;
    more.push_back({"SAVEPOINT again", {}});
    more.push_back({"INSERT INTO t (id) VALUES ($1)", params("c")});
    more.push_back({"RELEASE SAVEPOINT again", {}});
    co_await tx.exec_all(std::move(more));
  }));
  Result ids = query("SELECT string_agg(id, ',' ORDER BY id) FROM t");
  EXPECT_EQ(ids.one().text(0), "a,c,dup");
}

// A script cannot join the pipeline: BEGIN goes first on its own, and the script is still inside
// the transaction (rolled back with it).
TEST_F(PostgresPipelineTest, AScriptFirstInATransactionRunsInsideIt) {
  EXPECT_THROW(run_async(ctx_, db().transact([](Transaction& tx) -> asio::awaitable<void> {
                 co_await tx.exec("CREATE TABLE a (n INT); INSERT INTO a VALUES (1)");
                 throw std::runtime_error("body failed");
               })),
               std::runtime_error);
  EXPECT_EQ(query("SELECT to_regclass('a') IS NULL").one().integer(0), 1);
}

TEST_F(PostgresPipelineTest, ConnectionLostMidBatchIsAConnectionErrorAndThePoolRecovers) {
  std::vector<Statement> statements = inserts("a");
  statements.push_back({"SELECT pg_terminate_backend(pg_backend_pid())", {}});
  statements.push_back({"INSERT INTO t (id) VALUES ('b')", {}});
  try {
    exec_all(std::move(statements));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::connection) << e.what();
  }
  EXPECT_EQ(count(), 0);
  exec_all(inserts("a", "b"));
  EXPECT_EQ(count(), 2);
}

// Megabytes both ways in one batch: the server answers the first statements while the last ones
// are still being sent, so the driver must read while it writes.
TEST_F(PostgresPipelineTest, LargeBatchBothWaysDoesNotDeadlock) {
  std::string big(20000, 'x');
  std::vector<Statement> echoes;
  for (int i = 0; i < 400; ++i) {
    echoes.push_back({"SELECT $1 || $2", params(big, std::to_string(i))});
  }
  std::vector<Result> results = exec_all(std::move(echoes));
  ASSERT_EQ(results.size(), 400u);
  EXPECT_EQ(results.back().one().text(0), big + "399");
}

// BEGIN travels with the first statements, COMMIT alone: two round trips for a transaction.
TEST(PostgresPipelineConnection, ATransactionOfOneBatchIsTwoRoundTrips) {
  log::set_level(log::Level::off);
  asio::io_context ctx;
  PostgresConnectSettings settings;
  settings.url = ordo::testing::postgres_test_url();
  auto connection = run_async<std::unique_ptr<PostgresConnection>>(
      ctx, PostgresConnection::connect(ctx.get_executor(), settings));
  std::vector<Value> none;
  run_async<Result>(ctx, connection->exec("CREATE TEMP TABLE t (id TEXT PRIMARY KEY)", none));
  auto before = connection->round_trips();
  run_async(ctx, [&]() -> asio::awaitable<void> {
    Counters counters;
    PostgresTransaction tx(*connection, counters);
    co_await tx.exec_all(inserts("a", "b", "c"));
    tx.end();
    co_await connection->exec("COMMIT", none);
  }());
  EXPECT_EQ(connection->round_trips() - before, 2u);
  EXPECT_EQ(connection->last_command(), "COMMIT");
  EXPECT_EQ(
      run_async<Result>(ctx, connection->exec("SELECT COUNT(*) FROM t", none)).one().integer(0), 3);
  EXPECT_TRUE(connection->reusable());
}

}  // namespace
}  // namespace ordo::sql
