// One libpq connection driven without blocking on the Asio event loop; used by one coroutine at a
// time (the pool in postgres_database.cpp hands it out).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "platform/sql/database.hpp"

struct pg_conn;

namespace ordo::sql {

struct PostgresConnectSettings {
  std::string url;               // libpq conninfo (URI or key=value)
  std::string application_name;  // ordo-<service>
  std::chrono::milliseconds connect_timeout{3000};
  // Client-side bound on one statement: the server's statement_timeout plus a grace period, so a
  // server that stops answering (frozen, partitioned) cannot hang a caller. Zero: no bound.
  std::chrono::milliseconds answer_timeout{0};
};

class PostgresConnection {
 public:
  // Connects with PQconnectStart/PQconnectPoll. Throws sql::Error(connection) when the server
  // cannot be reached within connect_timeout.
  static boost::asio::awaitable<std::unique_ptr<PostgresConnection>> connect(
      boost::asio::any_io_executor executor, const PostgresConnectSettings& settings);

  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Runs sql and drains every result; returns the last one. Without params it goes through the
  // simple protocol, which accepts several statements separated by ";". Throws sql::Error mapped
  // from the SQLSTATE; a connection-level failure also marks the connection broken.
  boost::asio::awaitable<Result> exec(std::string_view sql, const std::vector<Value>& params);

  // False once the connection failed, was interrupted mid-statement, or is left inside a
  // transaction: the pool then closes it instead of reusing it.
  bool reusable() const;

  // For an idle connection: reads whatever the server sent meanwhile (an admin shutdown notice,
  // EOF) without waiting, so a connection the server dropped is noticed before it is used.
  bool still_alive();

  // The command tag of the last statement ("COMMIT", "ROLLBACK", "INSERT 0 1").
  const std::string& last_command() const { return last_command_; }

 private:
  PostgresConnection(boost::asio::any_io_executor executor, pg_conn* conn,
                     std::chrono::milliseconds answer_timeout);

  boost::asio::awaitable<void> finish_connect(std::chrono::milliseconds timeout);
  void attach_socket();
  boost::asio::awaitable<void> wait(bool for_write);
  boost::asio::awaitable<void> flush();
  boost::asio::awaitable<Result> read_results(std::string_view sql);
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
  std::chrono::milliseconds answer_timeout_;
  std::string last_command_;
};

// Quotes a name for use as an SQL identifier ("orders" -> "\"orders\"").
std::string quote_identifier(std::string_view name);

}  // namespace ordo::sql
