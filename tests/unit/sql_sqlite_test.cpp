// The SQLite driver: placeholders, types, errors, transactions and concurrency.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/sql/placeholders.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "sql_test_support.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;
using ordo::testing::run_async;

class SqliteTest : public ::testing::Test {
 protected:
  std::unique_ptr<Database> open(int readers = 2) {
    return open_sqlite("test", {.path = dir_.file("test.db"), .readers = readers});
  }
  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
};

asio::awaitable<void> create_items(Database& db) {
  co_await db.transact([](Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec(
        "CREATE TABLE items (id TEXT PRIMARY KEY, qty INTEGER NOT NULL, price REAL, note TEXT)");
  });
}

TEST(Placeholders, RewritesOutsideLiteralsAndComments) {
  EXPECT_EQ(to_sqlite_placeholders("SELECT $1, $12 FROM t WHERE a = $2"),
            "SELECT ?1, ?12 FROM t WHERE a = ?2");
  EXPECT_EQ(to_sqlite_placeholders("SELECT '$1', 'it''s $2', \"col$3\", $4"),
            "SELECT '$1', 'it''s $2', \"col$3\", ?4");
  EXPECT_EQ(to_sqlite_placeholders("SELECT a$1 -- $2\n, $3 /* $4 */ [x$5] `y$6`"),
            "SELECT a$1 -- $2\n, ?3 /* $4 */ [x$5] `y$6`");
  EXPECT_EQ(to_sqlite_placeholders("SELECT '$1"), "SELECT '$1");  // unterminated literal
}

TEST(Params, ConvertsToValues) {
  std::optional<std::string> none;
  std::optional<std::int64_t> seven = 7;
  std::string text = "t";
  std::vector<Value> values =
      params(std::size_t{3}, true, 1.5F, "lit", text, std::string_view("sv"), none, seven, Null{});
  std::vector<Value> expected = {std::int64_t{3},
                                 std::int64_t{1},
                                 1.5,
                                 std::string("lit"),
                                 std::string("t"),
                                 std::string("sv"),
                                 Null{},
                                 std::int64_t{7},
                                 Null{}};
  EXPECT_EQ(values, expected);
}

TEST_F(SqliteTest, CrudRoundTripWithPlaceholders) {
  auto db = open();
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await create_items(*db);
    co_await db->transact([](Transaction& tx) -> asio::awaitable<void> {
      Result inserted =
          co_await tx.exec("INSERT INTO items (id, qty, price, note) VALUES ($1, $2, $3, $4)",
                           params("a", 3, 2.5, Null{}));
      EXPECT_EQ(inserted.affected_rows, 1);
      co_await tx.exec("INSERT INTO items (id, qty, note) VALUES ($1, $2, '$1 stays')",
                       params("b", 7));
    });
    Result rows = co_await db->query("SELECT id, qty, price, note FROM items ORDER BY id");
    EXPECT_EQ(rows.rows.size(), 2U);
    const Row& a = rows.rows[0];
    EXPECT_EQ(a.text(0), "a");
    EXPECT_EQ(a.integer(1), 3);
    EXPECT_DOUBLE_EQ(a.real(2), 2.5);
    EXPECT_TRUE(a.is_null(3));
    EXPECT_EQ(a.optional_text(3), std::nullopt);
    EXPECT_THROW((void)a.text(3), Error);
    EXPECT_EQ(rows.rows[1].text(3), "$1 stays");
    EXPECT_TRUE(rows.rows[1].is_null(2));

    Result updated =
        co_await transact_returning<Result>(*db, [](Transaction& tx) -> asio::awaitable<Result> {
          co_return co_await tx.exec("UPDATE items SET qty = qty + $1 WHERE id = $2",
                                     params(10, "b"));
        });
    EXPECT_EQ(updated.affected_rows, 1);
    Result b = co_await db->query("SELECT qty FROM items WHERE id = $1", params("b"));
    EXPECT_EQ(b.one().integer(0), 17);
    Result none = co_await db->query("SELECT qty FROM items WHERE id = $1", params("z"));
    EXPECT_TRUE(none.empty());
    EXPECT_THROW((void)none.one(), Error);
    EXPECT_TRUE(co_await db->ping());
  }());
}

