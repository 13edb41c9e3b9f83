// The awaitable database interface every service's store is written against. SQL uses PostgreSQL
// placeholders ($1, $2, ...) in every dialect; the SQLite driver maps them.
// Portable SQL: PostgreSQL infers a text or NULL parameter's type from where it is used, so a
// parameter only tested for NULL needs a cast: "(CAST($1 AS TEXT) IS NULL OR id > $1)".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/core/histogram.hpp"

namespace ordo::sql {

struct Null {
  bool operator==(const Null&) const = default;
};
using Value = std::variant<Null, std::int64_t, double, std::string>;

// Converts one statement parameter to a Value: integers and bools to int64, floats to double,
// strings to text, an empty optional to NULL.
inline Value to_value(Value v) {
  return v;
}
inline Value to_value(Null) {
  return Null{};
}
inline Value to_value(std::string v) {
  return v;
}
inline Value to_value(std::string_view v) {
  return std::string(v);
}
inline Value to_value(const char* v) {
  return std::string(v);
}
template <typename T>
requires std::is_arithmetic_v<T> Value to_value(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(v);
  } else {
    return static_cast<std::int64_t>(v);
  }
}
template <typename T>
Value to_value(const std::optional<T>& v) {
  return v ? to_value(*v) : Value(Null{});
}

