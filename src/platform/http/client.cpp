// The HTTP/1.1 client on Beast: per-origin pools of idle keep-alive connections, deadlines, and
// one retry when a reused connection turns out to have been closed by the server meanwhile.
#include "platform/http/client.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace ordo::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Beast's default of 8 KiB is tight for services that set several cookies or long trace fields.
constexpr std::uint32_t kMaxResponseHead = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// Fields that describe one hop's connection; the client frames each request itself, and a body
// is always sent at once (so "Expect: 100-continue" would only produce an interim answer).
bool is_hop_field(std::string_view name) {
  for (std::string_view hop : {"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
                               "Content-Length", "TE", "Upgrade", "Expect"}) {
    if (iequals(name, hop)) {
      return true;
    }
  }
  return false;
}

struct Origin {
  std::string host;  // without brackets, for resolving
  std::string port;
  std::uint16_t port_number = 0;
  std::string authority;  // as written, for the Host field and the pool key
};

std::optional<Origin> parse_origin(std::string_view origin) {
  constexpr std::string_view kScheme = "http://";
  if (origin.size() <= kScheme.size() || !iequals(origin.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::string_view authority = origin.substr(kScheme.size());
  if (authority.ends_with('/')) {
    authority.remove_suffix(1);
  }
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos) {
    return std::nullopt;
  }
  Origin out;
  out.authority = std::string(authority);
  std::string_view host = authority;
  std::string_view port = "80";
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return std::nullopt;
      }
      port = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  unsigned long number = std::stoul(std::string(port));
  if (number == 0 || number > 65535) {
    return std::nullopt;
  }
  out.port_number = static_cast<std::uint16_t>(number);
  out.host = std::string(host);
  out.port = std::string(port);
  return out;
}

struct Connection {
  explicit Connection(const asio::any_io_executor& executor) : stream(executor) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

// What one request/response exchange on one connection came to.
struct Exchange {
  std::optional<Response> response;
  bool reusable = false;      // the connection may go back to the pool
  bool nothing_back = false;  // failed before a single byte of an answer
  bool written = false;       // the whole request went out: the server may have acted on it
  ClientError::Kind kind = ClientError::Kind::protocol;
  std::string error;
};

bool is_connection_lost(const error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

bhttp::request<bhttp::string_body> to_beast(const OutgoingRequest& request, const Origin& origin) {
  bhttp::request<bhttp::string_body> out;
  out.version(11);
  out.method_string(request.method);
  out.target(request.target.empty() ? "/" : request.target);
  for (const auto& [name, value] : request.headers.fields()) {
    if (!is_hop_field(name)) {
      out.insert(name, value);
    }
  }
  if (!request.headers.has("Host")) {
    out.set(bhttp::field::host, origin.authority);
  }
  bool sends_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                    request.method == "PATCH";
  if (sends_body) {
    out.body() = request.body;
    out.content_length(request.body.size());
  }
  out.keep_alive(true);
  return out;
}

Response to_response(bhttp::response<bhttp::string_body>& message) {
  Response response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  return response;
}

}  // namespace

// Named rather than anonymous so that Client::Pool can derive from it without a linkage warning.
namespace client_detail {

struct PoolCore {
  PoolCore(boost::asio::any_io_executor executor_in, ClientOptions options_in)
      : executor(std::move(executor_in)), options(options_in) {}

  asio::any_io_executor executor;
  ClientOptions options;
  std::mutex mutex;  // the pool is cheap to guard, and a Client may be shared across threads
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

  std::unique_ptr<Connection> take(const std::string& key) {
    std::lock_guard lock(mutex);
    auto it = idle.find(key);
    while (it != idle.end() && !it->second.empty()) {
      auto connection = std::move(it->second.back());  // the most recently used is the least stale
      it->second.pop_back();
      if (still_open(*connection)) {
        return connection;
      }
    }
    return nullptr;
  }

