// A transaction on one pooled PostgreSQL connection. BEGIN is not a round trip of its own: it goes
// out in the same pipeline as the transaction's first statements.
#pragma once

#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/sql/database.hpp"
#include "platform/sql/postgres_connection.hpp"

namespace ordo::sql {

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(PostgresConnection& connection, Counters& counters)
      : connection_(connection), counters_(counters) {}

  boost::asio::awaitable<Result> exec(std::string_view sql, std::vector<Value> params) override;
  boost::asio::awaitable<std::vector<Result>> exec_all(std::vector<Statement> statements) override;

  // True once BEGIN was sent: the transaction must end with COMMIT or ROLLBACK. A body that ran
  // no statement leaves nothing to end.
  bool begun() const { return begun_; }
  void end() { active_ = false; }

 private:
  void check_active() const;
  boost::asio::awaitable<std::vector<Result>> send(const std::vector<StatementRef>& batch);

  PostgresConnection& connection_;
  Counters& counters_;  // statements and round trips; the database counts the ending
  bool active_ = true;
  bool begun_ = false;
};

}  // namespace ordo::sql
