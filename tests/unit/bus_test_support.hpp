// Test helpers for the bus's batch tests: a database of the dialect under test that can be
// opened more than once (the relay's own connection, a killed child process), and a decorator
// counting the transactions and statements that reach it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/sql/database.hpp"
#include "platform/sql/postgres_database.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "postgres_test_support.hpp"

namespace ordo::testing {

// One database (a SQLite file, or a fresh schema on the PostgreSQL test server) and a way to
// open further handles on it. The schema is dropped at the end.
class SharedTestDatabase {
 public:
  SharedTestDatabase(sql::Dialect dialect, boost::asio::io_context& ctx, std::string service)
      : dialect_(dialect), ctx_(ctx), service_(std::move(service)) {
    if (dialect_ == sql::Dialect::postgres) {
      url_ = postgres_test_url();
      schema_ = unique_schema(service_);
    } else {
      path_ = dir_.file(service_ + ".db");
    }
  }
  ~SharedTestDatabase() {
    if (dialect_ == sql::Dialect::postgres)
      drop_schema(url_, schema_);
  }

  std::unique_ptr<sql::Database> open() const {
    if (dialect_ == sql::Dialect::sqlite)
      return sql::open_sqlite(service_, {.path = path_});
    sql::PostgresOptions options;
    options.url = url_;
    options.schema = schema_;
    return sql::open_postgres(ctx_.get_executor(), service_, options);
  }

  // How a child process finds the same database: "sqlite <path>" or "postgres <url> <schema>".
  std::string locator() const {
    return dialect_ == sql::Dialect::sqlite ? "sqlite " + path_
                                            : "postgres " + url_ + " " + schema_;
  }

 private:
  sql::Dialect dialect_;
  boost::asio::io_context& ctx_;
  std::string service_;
  TempDir dir_;
  std::string path_;
  std::string url_;
  std::string schema_;
};

// Opens the database a locator names (see SharedTestDatabase::locator).
inline std::unique_ptr<sql::Database> open_located(const std::string& locator,
                                                   boost::asio::io_context& ctx) {
  std::istringstream in(locator);
  std::string dialect, first, second;
  in >> dialect >> first >> second;
  if (dialect == "sqlite")
    return sql::open_sqlite("child", {.path = first});
  sql::PostgresOptions options;
  options.url = first;
  options.schema = second;
  return sql::open_postgres(ctx.get_executor(), "child", options);
}

// Counts the transactions and statements that reach the database it wraps.
class CountingDatabase final : public sql::Database {
 public:
  explicit CountingDatabase(std::unique_ptr<sql::Database> inner) : inner_(std::move(inner)) {}

  int transactions = 0;
  int statements = 0;  // inside transactions
  int queries = 0;     // outside

  sql::Dialect dialect() const override { return inner_->dialect(); }
  const std::string& name() const override { return inner_->name(); }
  boost::asio::awaitable<sql::Result> query(std::string_view sql,
                                            std::vector<sql::Value> params = {}) override {
    ++queries;
    return inner_->query(sql, std::move(params));
  }
  boost::asio::awaitable<void> transact(
      std::function<boost::asio::awaitable<void>(sql::Transaction&)> body) override {
    ++transactions;
    co_await inner_->transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
      Counting counting(tx, statements);
      co_await body(counting);
    });
  }
  boost::asio::awaitable<bool> ping() override { return inner_->ping(); }
  void listen(std::string channel, std::function<void()> fn) override {
    inner_->listen(std::move(channel), std::move(fn));
  }

 private:
  class Counting final : public sql::Transaction {
   public:
    Counting(sql::Transaction& inner, int& count) : inner_(inner), count_(count) {}
    boost::asio::awaitable<sql::Result> exec(std::string_view sql,
                                             std::vector<sql::Value> params = {}) override {
      ++count_;
      return inner_.exec(sql, std::move(params));
    }
    void notify(std::string_view channel) override { inner_.notify(channel); }

   private:
    sql::Transaction& inner_;
    int& count_;
  };

  std::unique_ptr<sql::Database> inner_;
};

inline boost::asio::awaitable<bool> eventually(std::function<bool()> condition,
                                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline)
      co_return false;
    timer.expires_after(std::chrono::milliseconds(2));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  co_return true;
}

}  // namespace ordo::testing
