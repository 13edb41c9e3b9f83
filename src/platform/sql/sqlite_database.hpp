// SQLite behind the Database interface: WAL, one writer thread, a pool of reader threads.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "platform/sql/database.hpp"

namespace ordo::sql {

struct SqliteOptions {
  std::string path;  // file path; ":memory:" is not supported (readers need the file)
  std::string synchronous = "NORMAL";  // NORMAL survives kill -9; FULL survives power loss
  int readers = 2;                     // reader threads, each with its own connection
  int busy_timeout_ms = 5000;
  // A read whose last run took at most this long runs on the calling thread next time, instead
  // of on a reader thread (sqlite_inline_reads.hpp); 0 sends every read to the reader threads.
  std::chrono::microseconds inline_read_budget{200};
};

// Opens (creating if needed) the file. Throws sql::Error when it cannot.
std::unique_ptr<Database> open_sqlite(const std::string& service_name,
                                      const SqliteOptions& options);

}  // namespace ordo::sql