unsigned mode_of(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0)
    return 0;
  return status.st_mode & 0777;
}

// Security issue, finding 8: users.db (password hashes) was created 0644 under the usual umask.
TEST_F(SqliteTest, FilesAreTheOwnersOnly) {
  auto previous = ::umask(022);
  auto db = open();
  run_async(ctx_, create_items(*db));
  run_async(ctx_, db->transact([](Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec("INSERT INTO items (id, qty) VALUES ('a', 1)");
  }));
  ::umask(previous);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    auto file = dir_.file("test.db") + suffix;
    EXPECT_EQ(mode_of(file), 0600u) << file;
  }
}

TEST_F(SqliteTest, FilesOfAnOlderDatabaseAreTightened) {
  {
    std::ofstream create(dir_.file("test.db"));  // an empty file is an empty database
  }
  ::chmod(dir_.file("test.db").c_str(), 0644);
  ASSERT_EQ(mode_of(dir_.file("test.db")), 0644u);
  auto db = open();
  run_async(ctx_, create_items(*db));
  EXPECT_EQ(mode_of(dir_.file("test.db")), 0600u);
}

TEST_F(SqliteTest, ErrorsAreClassifiedAndHideParameters) {
  auto db = open();
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await create_items(*db);
    auto insert = [&](std::string id) -> asio::awaitable<void> {
      co_await db->transact([&id](Transaction& tx) -> asio::awaitable<void> {
        co_await tx.exec("INSERT INTO items (id, qty) VALUES ($1, 1)", params(id));
      });
    };
    co_await insert("secret-value");
    try {
      co_await insert("secret-value");
      ADD_FAILURE() << "duplicate accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::unique_violation);
      EXPECT_EQ(std::string(e.what()).find("secret-value"), std::string::npos) << e.what();
    }
    try {
      co_await db->query("SELECT nope FROM items");
      ADD_FAILURE() << "bad column accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::other);
      EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
    }
    // Readers are read-only; the wrong parameter count is refused.
    EXPECT_THROW(co_await db->query("DELETE FROM items"), Error);
    EXPECT_THROW(co_await db->query("SELECT $1, $2", params(1)), Error);
  }());
}

TEST_F(SqliteTest, RollsBackWhenTheBodyThrows) {
  auto db = open();
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await create_items(*db);
    EXPECT_THROW(co_await db->transact([](Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec("INSERT INTO items (id, qty) VALUES ('x', 1)");
      throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    Result count = co_await db->query("SELECT COUNT(*) FROM items");
    EXPECT_EQ(count.one().integer(0), 0);
    // The writer is usable afterwards.
    co_await db->transact([](Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec("INSERT INTO items (id, qty) VALUES ('x', 1)");
    });
    EXPECT_EQ((co_await db->query("SELECT COUNT(*) FROM items")).one().integer(0), 1);
  }());
}

TEST_F(SqliteTest, NestedTransactIsALogicError) {
  auto db = open();
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_THROW(co_await db->transact([&](Transaction&) -> asio::awaitable<void> {
      co_await db->transact([](Transaction&) -> asio::awaitable<void> { co_return; });
    }),
                 std::logic_error);
  }());
}

TEST_F(SqliteTest, MultiStatementExec) {
  auto db = open();
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await db->transact([](Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec(
          "CREATE TABLE a (x INTEGER); -- first\n"
          "CREATE TABLE b (y TEXT);\n"
          "INSERT INTO a VALUES (1); INSERT INTO a VALUES (2);\n"
          "/* trailing comment */\n");
      EXPECT_THROW(co_await tx.exec("SELECT 1; SELECT $1", params(1)), Error);
    });
    EXPECT_EQ((co_await db->query("SELECT SUM(x) FROM a")).one().integer(0), 3);
    EXPECT_TRUE((co_await db->query("SELECT y FROM b")).empty());
  }());
}

asio::awaitable<void> increment(Database& db, int times) {
  for (int i = 0; i < times; ++i) {
    co_await db.transact([](Transaction& tx) -> asio::awaitable<void> {
      Result r = co_await tx.exec("SELECT n FROM counter WHERE id = 1");
      std::int64_t n = r.one().integer(0);
      // A suspension inside the body must not let another transaction interleave.
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::microseconds(50));
      co_await timer.async_wait(asio::use_awaitable);
      co_await tx.exec("UPDATE counter SET n = $1 WHERE id = 1", params(n + 1));
    });
  }
}

