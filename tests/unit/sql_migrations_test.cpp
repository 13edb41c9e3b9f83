// migrate(): order, once-only, dialect filter, duplicate and newer-version refusals.
#include <gtest/gtest.h>

#include "platform/sql/migrations.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "sql_test_support.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;
using ordo::testing::run_async;

class MigrationsTest : public ::testing::Test {
 protected:
  int migrate_sync(const std::vector<Migration>& migrations) {
    return run_async<int>(ctx_, migrate(*db_, migrations));
  }
  std::vector<std::int64_t> versions() {
    return run_async<std::vector<std::int64_t>>(
        ctx_, [this]() -> asio::awaitable<std::vector<std::int64_t>> {
          Result r = co_await db_->query("SELECT version FROM schema_migrations ORDER BY version");
          std::vector<std::int64_t> out;
          for (const Row& row : r.rows) {
            out.push_back(row.integer(0));
          }
          co_return out;
        }());
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<Database> db_ = open_sqlite("test", {.path = dir_.file("m.db")});
};

const std::vector<Migration> kBase = {
    // Listed out of order on purpose: 2 depends on 1.
    {2, "add_index", "any", "CREATE INDEX things_name ON things (name)"},
    {1, "things", "any",
     "CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT);\nINSERT INTO things VALUES ('a', "
     "'x');"},
    {3, "sqlite_only", "sqlite", "CREATE TABLE lite (x INTEGER)"},
    {3, "postgres_only", "postgres", "CREATE TABLE heavy (x BIGINT GENERATED ALWAYS AS IDENTITY)"},
};

TEST_F(MigrationsTest, AppliesOnceInOrderForTheDialect) {
  EXPECT_EQ(migrate_sync(kBase), 3);
  EXPECT_EQ(versions(), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(migrate_sync(kBase), 0);

  std::vector<Migration> more = kBase;
  more.push_back(
      {4, "more", "any", "ALTER TABLE things ADD COLUMN qty INTEGER NOT NULL DEFAULT 0"});
  EXPECT_EQ(migrate_sync(more), 1);
  EXPECT_EQ(versions(), (std::vector<std::int64_t>{1, 2, 3, 4}));
  std::int64_t lite = run_async<std::int64_t>(ctx_, [this]() -> asio::awaitable<std::int64_t> {
    Result r = co_await db_->query(
        "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('lite', 'heavy', 'things')");
    co_return r.one().integer(0);
  }());
  EXPECT_EQ(lite, 2);
}

TEST_F(MigrationsTest, RefusesADatabaseFromANewerBinary) {
  std::vector<Migration> newer = kBase;
  newer.push_back({5, "future", "any", "CREATE TABLE future (x INTEGER)"});
  EXPECT_EQ(migrate_sync(newer), 4);
  EXPECT_THROW(migrate_sync(kBase), std::runtime_error);
}

TEST_F(MigrationsTest, RefusesDuplicateVersions) {
  std::vector<Migration> twice = kBase;
  twice.push_back({2, "again", "sqlite", "SELECT 1"});
  EXPECT_THROW(migrate_sync(twice), std::runtime_error);
  EXPECT_THROW(migrate_sync({{1, "x", "mysql", "SELECT 1"}}), std::runtime_error);
}

TEST_F(MigrationsTest, AFailingMigrationLeavesNoTrace) {
  std::vector<Migration> broken = {
      {1, "ok", "any", "CREATE TABLE ok (x INTEGER)"},
      {2, "broken", "any", "CREATE TABLE half (x INTEGER); CREATE TABLE oops (;"},
  };
  EXPECT_THROW(migrate_sync(broken), Error);
  EXPECT_EQ(versions(), (std::vector<std::int64_t>{1}));
  broken[1].sql = "CREATE TABLE half (x INTEGER)";
  EXPECT_EQ(migrate_sync(broken), 1);
}

}  // namespace
}  // namespace ordo::sql
