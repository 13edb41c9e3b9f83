// Plain reads through the Transaction interface: code written to read inside a transaction (an
// entity and its rows in other tables) runs on the database's pool as well, each statement alone.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "platform/sql/database.hpp"

namespace ordo::sql {

class QueryRunner final : public Transaction {
 public:
  explicit QueryRunner(Database& db) : db_(db) {}
  boost::asio::awaitable<Result> exec(std::string_view sql, std::vector<Value> params) override {
    co_return co_await db_.query(sql, std::move(params));
  }

 private:
  Database& db_;
};

}  // namespace ordo::sql
