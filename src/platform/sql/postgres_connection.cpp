// A libpq connection on the event loop: libpq does the protocol in non-blocking mode, and a dup of
// its socket tells Asio when to call it again. Nothing here blocks the io thread. Batches in
// pipeline mode live in postgres_pipeline.cpp.
#include "platform/sql/postgres_connection.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include <libpq-fe.h>
#include <openssl/ssl.h>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/sql/postgres_conninfo.hpp"
#include "platform/sql/postgres_protocol.hpp"

namespace ordo::sql {
namespace {
namespace asio = boost::asio;
using Descriptor = asio::posix::stream_descriptor;

// True when fd is ready now for any of events. Asio's reactor only reports edges, so data that
// arrived before a wait started (and that libpq has not read yet) would otherwise never wake it.
bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0 && p.revents != 0;
}

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}
}  // namespace

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') {
      quoted += '"';
    }
    quoted += c;
  }
  return quoted + "\"";
}

void PostgresConnection::ResultDeleter::operator()(pg_result* result) const {
  PQclear(result);
}

PostgresConnection::PostgresConnection(asio::any_io_executor executor, pg_conn* conn,
                                       std::chrono::milliseconds answer_timeout)
    : conn_(conn),
      socket_(executor),
      deadline_(executor),
      watch_(std::make_shared<DeadlineWatch>()),
      answer_timeout_(answer_timeout) {
  watch_->socket = &socket_;
}

PostgresConnection::~PostgresConnection() {
  watch_->socket = nullptr;  // a deadline handler already queued must not touch this object
  boost::system::error_code ignored;
  socket_.close(ignored);
  PQfinish(conn_);  // non-blocking: at most one Terminate message on a non-blocking socket
}

asio::awaitable<std::unique_ptr<PostgresConnection>> PostgresConnection::connect(
    asio::any_io_executor executor, const PostgresConnectSettings& settings) {
  auto deadline = std::chrono::steady_clock::now() + settings.connect_timeout;
  pg::ConnectTarget target = pg::parse_connect_target(settings.url);
  pg::ConnectTarget resolved =
      co_await pg::resolve_hosts(std::move(target), settings.connect_timeout, settings.lookup);
  pg::Keywords keywords = pg::connect_keywords(settings.url, settings.application_name, resolved);
  std::vector<const char*> names;
  std::vector<const char*> values;
  for (const auto& [name, value] : keywords) {
    names.push_back(name.c_str());
    values.push_back(value.c_str());
  }
  names.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectStartParams(names.data(), values.data(), 1);
  if (!conn) {
    throw Error(Error::Kind::connection, "postgres: out of memory starting a connection");
  }
  std::unique_ptr<PostgresConnection> connection(
      new PostgresConnection(executor, conn, settings.answer_timeout));
  if (PQstatus(conn) == CONNECTION_BAD) {
    connection->fail_connection("cannot connect");
  }
  // NOTICEs ("relation already exists, skipping") would go to stderr: nobody needs them.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  co_await connection->finish_connect(left_until(deadline));
  co_return connection;
}

asio::awaitable<void> PostgresConnection::finish_connect(std::chrono::milliseconds timeout) {
  arm_deadline(timeout);
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) {
      fail_connection("cannot connect");
    }
    // libpq may move to another socket (the next address of a host): follow it every step.
    attach_socket();
    co_await wait(status == PGRES_POLLING_WRITING);
    status = PQconnectPoll(conn_);
  }
  disarm_deadline();
  attach_socket();
  if (PQsetnonblocking(conn_, 1) != 0) {
    fail_connection("cannot switch to non-blocking mode");
  }
}

void PostgresConnection::attach_socket() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  int fd = PQsocket(conn_);
  if (fd < 0) {
    fail_connection("no socket");
  }
  int copy = ::dup(fd);
  if (copy < 0) {
    fail_connection("dup failed");
  }
  socket_.assign(copy);
}

void PostgresConnection::begin_use() {
  if (broken_) {
    throw Error(Error::Kind::connection, "postgres: the connection is broken");
  }
  if (in_flight_) {
    throw std::logic_error("postgres: two statements at once on one connection");
  }
  // Stays true if the coroutine is abandoned half-way: the connection is then not reused.
  in_flight_ = true;
}

void PostgresConnection::arm_deadline(std::chrono::milliseconds timeout) {
  watch_->hit = false;
  std::uint64_t generation = ++watch_->generation;
  if (timeout.count() <= 0) {
    return;
  }
  deadline_.expires_after(timeout);
  deadline_.async_wait([watch = watch_, generation](boost::system::error_code ec) {
    // A handler already queued when the deadline was disarmed belongs to an older generation.
    if (!ec && generation == watch->generation && watch->socket) {
      watch->hit = true;
      boost::system::error_code ignored;
      watch->socket->cancel(ignored);
    }
  });
}

void PostgresConnection::disarm_deadline() {
  ++watch_->generation;
  deadline_.cancel();
}

void PostgresConnection::fail_connection(std::string_view what) {
  broken_ = true;
  disarm_deadline();
  std::string message = "postgres: " + std::string(what);
  std::string detail = pg::trimmed(PQerrorMessage(conn_));
  if (!detail.empty()) {
    message += ": " + detail;
  }
  throw Error(Error::Kind::connection, message);
}