asio::awaitable<void> read_loop(Database& db, const bool& stop, int& reads) {
  while (!stop) {
    Result r = co_await db.query("SELECT n FROM counter WHERE id = 1");
    EXPECT_GE(r.one().integer(0), 0);
    ++reads;
  }
}

TEST_F(SqliteTest, ConcurrentTransactionsAllCommitWhileReadersRead) {
  auto db = open(2);
  constexpr int kWriters = 16;
  constexpr int kEach = 10;
  int reads = 0;
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await db->transact([](Transaction& tx) -> asio::awaitable<void> {
      co_await tx.exec("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
      co_await tx.exec("INSERT INTO counter VALUES (1, 0)");
    });
  }());
  bool stop = false;
  int finished = 0;
  for (int i = 0; i < kWriters; ++i) {
    asio::co_spawn(ctx_, increment(*db, kEach), [&](std::exception_ptr e) {
      EXPECT_FALSE(e);
      if (++finished == kWriters) {
        stop = true;
      }
    });
  }
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(ctx_, read_loop(*db, stop, reads),
                   [](std::exception_ptr e) { EXPECT_FALSE(e); });
  }
  ctx_.restart();
  ctx_.run_for(std::chrono::seconds(30));
  ASSERT_EQ(finished, kWriters);
  EXPECT_GT(reads, 0);
  std::int64_t n = run_async(ctx_, [&]() -> asio::awaitable<std::int64_t> {
    co_return (co_await db->query("SELECT n FROM counter")).one().integer(0);
  }());
  EXPECT_EQ(n, kWriters * kEach);
}

// Concurrent transactions share one commit (group commit): a failing member is undone alone, the
// others all commit, and each caller hears its own outcome.
asio::awaitable<void> insert_item(Database& db, int i, bool fail) {
  co_await db.transact([&](Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec("INSERT INTO items (id, qty) VALUES ($1, $2)",
                     params("item-" + std::to_string(i), i));
    if (fail)
      throw std::runtime_error("member failed");
  });
}

TEST_F(SqliteTest, GroupCommitUndoesOnlyTheFailingMember) {
  auto db = open();
  run_async(ctx_, create_items(*db));
  constexpr int kMembers = 40;
  int succeeded = 0;
  int failed = 0;
  for (int i = 0; i < kMembers; ++i) {
    bool fail = i % 10 == 3;
    asio::co_spawn(ctx_, insert_item(*db, i, fail), [&, fail](std::exception_ptr e) {
      EXPECT_EQ(static_cast<bool>(e), fail);
      ++(e ? failed : succeeded);
    });
  }
  ctx_.restart();
  ctx_.run_for(std::chrono::seconds(30));
  EXPECT_EQ(succeeded, 36);
  EXPECT_EQ(failed, 4);
  auto rows = run_async(ctx_, [&]() -> asio::awaitable<std::int64_t> {
    co_return (co_await db->query("SELECT COUNT(*) FROM items WHERE id LIKE 'item-%'"))
        .one()
        .integer(0);
  }());
  EXPECT_EQ(rows, 36);
  auto failed_rows = run_async(ctx_, [&]() -> asio::awaitable<std::int64_t> {
    co_return (co_await db->query(
                   "SELECT COUNT(*) FROM items WHERE id IN ('item-3', 'item-13', 'item-23')"))
        .one()
        .integer(0);
  }());
  EXPECT_EQ(failed_rows, 0);
}

TEST_F(SqliteTest, RejectsBadOptions) {
  EXPECT_THROW(open_sqlite("t", {.path = ":memory:"}), Error);
  EXPECT_THROW(open_sqlite("t", {.path = dir_.file("x.db"), .synchronous = "SOMETIMES"}), Error);
  EXPECT_THROW(open_sqlite("t", {.path = dir_.file("missing/dir/x.db")}), Error);
  auto db = open_sqlite("t", {.path = dir_.file("y.db"), .synchronous = "full"});
  EXPECT_EQ(db->dialect(), Dialect::sqlite);
  EXPECT_EQ(db->name(), "t");
}

}  // namespace
}  // namespace ordo::sql
