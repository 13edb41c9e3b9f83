// The HTTP/1.1 client on Beast: per-origin pools of idle keep-alive connections, deadlines, and
// one retry when a reused connection turns out to have been closed by the server meanwhile.
#include "platform/http/client.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "platform/core/name_lookup.hpp"
#include "platform/http/parsers.hpp"
#include "platform/http/wire.hpp"

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

struct Origin {
  std::string host;  // without brackets, for resolving
  std::string port;
  std::uint16_t port_number = 0;
  std::string authority;  // as written, for the Host field and the pool key
};

std::optional<Origin> parse_origin(std::string_view origin) {
  constexpr std::string_view kScheme = "http://";
  if (origin.size() <= kScheme.size() ||
      !wire::iequals(origin.substr(0, kScheme.size()), kScheme)) {
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
  std::string pool_key;  // the origin and the address it is connected to
};

std::string pool_key(const Origin& origin, const std::string& address) {
  return origin.authority + " " + address;
}

// An event stream being relayed: the connection and the parser in the middle of its body. On the
// heap, since the parser refers to `parsed` and the producer outlives the exchange.
struct Relay {
  Relay() : parser(parsed) {}
  Response parsed;
  wire::ResponseParser parser;
  std::unique_ptr<Connection> connection;
  std::chrono::milliseconds idle_timeout{60'000};

  void close() {
    if (!connection)
      return;
    error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    connection->stream.socket().close(ignored);
  }
};

// What one request/response exchange on one connection came to.
struct Exchange {
  std::optional<Response> response;
  bool reusable = false;      // the connection may go back to the pool
  bool nothing_back = false;  // failed before a single byte of an answer
  bool written = false;       // the whole request went out: the server may have acted on it
  ClientError::Kind kind = ClientError::Kind::protocol;
  std::string error;
  std::shared_ptr<Relay> relay;  // an event stream whose body is still to come
};

bool is_connection_lost(const error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

// The head is built once per send (wire::request_head) and written with the body in one gathered
// write, on the first connection and again on a retry.
struct OutgoingMessage {
  std::string head;
  const std::string* body = nullptr;  // the request's own body, not a copy
  bool head_request = false;
  bool close = false;  // the caller asked for "Connection: close": never pooled afterwards
};

OutgoingMessage prepare(const OutgoingRequest& request, const Origin& origin) {
  OutgoingMessage out;
  bool sends_body = wire::request_sends_body(request);
  out.head = wire::request_head(request, origin.authority, sends_body);
  static const std::string kNoBody;
  out.body = sends_body ? &request.body : &kNoBody;
  out.head_request = request.method == "HEAD";
  out.close = wire::asks_to_close(request);
  return out;
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
  struct KnownName {
    std::vector<std::string> addresses;
    std::chrono::steady_clock::time_point looked_up;
  };
  std::unordered_map<std::string, KnownName> names;  // host name -> its last addresses
  std::size_t rotation = 0;                          // which address the next request goes to

  // The addresses of a host name looked up within name_refresh (or the last known ones, stale),
  // and whether they are fresh.
  std::pair<std::vector<std::string>, bool> known_addresses(const std::string& host) {
    std::lock_guard lock(mutex);
    auto found = names.find(host);
    if (found == names.end())
      return {{}, false};
    bool fresh = std::chrono::steady_clock::now() - found->second.looked_up < options.name_refresh;
    return {found->second.addresses, fresh};
  }
  void remember(const std::string& host, std::vector<std::string> addresses) {
    std::lock_guard lock(mutex);
    names[host] = KnownName{std::move(addresses), std::chrono::steady_clock::now()};
  }
  std::size_t next_index(std::size_t count) {
    std::lock_guard lock(mutex);
    return rotation++ % count;
  }

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

// The addresses of origin's host: itself when numeric; else looked up off the event loop within
// the connect timeout, or remembered from a lookup within name_refresh. A failed lookup falls back
// to the last addresses known (a DNS server that stopped answering must not take every upstream
// with it).
asio::awaitable<std::vector<std::string>> addresses_of(Pool& pool, const Origin& origin,
                                                       Clock::time_point deadline) {
  if (core::is_numeric_address(origin.host)) {
    co_return std::vector<std::string>{origin.host};
  }
  auto remembered = pool.known_addresses(origin.host);
  std::vector<std::string> known = std::move(remembered.first);
  if (remembered.second && !known.empty()) {
    co_return known;
  }
  auto budget = std::chrono::ceil<std::chrono::milliseconds>(
      std::min(deadline, Clock::now() + pool.options.connect_timeout) - Clock::now());
  std::string failure;
  bool timed_out = false;
  try {
    auto addresses = co_await core::resolve_name(
        origin.host, std::max(budget, std::chrono::milliseconds(1)), pool.options.lookup);
    pool.remember(origin.host, addresses);
    co_return addresses;
  } catch (const core::LookupError& e) {
    failure = e.what();
    timed_out = e.timed_out();
  }
  if (!known.empty()) {
    co_return known;
  }
  throw ClientError(timed_out ? ClientError::Kind::timeout : ClientError::Kind::connect_failed,
                    failure, false);
}

// Connects to the addresses in turn from `first` (the one this request is for), so an address
// that refuses does not fail the request while another answers.
asio::awaitable<std::unique_ptr<Connection>> connect(Pool& pool, const Origin& origin,
                                                     const std::vector<std::string>& addresses,
                                                     std::size_t first,
                                                     Clock::time_point deadline) {
  std::vector<tcp::endpoint> endpoints;
  error_code ec;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    auto address = asio::ip::make_address(addresses[(first + i) % addresses.size()], ec);
    if (!ec) {
      endpoints.emplace_back(address, origin.port_number);
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
  connection->pool_key = pool_key(origin, endpoint.address().to_string());
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
                                   const OutgoingMessage& request, Clock::time_point deadline) {
  std::array<asio::const_buffer, 2> buffers{asio::buffer(request.head),
                                            asio::buffer(*request.body)};
  connection.stream.expires_at(deadline);
  auto [write_ec, written] = co_await asio::async_write(connection.stream, buffers, kNoThrow);
  // A write that failed or timed out left an incomplete request, which no server acts on.
  if (write_ec == beast::error::timeout) {
    co_return failure(ClientError::Kind::timeout, "request timed out", true, false);
  }
  if (write_ec) {
    co_return failure(ClientError::Kind::protocol, "write failed: " + write_ec.message(), true,
                      false);
  }
  // Interim 1xx answers are skipped: the caller wants the final one.
  while (true) {
    // Parsed on the heap when an event stream may come back: its parser outlives the exchange.
    auto relay = pool.options.relay_event_streams && !request.head_request
                     ? std::make_shared<Relay>()
                     : nullptr;
    Response local;
    wire::ResponseParser local_parser(local);
    Response& response = relay ? relay->parsed : local;
    wire::ResponseParser& parser = relay ? relay->parser : local_parser;
    parser.body_limit(pool.options.max_response_bytes);
    parser.header_limit(kMaxResponseHead);
    if (request.head_request) {
      parser.skip(true);
    }
    error_code read_ec;
    if (relay) {
      auto [head_ec, head_read] =
          co_await bhttp::async_read_header(connection.stream, connection.buffer, parser, kNoThrow);
      read_ec = head_ec;
      if (!read_ec && response.status == 200 &&
          is_event_stream(response.headers.get_or("Content-Type", ""))) {
        connection.stream.expires_never();
        parser.body_limit(boost::none);  // drained as it is relayed
        Exchange out;
        relay->idle_timeout = pool.options.stream_idle_timeout;
        out.relay = std::move(relay);
        co_return out;
      }
      if (!read_ec && !parser.is_done()) {
        auto [body_ec, body_read] =
            co_await bhttp::async_read(connection.stream, connection.buffer, parser, kNoThrow);
        read_ec = body_ec;
      }
    } else {
      auto [whole_ec, read] =
          co_await bhttp::async_read(connection.stream, connection.buffer, parser, kNoThrow);
      read_ec = whole_ec;
    }
    if (read_ec == beast::error::timeout) {
      co_return failure(ClientError::Kind::timeout, "request timed out", false, true);
    }
    if (read_ec) {
      bool nothing_back = !parser.got_some() && is_connection_lost(read_ec);
      co_return failure(ClientError::Kind::protocol,
                        "reading the response failed: " + read_ec.message(), nothing_back, true);
    }
    if (response.status / 100 == 1 && response.status != 101) {
      continue;
    }
    Exchange out;
    out.reusable = !request.close && parser.keep_alive() && connection.buffer.size() == 0;
    out.response = std::move(response);
    connection.stream.expires_never();
    co_return out;
  }
}

// Relays an event stream's body to the writer as it arrives, until the body ends, the upstream
// fails or idles past the timeout, or the reader goes away (the writer's end closes the socket,
// which ends the pending read).
asio::awaitable<void> relay_body(std::shared_ptr<Relay> relay, StreamWriter& writer) {
  writer.on_end([relay] {
    auto executor = relay->connection->stream.get_executor();
    asio::post(executor, [relay] { relay->close(); });
  });
  while (!relay->parser.is_done() && !writer.ending()) {
    relay->connection->stream.expires_after(relay->idle_timeout);
    auto [ec, n] = co_await bhttp::async_read_some(
        relay->connection->stream, relay->connection->buffer, relay->parser, kNoThrow);
    if (!relay->parsed.body.empty()) {
      std::string piece;
      piece.swap(relay->parsed.body);
      if (!co_await writer.write(piece))
        break;
    }
    if (ec)
      break;
  }
  relay->close();
}

// The answer whose body is still to come, as a Response with a producer owning the connection.
Response relayed_response(std::shared_ptr<Relay> relay, std::unique_ptr<Connection> connection) {
  relay->connection = std::move(connection);
  Response response;
  response.status = relay->parsed.status;
  response.headers = relay->parsed.headers;
  response.stream = [relay](StreamWriter& writer) { return relay_body(relay, writer); };
  return response;
}

asio::awaitable<Response> send_on(std::shared_ptr<Pool> pool, std::string origin_text,
                                  OutgoingRequest request, std::chrono::milliseconds timeout) {
  auto origin = parse_origin(origin_text);
  if (!origin) {
    throw ClientError(ClientError::Kind::protocol, "unsupported origin: " + origin_text);
  }
  auto deadline = Clock::now() + (timeout.count() > 0 ? timeout : pool->options.request_timeout);
  auto message = prepare(request, *origin);
  auto addresses = co_await addresses_of(*pool, *origin, deadline);
  std::size_t first = addresses.size() > 1 ? pool->next_index(addresses.size()) : 0;
  const std::string key = pool_key(*origin, addresses[first]);

  bool replayable = is_replayable(request.method, request.headers);
  bool reached = false;  // an earlier attempt delivered the whole request
  if (auto reused = pool->take(key)) {
    Exchange result = co_await exchange(*pool, *reused, message, deadline);
    if (result.relay)
      co_return relayed_response(std::move(result.relay), std::move(reused));
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
    auto fresh = co_await connect(*pool, *origin, addresses, first, deadline);
    Exchange result = co_await exchange(*pool, *fresh, message, deadline);
    if (result.relay)
      co_return relayed_response(std::move(result.relay), std::move(fresh));
    if (!result.response) {
      throw ClientError(result.kind, result.error, reached || result.written);
    }
    if (result.reusable) {
      std::string fresh_key = fresh->pool_key;
      pool->give_back(fresh_key, std::move(fresh));
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

bool is_event_stream(std::string_view content_type) {
  constexpr std::string_view kType = "text/event-stream";
  if (content_type.size() < kType.size() ||
      !wire::iequals(content_type.substr(0, kType.size()), kType))
    return false;
  auto rest = content_type.substr(kType.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ';
}

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
