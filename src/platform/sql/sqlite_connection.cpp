// Statement preparation, binding, stepping and error mapping for one SQLite connection.
#include "platform/sql/sqlite_connection.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "platform/sql/placeholders.hpp"

namespace ordo::sql {
namespace {
// Statements are static strings in code; the cap only protects against a caller that builds SQL
// dynamically, which would otherwise grow the cache without bound.
constexpr std::size_t kMaxCachedStatements = 512;

// A database file, not ":memory:" or a URI: the files on disk are ours to create and to guard.
bool is_file_path(const std::string& path) {
  return !path.empty() && path != ":memory:" && path.rfind("file:", 0) != 0;
}

// Databases hold password hashes and personal data: only their owner reads them, whatever the
// umask. SQLite gives its -wal and -shm files the mode of the database file, so creating that
// one 0600 is enough for new databases; chmod tightens the files of older ones.
void create_owner_only(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd >= 0)
    ::close(fd);  // otherwise sqlite3_open_v2 reports why
}

void restrict_to_owner(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    auto file = path + suffix;
    struct stat status {};
    if (::stat(file.c_str(), &status) == 0 && (status.st_mode & (S_IRWXG | S_IRWXO)) != 0)
      ::chmod(file.c_str(), S_IRUSR | S_IWUSR);  // not ours to change (another owner): left as is
  }
}

Error::Kind kind_of(int code) {
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Error::Kind::unique_violation;
  }
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Error::Kind::busy;
  }
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_NOTADB) {
    return Error::Kind::connection;
  }
  return Error::Kind::other;
}

// Only the statement's text is quoted, never parameter values (they may be personal data).
std::string excerpt(std::string_view sql) {
  constexpr std::size_t kMax = 120;
  std::string text(sql.substr(0, kMax));
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return sql.size() > kMax ? text + "..." : text;
}

