// One libpq connection driven without blocking on the Asio event loop; used by one coroutine at a
// time (the pool in postgres_database.cpp hands it out).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "platform/core/name_lookup.hpp"
#include "platform/sql/database.hpp"
#include "platform/sql/postgres_statements.hpp"

struct pg_conn;
struct pg_result;

namespace ordo::sql {

struct PostgresConnectSettings {
  std::string url;               // libpq conninfo (URI or key=value)
  std::string application_name;  // ordo-<service>
  std::chrono::milliseconds connect_timeout{3000};
  // Client-side bound on one statement: the server's statement_timeout plus a grace period, so a
  // server that stops answering (frozen, partitioned) cannot hang a caller. Zero: no bound.
  std::chrono::milliseconds answer_timeout{0};
  core::NameLookup lookup{};  // how host names are resolved (empty: the system's resolver)
};

// A statement of a batch; sql and params must outlive the call.
struct StatementRef {
  std::string_view sql;
  const std::vector<Value>* params;
};

class PostgresConnection {
 public:
  // Resolves the URL's host names (off the I/O thread), then connects with
  // PQconnectStartParams/PQconnectPoll. Throws sql::Error(connection) when the server cannot be
  // reached within connect_timeout.
  static boost::asio::awaitable<std::unique_ptr<PostgresConnection>> connect(
      boost::asio::any_io_executor executor, const PostgresConnectSettings& settings);

  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Runs one statement and returns its result. A text without params that holds several
  // statements separated by ";" goes through the simple protocol (the last result is returned);
  // anything else as a batch of one. Throws sql::Error mapped from the SQLSTATE; a
  // connection-level failure also marks the connection broken.
  boost::asio::awaitable<Result> exec(std::string_view sql, const std::vector<Value>& params);

  // Sends every statement at once (pipeline mode) and reads their results in one round trip.
  // Each must be a single statement. The first failing statement's error is thrown and the ones
  // after it do not run; outside an explicit transaction the batch is one implicit transaction.
  // Plannable statements are prepared on first use and the name reused after. A cached statement
  // that a schema change made stale (SQLSTATE 0A000) is prepared again and the batch resent once
  // when nothing of it took effect (the connection was idle before it); inside a transaction
  // that already did work, it throws sql::Error(busy) instead, for the caller to run the
  // transaction again.
  boost::asio::awaitable<std::vector<Result>> exec_pipelined(
      const std::vector<StatementRef>& statements);

  // False once the connection failed, was interrupted mid-statement, or is left inside a
  // transaction: the pool then closes it instead of reusing it.
  bool reusable() const;

  // For an idle connection: reads whatever the server sent meanwhile (an admin shutdown notice,
  // EOF) without waiting, so a connection the server dropped is noticed before it is used.
  bool still_alive();

  // The command tag of the last statement ("COMMIT", "ROLLBACK", "INSERT 0 1").
  const std::string& last_command() const { return last_command_; }

  // Round trips to the server so far (statements and batches, not the connection handshake):
  // what pipelining saves, made visible to tests.
  std::uint64_t round_trips() const { return round_trips_; }

 private:
  struct Command;
  struct Outcome;
  struct ResultDeleter {
    void operator()(pg_result* result) const;
  };
  using ResultPtr = std::unique_ptr<pg_result, ResultDeleter>;

  PostgresConnection(boost::asio::any_io_executor executor, pg_conn* conn,
                     std::chrono::milliseconds answer_timeout);

  boost::asio::awaitable<void> finish_connect(std::chrono::milliseconds timeout);
  void attach_socket();
  void begin_use();
  boost::asio::awaitable<void> wait(bool for_write);
  boost::asio::awaitable<void> wait_readable_or_writable();
  boost::asio::awaitable<void> flush();
  boost::asio::awaitable<ResultPtr> next_result();
  boost::asio::awaitable<Result> exec_simple(std::string_view sql);
  boost::asio::awaitable<Result> read_simple(std::string_view sql);
  boost::asio::awaitable<Outcome> round_trip(const std::vector<StatementRef>& statements,
                                             bool rollback_first);
  std::vector<Command> send_round(const std::vector<StatementRef>& statements, bool rollback_first);
  void send_housekeeping(bool rollback_first, std::vector<Command>& commands);
  void send_statement(const StatementRef& statement, std::size_t index,
                      std::vector<Command>& commands);
  boost::asio::awaitable<void> read_round(const std::vector<StatementRef>& statements,
                                          const std::vector<Command>& commands, Outcome& outcome);
  void take_result(const std::vector<StatementRef>& statements, const Command& command,
                   const pg_result* result, Outcome& outcome);
  [[noreturn]] void lost_mid_round(Outcome& outcome);
  void arm_deadline(std::chrono::milliseconds timeout);
  void disarm_deadline();
  [[noreturn]] void fail_connection(std::string_view what);

  pg_conn* conn_;
  boost::asio::posix::stream_descriptor socket_;  // a dup() of libpq's socket, for waiting only
  // Shared with the deadline's handler, which may run after this object is gone.
  struct DeadlineWatch {
    std::uint64_t generation = 0;
    bool hit = false;
    boost::asio::posix::stream_descriptor* socket = nullptr;
  };
  boost::asio::steady_timer deadline_;
  std::shared_ptr<DeadlineWatch> watch_;
  bool broken_ = false;
  bool in_flight_ = false;
  bool input_failed_ = false;  // PQconsumeInput failed during a round: the connection is gone
  std::chrono::milliseconds answer_timeout_;
  std::string last_command_;
  std::uint64_t round_trips_ = 0;
  pg::StatementCache statements_;  // dies with the connection, as the server's statements do
};

// Quotes a name for use as an SQL identifier ("orders" -> "\"orders\"").
std::string quote_identifier(std::string_view name);

}  // namespace ordo::sql
