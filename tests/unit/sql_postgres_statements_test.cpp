// Which statements a PostgreSQL connection prepares, how the cache stays bounded, and what it
// gives back for DEALLOCATE once a statement went stale.
#include <gtest/gtest.h>

#include "platform/sql/postgres_statements.hpp"

namespace ordo::sql::pg {
namespace {

TEST(PostgresStatements, OnlyPlannableStatementsAreWorthPreparing) {
  for (const char* sql : {"SELECT 1", "  select * from t", "INSERT INTO t VALUES ($1)",
                          "update t set n = 1", "DELETE FROM t", "WITH x AS (SELECT 1) SELECT *",
                          "(SELECT 1) UNION (SELECT 2)", "VALUES (1)"}) {
    EXPECT_TRUE(worth_preparing(sql)) << sql;
  }
  for (const char* sql :
       {"BEGIN", "COMMIT", "SAVEPOINT s", "ROLLBACK TO SAVEPOINT s", "CREATE TABLE t (n INT)",
        "SET x = 1", "SELECTION", "", "-- c\nSELECT 1"}) {
    EXPECT_FALSE(worth_preparing(sql)) << sql;
  }
}

TEST(PostgresStatements, OnlyScriptsWithoutParametersNeedTheSimpleProtocol) {
  EXPECT_TRUE(needs_simple_protocol("CREATE TABLE a (n INT); CREATE TABLE b (n INT)", 0));
  EXPECT_FALSE(needs_simple_protocol("SELECT 1", 0));
  EXPECT_FALSE(needs_simple_protocol("SELECT $1 || ';'", 1));
}

TEST(PostgresStatements, NamesAreUniqueAndTheFirstUseIsNew) {
  StatementCache cache;
  auto first = cache.find_or_add("SELECT 1");
  ASSERT_NE(first.entry, nullptr);
  EXPECT_TRUE(first.is_new);
  EXPECT_FALSE(first.entry->confirmed);
  cache.confirm("SELECT 1");
  auto again = cache.find_or_add("SELECT 1");
  EXPECT_EQ(again.entry, first.entry);
  EXPECT_FALSE(again.is_new);
  EXPECT_TRUE(again.entry->confirmed);
  auto other = cache.find_or_add("SELECT 2");
  EXPECT_NE(other.entry->name, first.entry->name);
}

TEST(PostgresStatements, AFullCacheStopsCachingNewTextsAndKeepsTheOldOnes) {
  StatementCache cache(2);
  cache.find_or_add("a");
  cache.find_or_add("b");
  EXPECT_EQ(cache.find_or_add("c").entry, nullptr);  // runs unnamed
  EXPECT_NE(cache.find_or_add("a").entry, nullptr);
  cache.forget("b");  // its Parse failed: the name never existed, the place is free
  EXPECT_NE(cache.find_or_add("c").entry, nullptr);
}

TEST(PostgresStatements, StaleStatementsAreDeallocatedAndCountUntilThen) {
  StatementCache cache(2);
  std::string name = cache.find_or_add("a").entry->name;
  cache.confirm("a");
  cache.find_or_add("b");
  cache.drop_stale("a");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find_or_add("c").entry, nullptr);  // the stale one still holds server memory
  EXPECT_EQ(cache.take_deallocations(), std::vector<std::string>{name});
  EXPECT_TRUE(cache.take_deallocations().empty());
  auto fresh = cache.find_or_add("a");
  ASSERT_NE(fresh.entry, nullptr);
  EXPECT_TRUE(fresh.is_new);
  EXPECT_NE(fresh.entry->name, name);  // a new name: the old one may not be deallocated yet
}

}  // namespace
}  // namespace ordo::sql::pg