bool only_whitespace(const char* text) {
  for (; *text != '\0'; ++text) {
    if (std::isspace(static_cast<unsigned char>(*text)) == 0) {
      return false;
    }
  }
  return true;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

Value column_value(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_NULL:
      return Null{};
    case SQLITE_BLOB: {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      return std::string(data == nullptr ? "" : data,
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    }
    default: {
      const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(data == nullptr ? "" : data,
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    }
  }
}
}  // namespace

void SqliteConnection::StatementDeleter::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

SqliteConnection::SqliteConnection(const SqliteOptions& options, bool read_only) {
  // NOMUTEX: a connection is only ever used by one thread at a time (writer thread, or a reader
  // holding it from the pool), so SQLite's own locking would be pure overhead.
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const bool owns_files = !read_only && is_file_path(options.path);
  if (owns_files)
    create_owner_only(options.path);
  int rc = sqlite3_open_v2(options.path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(Error::Kind::connection, "sqlite: cannot open " + options.path + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  try {
    apply_pragmas(options, read_only);
    if (owns_files)
      restrict_to_owner(options.path);
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteConnection::~SqliteConnection() {
  cache_.clear();  // statements must be finalized before the connection closes
  sqlite3_close(db_);
}

void SqliteConnection::apply_pragmas(const SqliteOptions& options, bool read_only) {
  static constexpr std::array<std::string_view, 4> kSynchronous = {"OFF", "NORMAL", "FULL",
                                                                   "EXTRA"};
  std::string synchronous = upper(options.synchronous);
  if (std::find(kSynchronous.begin(), kSynchronous.end(), synchronous) == kSynchronous.end()) {
    throw Error(Error::Kind::other,
                "sqlite: synchronous must be OFF, NORMAL, FULL or EXTRA, not '" +
                    options.synchronous + "'");
  }
  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  if (!read_only) {
    // WAL is a property of the file: the writer sets it once; readers then share it.
    exec_script("PRAGMA journal_mode=WAL");
  }
  exec_script("PRAGMA synchronous=" + synchronous + "; PRAGMA foreign_keys=ON");
  // Checkpoints copy the WAL back into the database and, even under NORMAL, fsync: every 4000
  // pages (16 MiB of WAL) instead of SQLite's 1000 makes them four times rarer under load.
  // Temporary b-trees (sorts) stay in memory.
  if (!read_only)
    exec_script("PRAGMA wal_autocheckpoint=4000");
  exec_script("PRAGMA temp_store=MEMORY");
}

Result SqliteConnection::exec(std::string_view sql, const std::vector<Value>& params) {
  std::string key(sql);
  if (auto it = cache_.find(key); it != cache_.end()) {
    return run(it->second.get(), params, sql);
  }
  std::string rewritten = to_sqlite_placeholders(sql);
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc =
      sqlite3_prepare_v2(db_, rewritten.c_str(), static_cast<int>(rewritten.size()), &raw, &tail);
  Statement stmt(raw);
  if (rc != SQLITE_OK) {
    fail(rc, sql);
  }
  if (tail != nullptr && !only_whitespace(tail)) {
    if (!params.empty()) {
      throw Error(Error::Kind::other,
                  "sqlite: several statements cannot take parameters: " + excerpt(sql));
    }
    return exec_script(rewritten);
  }
  if (!stmt) {
    return {};  // only whitespace or comments
  }
  if (cache_.size() >= kMaxCachedStatements) {
    cache_.clear();
  }
  sqlite3_stmt* cached = cache_.emplace(std::move(key), std::move(stmt)).first->second.get();
  return run(cached, params, sql);
}

Result SqliteConnection::exec_script(std::string_view sql) {
  Result last;
  std::string text(sql);  // prepare_v2 walks a NUL-terminated buffer through `tail`
  const char* cursor = text.c_str();
  while (cursor != nullptr && *cursor != '\0') {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, cursor, -1, &raw, &cursor);
    Statement stmt(raw);
    if (rc != SQLITE_OK) {
      fail(rc, sql);
    }
    if (stmt) {
      last = run(stmt.get(), {}, sql);
    }
  }
  return last;
}

Result SqliteConnection::run(sqlite3_stmt* stmt, const std::vector<Value>& params,
                             std::string_view sql) {
  // Resetting releases the statement's read snapshot: a reader left mid-step would pin the WAL.
  struct ResetOnExit {
    sqlite3_stmt* stmt;
    ~ResetOnExit() {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  } reset_on_exit{stmt};
  bind(stmt, params, sql);
  Result result;
  int columns = sqlite3_column_count(stmt);
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      fail(rc, sql);
    }
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(columns));
    for (int i = 0; i < columns; ++i) {
      values.push_back(column_value(stmt, i));
    }
    result.rows.emplace_back(std::move(values));
  }
  if (sqlite3_stmt_readonly(stmt) == 0) {
    result.affected_rows = sqlite3_changes64(db_);
  }
  return result;
}

void SqliteConnection::bind(sqlite3_stmt* stmt, const std::vector<Value>& params,
                            std::string_view sql) {
  int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<std::size_t>(expected) != params.size()) {
    throw Error(Error::Kind::other, "sqlite: statement takes " + std::to_string(expected) +
                                        " parameters, got " + std::to_string(params.size()) + ": " +
                                        excerpt(sql));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i + 1);
    int rc = std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Null>) {
            return sqlite3_bind_null(stmt, index);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            return sqlite3_bind_int64(stmt, index, v);
          } else if constexpr (std::is_same_v<T, double>) {
            return sqlite3_bind_double(stmt, index, v);
          } else {
            // STATIC: params outlive the step loop, and the bindings are cleared right after.
            return sqlite3_bind_text64(stmt, index, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
          }
        },
        params[i]);
    if (rc != SQLITE_OK) {
      fail(rc, sql);
    }
  }
}

void SqliteConnection::fail(int code, std::string_view sql) const {
  throw Error(kind_of(code),
              std::string("sqlite: ") + sqlite3_errmsg(db_) + " (in: " + excerpt(sql) + ")");
}

}  // namespace ordo::sql

namespace ordo::sql {

bool SqliteConnection::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

}  // namespace ordo::sql