asio::awaitable<void> PostgresConnection::wait(bool for_write) {
  if (ready_now(socket_.native_handle(), for_write ? POLLOUT : POLLIN)) {
    co_return;
  }
  // Over TLS, OpenSSL may hold decrypted bytes libpq has not taken yet: the socket stays quiet.
  if (!for_write && PQsslInUse(conn_)) {
    auto* ssl = static_cast<SSL*>(PQsslStruct(conn_, "OpenSSL"));
    if (ssl && SSL_pending(ssl) > 0) {
      co_return;
    }
  }
  boost::system::error_code ec;
  co_await socket_.async_wait(for_write ? Descriptor::wait_write : Descriptor::wait_read,
                              asio::redirect_error(asio::use_awaitable, ec));
  if (watch_->hit) {
    fail_connection("no answer in time");
  }
  if (ec) {
    fail_connection("wait failed: " + ec.message());
  }
}

// While a long batch is being sent the server already answers its first statements: waiting
// only to write could wait forever on a server that itself waits for us to read.
asio::awaitable<void> PostgresConnection::wait_readable_or_writable() {
  if (ready_now(socket_.native_handle(), POLLIN | POLLOUT)) {
    co_return;
  }
  auto [order, read_error, write_error] =
      co_await asio::experimental::make_parallel_group(
          socket_.async_wait(Descriptor::wait_read, asio::deferred),
          socket_.async_wait(Descriptor::wait_write, asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (watch_->hit) {
    fail_connection("no answer in time");
  }
  // The first to complete tells; the other was cancelled by the group.
  auto error = order[0] == 0 ? read_error : write_error;
  if (error) {
    fail_connection("wait failed: " + error.message());
  }
}

asio::awaitable<void> PostgresConnection::flush() {
  for (;;) {
    int pending = PQflush(conn_);
    if (pending == 0) {
      co_return;
    }
    if (pending < 0) {
      fail_connection("cannot send");
    }
    // Take in what the server sends meanwhile, so neither side waits on a full buffer.
    if (!PQconsumeInput(conn_)) {
      fail_connection("connection lost");
    }
    co_await wait_readable_or_writable();
  }
}

// The simple protocol, outside pipeline mode (which takes one statement per message).
asio::awaitable<Result> PostgresConnection::exec_simple(std::string_view sql) {
  begin_use();
  if (PQpipelineStatus(conn_) != PQ_PIPELINE_OFF && PQexitPipelineMode(conn_) != 1) {
    fail_connection("cannot leave pipeline mode");
  }
  std::string text(sql);
  if (!PQsendQuery(conn_, text.c_str())) {
    fail_connection("cannot send");
  }
  ++round_trips_;
  arm_deadline(answer_timeout_);
  co_await flush();
  Result result = co_await read_simple(sql);
  disarm_deadline();
  in_flight_ = false;
  co_return result;
}

asio::awaitable<Result> PostgresConnection::read_simple(std::string_view sql) {
  ResultPtr last;
  ResultPtr failure;
  for (;;) {
    while (PQisBusy(conn_)) {
      co_await wait(false);
      if (!PQconsumeInput(conn_)) {
        fail_connection("connection lost");
      }
    }
    ResultPtr result(PQgetResult(conn_));
    if (!result) {
      break;
    }
    ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
        status == PGRES_NONFATAL_ERROR) {
      if (!failure) {
        failure = std::move(result);
      }
    } else if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      fail_connection("COPY is not supported: " + std::string(sql.substr(0, 60)));
    } else {
      last = std::move(result);
    }
  }
  if (failure) {
    Error error = pg::error_from(failure.get(), conn_, sql);
    if (error.kind() == Error::Kind::connection || PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
    }
    disarm_deadline();
    in_flight_ = false;  // every result was read: the connection is fit for the next statement
    throw error;
  }
  if (!last) {
    co_return Result{};
  }
  last_command_ = PQcmdStatus(last.get());
  co_return pg::to_result(last.get());
}

asio::awaitable<Result> PostgresConnection::exec(std::string_view sql,
                                                 const std::vector<Value>& params) {
  if (pg::needs_simple_protocol(sql, params.size())) {
    co_return co_await exec_simple(sql);
  }
  std::vector<StatementRef> one;
  one.push_back(StatementRef{sql, &params});
  std::vector<Result> results = co_await exec_pipelined(one);
  co_return std::move(results.front());
}

bool PostgresConnection::reusable() const {
  return !broken_ && !in_flight_ && PQstatus(conn_) == CONNECTION_OK &&
         PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool PostgresConnection::still_alive() {
  if (!reusable()) {
    return false;
  }
  if (ready_now(socket_.native_handle(), POLLIN)) {
    // Nothing is expected on an idle connection: a notice is fine, EOF or an error is not.
    if (!PQconsumeInput(conn_) || PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
      return false;
    }
    while (!PQisBusy(conn_)) {
      ResultPtr result(PQgetResult(conn_));
      if (!result) {
        break;
      }
      broken_ = true;  // an unsolicited error (e.g. 57P01 admin shutdown): the session is over
    }
  }
  return !broken_;
}

}  // namespace ordo::sql
