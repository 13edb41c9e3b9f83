// The bench's own databases on a PostgreSQL server: a fresh database per run (made and dropped
// through the platform's driver), and what the server says about its durability.
#pragma once

#include <string>

namespace ordo::bench {

// A random name for this run's database or bus namespace: prefix + 12 hex digits.
std::string fresh_name(const std::string& prefix);

// The same server URL with another database (the path), its query string kept.
std::string with_database(const std::string& url, const std::string& database);

// One statement on the server at url (its database), outside any transaction, synchronously on
// an io_context of its own; returns the first column of the first row ("" when none). Throws
// sql::Error when the server refuses or cannot be reached.
std::string postgres_statement(const std::string& url, const std::string& statement);

// A fresh database on the server, dropped (WITH (FORCE), best effort) when this goes away, unless
// ORDO_BENCH_KEEP is set.
class TemporaryDatabase {
 public:
  TemporaryDatabase(const std::string& server_url, const std::string& prefix);
  ~TemporaryDatabase();
  TemporaryDatabase(const TemporaryDatabase&) = delete;
  TemporaryDatabase& operator=(const TemporaryDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }  // the server URL with this database

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
};

// "PostgreSQL 15.5 synchronous_commit=on fsync=on" as the server reports them.
std::string describe_postgres(const std::string& url);

}  // namespace ordo::bench