  // An idle connection the server has closed (or written to unasked, like a 408 before closing)
  // shows it without blocking; catching it here keeps non-replayable requests off dead sockets.
  static bool still_open(Connection& connection) {
    char byte = 0;
    auto n = ::recv(connection.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void give_back(const std::string& key, std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex);
    auto& list = idle[key];
    if (list.size() < options.max_idle_per_origin) {
      list.push_back(std::move(connection));
    }
  }

  void clear() {
    std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> doomed;
    {
      std::lock_guard lock(mutex);
      doomed.swap(idle);
    }
    for (auto& [key, list] : doomed) {
      for (auto& connection : list) {
        error_code ignored;
        connection->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        connection->stream.socket().close(ignored);
      }
    }
  }
};

}  // namespace client_detail

struct Client::Pool : client_detail::PoolCore {
  using PoolCore::PoolCore;
};

namespace {

using Pool = client_detail::PoolCore;

asio::awaitable<std::unique_ptr<Connection>> connect(Pool& pool, const Origin& origin,
                                                     Clock::time_point deadline) {
  std::vector<tcp::endpoint> endpoints;
  error_code ec;
  auto address = asio::ip::make_address(origin.host, ec);
  if (!ec) {
    endpoints.emplace_back(address, origin.port_number);
  } else {
    tcp::resolver resolver(pool.executor);
    auto [resolve_ec, results] =
        co_await resolver.async_resolve(origin.host, origin.port, kNoThrow);
    if (resolve_ec) {
      throw ClientError(ClientError::Kind::connect_failed,
                        "cannot resolve " + origin.host + ": " + resolve_ec.message(), false);
    }
    for (const auto& entry : results) {
      endpoints.push_back(entry.endpoint());
    }
  }
  auto connection = std::make_unique<Connection>(pool.executor);
  connection->stream.expires_at(std::min(deadline, Clock::now() + pool.options.connect_timeout));
  auto [connect_ec, endpoint] = co_await connection->stream.async_connect(endpoints, kNoThrow);
  if (connect_ec == beast::error::timeout) {
    throw ClientError(ClientError::Kind::timeout,
                      "connecting to " + origin.authority + " timed out", false);
  }
  if (connect_ec) {
    throw ClientError(ClientError::Kind::connect_failed,
                      "cannot connect to " + origin.authority + ": " + connect_ec.message(), false);
  }
  connection->stream.socket().set_option(tcp::no_delay(true), ec);
  co_return connection;
}

Exchange failure(ClientError::Kind kind, std::string error, bool nothing_back, bool written) {
  Exchange out;
  out.kind = kind;
  out.error = std::move(error);
  out.nothing_back = nothing_back;
  out.written = written;
  return out;
}

asio::awaitable<Exchange> exchange(Pool& pool, Connection& connection,
                                   bhttp::request<bhttp::string_body>& request,
                                   Clock::time_point deadline) {
  connection.stream.expires_at(deadline);
  auto [write_ec, written] = co_await bhttp::async_write(connection.stream, request, kNoThrow);
  // A write that failed or timed out left an incomplete request, which no server acts on.
  if (write_ec == beast::error::timeout) {
    co_return failure(ClientError::Kind::timeout, "request timed out", true, false);
  }
  if (write_ec) {
    co_return failure(ClientError::Kind::protocol, "write failed: " + write_ec.message(), true,
                      false);
  }
  bool head_request = request.method() == bhttp::verb::head;
  // Interim 1xx answers are skipped: the caller wants the final one.
  while (true) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(pool.options.max_response_bytes);
    parser.header_limit(kMaxResponseHead);
    if (head_request) {
      parser.skip(true);
    }
    auto [read_ec, read] =
        co_await bhttp::async_read(connection.stream, connection.buffer, parser, kNoThrow);
    if (read_ec == beast::error::timeout) {
      co_return failure(ClientError::Kind::timeout, "request timed out", false, true);
    }
    if (read_ec) {
      bool nothing_back = !parser.got_some() && is_connection_lost(read_ec);
      co_return failure(ClientError::Kind::protocol,
                        "reading the response failed: " + read_ec.message(), nothing_back, true);
    }
    auto& message = parser.get();
    if (message.result_int() / 100 == 1 && message.result_int() != 101) {
      continue;
    }
    Exchange out;
    out.reusable = message.keep_alive() && connection.buffer.size() == 0;
    out.response = to_response(message);
    connection.stream.expires_never();
    co_return out;
  }
}

asio::awaitable<Response> send_on(std::shared_ptr<Pool> pool, std::string origin_text,
                                  OutgoingRequest request, std::chrono::milliseconds timeout) {
  auto origin = parse_origin(origin_text);
  if (!origin) {
    throw ClientError(ClientError::Kind::protocol, "unsupported origin: " + origin_text);
  }
  auto deadline = Clock::now() + (timeout.count() > 0 ? timeout : pool->options.request_timeout);
  auto message = to_beast(request, *origin);
  const std::string& key = origin->authority;

  bool replayable = is_replayable(request.method, request.headers);
  bool reached = false;  // an earlier attempt delivered the whole request
  if (auto reused = pool->take(key)) {
    Exchange result = co_await exchange(*pool, *reused, message, deadline);
    if (result.response) {
      if (result.reusable) {
        pool->give_back(key, std::move(reused));
      }
      co_return std::move(*result.response);
    }
    // Closed by the server meanwhile, most likely before it read the request: a replayable
    // request goes again on a fresh connection; another could run twice, so it fails here.
    if (!result.nothing_back || (result.written && !replayable)) {
      throw ClientError(result.kind, result.error, result.written);
    }
    reached = result.written;
  }
  try {
    auto fresh = co_await connect(*pool, *origin, deadline);
    Exchange result = co_await exchange(*pool, *fresh, message, deadline);
    if (!result.response) {
      throw ClientError(result.kind, result.error, reached || result.written);
    }
    if (result.reusable) {
      pool->give_back(key, std::move(fresh));
    }
    co_return std::move(*result.response);
  } catch (const ClientError& e) {
    if (!reached || e.may_have_reached())
      throw;
    // The connect failed, but the first attempt may have delivered the request.
    throw ClientError(e.kind(), e.what(), true);
  }
}

}  // namespace

bool is_replayable(const std::string& method, const Headers& headers) {
  for (std::string_view idempotent : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    if (method == idempotent) {
      return true;
    }
  }
  return method == "POST" && headers.has("Idempotency-Key");
}

Client::Client(boost::asio::any_io_executor executor, ClientOptions options)
    : pool_(std::make_shared<Pool>(std::move(executor), options)) {}

Client::~Client() {
  pool_->clear();
}

boost::asio::awaitable<Response> Client::send(const std::string& origin, OutgoingRequest request,
                                              std::chrono::milliseconds timeout) {
  // Not a coroutine itself: the frame below owns the pool, so it may outlive this Client.
  return send_on(pool_, origin, std::move(request), timeout);
}

void Client::close_idle() {
  pool_->clear();
}

}  // namespace ordo::http
