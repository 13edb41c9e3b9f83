// One SQLite connection with its prepared-statement cache; used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "platform/sql/database.hpp"
#include "platform/sql/sqlite_database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ordo::sql {

class SqliteConnection {
 public:
  // The writer opens read-write (creating the file, switching it to WAL); readers read-only.
  SqliteConnection(const SqliteOptions& options, bool read_only);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs sql with $N placeholders. Several statements are allowed only without params; the
  // result is then the last statement's.
  Result exec(std::string_view sql, const std::vector<Value>& params);

  // True while a transaction is open. SQLite ends one on its own after some errors (I/O, full
  // disk, interrupted): callers that group work into one transaction must check.
  bool in_transaction() const;

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  Result exec_script(std::string_view sql);
  Result run(sqlite3_stmt* stmt, const std::vector<Value>& params, std::string_view sql);
  void bind(sqlite3_stmt* stmt, const std::vector<Value>& params, std::string_view sql);
  void apply_pragmas(const SqliteOptions& options, bool read_only);
  [[noreturn]] void fail(int code, std::string_view sql) const;

  sqlite3* db_ = nullptr;
  // Keyed by the caller's SQL text, so the placeholder rewrite happens once per statement.
  std::unordered_map<std::string, Statement> cache_;
};

}  // namespace ordo::sql