// Statement parameters: sql::params(id, name, std::optional<int64_t>{}). Prefer it to a braced
// list inside co_await, which g++ 12 rejects ("array used as initializer").
template <typename... Args>
std::vector<Value> params(Args&&... args) {
  std::vector<Value> values;
  values.reserve(sizeof...(Args));
  (values.push_back(to_value(std::forward<Args>(args))), ...);
  return values;
}

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  bool is_null(std::size_t i) const;
  std::int64_t integer(std::size_t i) const;  // throws on NULL or a non-number
  double real(std::size_t i) const;
  const std::string& text(std::size_t i) const;  // throws on NULL or a non-text
  std::optional<std::string> optional_text(std::size_t i) const;
  std::optional<std::int64_t> optional_integer(std::size_t i) const;
  bool boolean(std::size_t i) const { return integer(i) != 0; }
  const Value& value(std::size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

struct Result {
  std::vector<Row> rows;
  std::int64_t affected_rows = 0;  // for INSERT/UPDATE/DELETE
  bool empty() const { return rows.empty(); }
  const Row& one() const;  // throws unless exactly one row
};

// A failed statement. unique_violation lets stores turn a duplicate into a 409.
class Error : public std::runtime_error {
 public:
  enum class Kind { unique_violation, busy, connection, other };
  Error(Kind kind, const std::string& what, std::string sqlstate = {})
      : std::runtime_error(what), kind_(kind), sqlstate_(std::move(sqlstate)) {}
  Kind kind() const { return kind_; }
  // PostgreSQL's SQLSTATE ("55P03"), when the server gave one.
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  Kind kind_;
  std::string sqlstate_;
};

enum class Dialect { sqlite, postgres };

// What a database handle has done since it was opened, for /metrics and `ordo bench` (work per
// order): transactions committed or rolled back, statements executed, and round trips to the
// server (one per statement, or fewer when statements travel together; SQLite: statements run
// in-process, so a round trip is a hand-over to its writer or reader threads).
struct Counters {
  std::atomic<std::uint64_t> transactions{0};
  std::atomic<std::uint64_t> statements{0};
  std::atomic<std::uint64_t> round_trips{0};
  // Now: connections running a call (PostgreSQL: leased from the pool; SQLite: the writer busy
  // with a transaction, readers with a query) and calls waiting for one.
  std::atomic<std::int64_t> in_use{0};
  std::atomic<std::int64_t> waiting{0};
  // Each query() or transact(), from the call to its result, waiting for a connection included.
  core::Histogram call_seconds;
};

// Counts a call in a gauge for as long as the guard lives.
class GaugeGuard {
 public:
  explicit GaugeGuard(std::atomic<std::int64_t>& gauge) : gauge_(&gauge) { ++*gauge_; }
  GaugeGuard(const GaugeGuard&) = delete;
  GaugeGuard& operator=(const GaugeGuard&) = delete;
  ~GaugeGuard() { --*gauge_; }

 private:
  std::atomic<std::int64_t>* gauge_;
};

// Observes the time from its construction to its destruction into a histogram.
class CallTimer {
 public:
  explicit CallTimer(core::Histogram& histogram)
      : histogram_(&histogram), started_(std::chrono::steady_clock::now()) {}
  CallTimer(const CallTimer&) = delete;
  CallTimer& operator=(const CallTimer&) = delete;
  ~CallTimer() {
    histogram_->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  }

 private:
  core::Histogram* histogram_;
  std::chrono::steady_clock::time_point started_;
};

// One statement of a batch (Transaction::exec_all).
struct Statement {
  std::string sql;
  std::vector<Value> params;
};

// The statements of one transaction. Statements of a transaction run one after another; a body
// must await only its own statements (never HTTP or the bus) so a transaction is short.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // sql may hold several statements separated by ";" only when params is empty (migrations).
  virtual boost::asio::awaitable<Result> exec(std::string_view sql,
                                              std::vector<Value> params = {}) = 0;

  // Statements whose parameters do not depend on each other's results, run in order; their
  // results in the same order. PostgreSQL sends them all in one round trip; this default runs
  // them one by one. Fails as exec does, at the first failing statement (those after it do not
  // run). Build the vector in a named local: g++ 12 miscompiles a braced list inside co_await.
  virtual boost::asio::awaitable<std::vector<Result>> exec_all(std::vector<Statement> statements) {
    std::vector<Result> results;
    results.reserve(statements.size());
    for (Statement& statement : statements) {
      Result result = co_await exec(statement.sql, std::move(statement.params));
      results.push_back(std::move(result));
    }
    co_return results;
  }

  // Asks that the database's listeners of `channel` hear of this transaction once it has
  // committed (never when it rolls back), as PostgreSQL's NOTIFY does: the outbox wakes its
  // relay this way. A driver on its own ignores it; sql::with_commit_listeners() delivers it.
  virtual void notify(std::string_view channel) { (void)channel; }
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  virtual const std::string& name() const = 0;  // the owning service, for logs

  // A read-only statement outside any explicit transaction (may run on a replica-like reader).
  virtual boost::asio::awaitable<Result> query(std::string_view sql,
                                               std::vector<Value> params = {}) = 0;

  // Runs body in one read-write transaction: committed when body returns, rolled back (and the
  // exception rethrown) when it throws. Write transactions of one database are serialized.
  virtual boost::asio::awaitable<void> transact(
      std::function<boost::asio::awaitable<void>(Transaction&)> body) = 0;

  // True when the database answers; /ready uses it.
  virtual boost::asio::awaitable<bool> ping() = 0;

  // Calls fn after every commit of a transaction that notified `channel`, on the executor of
  // the coroutine that ran it. A driver on its own never calls it (the default); a Database made
  // by sql::with_commit_listeners() does. fn must be cheap and must not throw: post real work.
  virtual void listen(std::string channel, std::function<void()> fn) {
    (void)channel;
    (void)fn;
  }

  const Counters& counters() const { return *counters_; }

 protected:
  // A handle that wraps another reports the inner driver's counts as its own.
  void share_counters_of(const Database& inner) { counters_ = inner.counters_; }

  // The drivers count; shared with their coroutines, which may outlive the handle at shutdown.
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

// Convenience: a transaction that returns a value.
template <typename T, typename Body>
boost::asio::awaitable<T> transact_returning(Database& db, Body body) {
  std::optional<T> result;
  co_await db.transact(
      [&](Transaction& tx) -> boost::asio::awaitable<void> { result.emplace(co_await body(tx)); });
  co_return std::move(*result);
}

}  // namespace ordo::sql
