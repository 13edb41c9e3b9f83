// Statements of a PostgreSQL transaction, sent in batches with BEGIN in front of the first one.
#include "platform/sql/postgres_transaction.hpp"

#include <stdexcept>

#include "platform/sql/postgres_statements.hpp"

namespace ordo::sql {
namespace asio = boost::asio;

void PostgresTransaction::check_active() const {
  if (!active_) {
    throw std::logic_error("sql: statement on a transaction that has ended");
  }
}

asio::awaitable<Result> PostgresTransaction::exec(std::string_view sql, std::vector<Value> params) {
  check_active();
  if (pg::needs_simple_protocol(sql, params.size())) {
    // A script goes outside the pipeline, so BEGIN cannot travel with it (migrations: rare).
    if (!begun_) {
      begun_ = true;
      std::vector<Value> none;
      ++counters_.round_trips;
      co_await connection_.exec("BEGIN", none);
    }
    ++counters_.statements;
    ++counters_.round_trips;
    co_return co_await connection_.exec(sql, params);
  }
  std::vector<StatementRef> batch;
  batch.push_back(StatementRef{sql, &params});
  std::vector<Result> results = co_await send(batch);
  co_return std::move(results.front());
}

asio::awaitable<std::vector<Result>> PostgresTransaction::exec_all(
    std::vector<Statement> statements) {
  check_active();
  std::vector<StatementRef> batch;
  batch.reserve(statements.size());
  bool scripts = false;
  for (const Statement& statement : statements) {
    scripts = scripts || pg::needs_simple_protocol(statement.sql, statement.params.size());
    batch.push_back(StatementRef{statement.sql, &statement.params});
  }
  if (scripts) {
    co_return co_await Transaction::exec_all(std::move(statements));  // one by one
  }
  if (batch.empty()) {
    std::vector<Result> nothing;
    co_return nothing;
  }
  co_return co_await send(batch);
}

// The batch, preceded by BEGIN when it is the transaction's first.
asio::awaitable<std::vector<Result>> PostgresTransaction::send(
    const std::vector<StatementRef>& batch) {
  std::vector<Value> none;
  std::vector<StatementRef> statements;
  statements.reserve(batch.size() + 1);
  bool first = !begun_;
  if (first) {
    statements.push_back(StatementRef{"BEGIN", &none});
  }
  statements.insert(statements.end(), batch.begin(), batch.end());
  begun_ = true;
  counters_.statements += batch.size();
  ++counters_.round_trips;  // the whole batch, BEGIN included, in one pipeline
  std::vector<Result> results = co_await connection_.exec_pipelined(statements);
  if (first) {
    results.erase(results.begin());
  }
  co_return results;
}

}  // namespace ordo::sql
