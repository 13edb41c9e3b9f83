// A libpq connection on the event loop: libpq does the protocol in non-blocking mode, and a dup of
// its socket tells Asio when to call it again. Nothing here blocks the io thread.
#include "platform/sql/postgres_connection.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <libpq-fe.h>
#include <openssl/ssl.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ordo::sql {
namespace {
namespace asio = boost::asio;

// Type OIDs from pg_type.dat: the ones whose text form maps to a number.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Error::Kind kind_of(std::string_view sqlstate) {
  if (sqlstate == "23505") {
    return Error::Kind::unique_violation;
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return Error::Kind::busy;
  }
  if (sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03") {
    return Error::Kind::connection;
  }
  return Error::Kind::other;
}

Error error_from(const PGresult* result, pg_conn* conn, std::string_view sql) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (!state) {
    // No SQLSTATE: libpq itself failed (the connection broke while the statement ran).
    return Error(Error::Kind::connection, "postgres: " + trimmed(PQerrorMessage(conn)));
  }
  std::string what = "postgres: " + trimmed(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) +
                     " (SQLSTATE " + state + ")";
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
    what += ": " + trimmed(detail);
  }
  constexpr std::size_t kSqlShown = 120;
  what += " in: " + std::string(sql.substr(0, kSqlShown)) + (sql.size() > kSqlShown ? "..." : "");
  return Error(kind_of(state), what);
}

bool all_zeros(std::string_view digits) {
  return digits.find_first_not_of('0') == std::string_view::npos;
}

// numeric comes back for SUM(bigint) and friends: a whole number stays an integer.
Value numeric_value(std::string_view text) {
  std::string_view whole = text;
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    if (!all_zeros(text.substr(dot + 1))) {
      return std::strtod(std::string(text).c_str(), nullptr);
    }
    whole = text.substr(0, dot);
  }
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), n);
  if (ec == std::errc() && end == whole.data() + whole.size()) {
    return n;
  }
  return std::strtod(std::string(text).c_str(), nullptr);  // NaN, Infinity, beyond int64
}

Value column_value(const PGresult* result, int row, int column, Oid type) {
  if (PQgetisnull(result, row, column)) {
    return Null{};
  }
  std::string_view text(PQgetvalue(result, row, column),
                        static_cast<std::size_t>(PQgetlength(result, row, column)));
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t n = 0;
      std::from_chars(text.data(), text.data() + text.size(), n);
      return n;
    }
    case kBoolOid:
      return std::int64_t{text == "t" ? 1 : 0};
    case kFloat4Oid:
    case kFloat8Oid:
      return std::strtod(std::string(text).c_str(), nullptr);
    case kNumericOid:
      return numeric_value(text);
    default:
      return std::string(text);
  }
}

Result to_result(const PGresult* result) {
  Result out;
  int rows = PQntuples(result);
  int columns = PQnfields(result);
  std::vector<Oid> types(static_cast<std::size_t>(columns));
  for (int c = 0; c < columns; ++c) {
    types[static_cast<std::size_t>(c)] = PQftype(result, c);
  }
  out.rows.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      values.push_back(column_value(result, r, c, types[static_cast<std::size_t>(c)]));
    }
    out.rows.emplace_back(std::move(values));
  }
  std::string_view affected = PQcmdTuples(const_cast<PGresult*>(result));
  if (!affected.empty()) {
    std::from_chars(affected.data(), affected.data() + affected.size(), out.affected_rows);
  }
  return out;
}

// Parameters in text format: int8 and float8 typed, text and NULL left for the server to infer
// (so a text parameter can fill a jsonb or timestamptz column).
struct Parameters {
  explicit Parameters(const std::vector<Value>& params) {
    texts.resize(params.size());
    types.resize(params.size(), 0);
    values.resize(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        texts[i] = std::to_string(*n);
        types[i] = kInt8Oid;
      } else if (const auto* d = std::get_if<double>(&v)) {
        char buffer[64];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *d);
        texts[i] = ec == std::errc() ? std::string(buffer, end) : std::to_string(*d);
        if (std::isnan(*d)) {
          texts[i] = "NaN";
        } else if (std::isinf(*d)) {
          texts[i] = *d > 0 ? "Infinity" : "-Infinity";
        }
        types[i] = kFloat8Oid;
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        texts[i] = *s;
      } else {
        continue;  // NULL: a null pointer
      }
      values[i] = texts[i].c_str();
    }
  }
  std::vector<std::string> texts;
  std::vector<Oid> types;
  std::vector<const char*> values;
};

// True when fd is ready now. Asio's reactor only reports edges, so data that arrived before a
// wait started (and that libpq has not read yet) would otherwise never wake the wait.
bool ready_now(int fd, bool for_write) {
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  return ::poll(&p, 1, 0) > 0 && p.revents != 0;
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
  const char* keywords[] = {"dbname", "application_name", "client_encoding", nullptr};
  const char* values[] = {settings.url.c_str(), settings.application_name.c_str(), "UTF8", nullptr};
  pg_conn* conn = PQconnectStartParams(keywords, values, 1);
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
  co_await connection->finish_connect(settings.connect_timeout);
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
  std::string detail = trimmed(PQerrorMessage(conn_));
  if (!detail.empty()) {
    message += ": " + detail;
  }
  throw Error(Error::Kind::connection, message);
}

asio::awaitable<void> PostgresConnection::wait(bool for_write) {
  if (ready_now(socket_.native_handle(), for_write)) {
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
  co_await socket_.async_wait(for_write ? asio::posix::stream_descriptor::wait_write
                                        : asio::posix::stream_descriptor::wait_read,
                              asio::redirect_error(asio::use_awaitable, ec));
  if (watch_->hit) {
    fail_connection("no answer in time");
  }
  if (ec) {
    fail_connection("wait failed: " + ec.message());
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
    // Read what the server sends meanwhile, so neither side waits on a full buffer.
    if (!PQconsumeInput(conn_)) {
      fail_connection("connection lost");
    }
    co_await wait(true);
  }
}

asio::awaitable<Result> PostgresConnection::read_results(std::string_view sql) {
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
    Error error = error_from(failure.get(), conn_, sql);
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
  co_return to_result(last.get());
}

asio::awaitable<Result> PostgresConnection::exec(std::string_view sql,
                                                 const std::vector<Value>& params) {
  if (broken_) {
    throw Error(Error::Kind::connection, "postgres: the connection is broken");
  }
  if (in_flight_) {
    throw std::logic_error("postgres: two statements at once on one connection");
  }
  // Stays true if this coroutine is abandoned half-way: the connection is then not reused.
  in_flight_ = true;
  std::string text(sql);
  int sent = 0;
  if (params.empty()) {
    sent = PQsendQuery(conn_, text.c_str());
  } else {
    Parameters p(params);
    sent = PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()), p.types.data(),
                             p.values.data(), nullptr, nullptr, 0);
  }
  if (!sent) {
    fail_connection("cannot send");
  }
  arm_deadline(answer_timeout_);
  co_await flush();
  Result result = co_await read_results(sql);
  disarm_deadline();
  in_flight_ = false;
  co_return result;
}

bool PostgresConnection::reusable() const {
  return !broken_ && !in_flight_ && PQstatus(conn_) == CONNECTION_OK &&
         PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool PostgresConnection::still_alive() {
  if (!reusable()) {
    return false;
  }
  if (ready_now(socket_.native_handle(), false)) {
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
