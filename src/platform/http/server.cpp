// The HTTP/1.1 server on Beast and Asio coroutines: one coroutine per connection, on a strand of
// its own (correct however many threads run the io_context) or, given single-threaded event loops,
// straight on one of them.
#include "platform/http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "platform/http/parsers.hpp"
#include "platform/http/problem.hpp"
#include "platform/http/wire.hpp"
#include "platform/log/log.hpp"

namespace ordo::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

// Errors come back as values: a client hanging up is routine, not exceptional.
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// After an error answer, how long and how much of the client's unread request we swallow, so
// that closing with unread data does not reset the connection before the client reads our answer.
constexpr auto kLingerTime = 500ms;
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;

constexpr auto kShutdownPoll = 5ms;
constexpr auto kForceCloseWait = 200ms;
// How long a stopping server waits for the first request of a connection it had accepted.
constexpr auto kFreshConnectionGrace = 1s;

// The end of one streamed response: the client went away or the server is stopping. Shared by
// the writer, the coroutine watching the client and the server's stop, all on the connection's
// executor.
struct StreamEnd {
  bool ended = false;
  bool broken = false;  // the client went away or a write failed: nothing more can be sent
  std::function<void()> callback;

  void lose_client() {
    broken = true;
    end();
  }

  void end() {
    if (ended)
      return;
    ended = true;
    if (auto run = std::move(callback)) {
      callback = nullptr;
      run();
    }
  }
};

struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::string remote_address;
  std::uint64_t id = 0;
  // True while waiting for the first byte of the next request; only read or written on the
  // connection's executor (its strand or its loop), so shutdown can tell idle connections from ones
  // with work in flight.
  bool idle = true;
  // No request read yet. A stopping server still reads a fresh connection's first request: the
  // client sent it believing the connection accepted, and it cannot tell a close from a crash.
  bool fresh = true;
  // Set while a streamed response is being written: a stopping server ends it.
  std::shared_ptr<StreamEnd> streaming;

  void close() {
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }
};

}  // namespace

// Everything a connection needs, shared by the Server and its coroutines (which may outlive it).
// Named rather than anonymous so that Server::State can derive from it without a linkage warning.
namespace server_detail {

struct Core {
  Core(std::vector<boost::asio::any_io_executor> loops_in, bool strands_in, std::string name_in,
       ServerLimits limits_in, Handler handler_in)
      : loops(std::move(loops_in)),
        strands(strands_in),
        executor(loops.at(0)),
        name(std::move(name_in)),
        limits(limits_in),
        handler(std::move(handler_in)),
        acceptor_strand(asio::make_strand(executor)),
        acceptor(acceptor_strand) {}

  // Where the next connection runs: round-robin over the loops, on a strand of its own when the
  // loop may be run by several threads.
  asio::any_io_executor connection_executor() {
    auto& loop = loops[next_loop.fetch_add(1, std::memory_order_relaxed) % loops.size()];
    if (strands)
      return asio::make_strand(loop);
    return loop;
  }

  std::vector<asio::any_io_executor> loops;
  bool strands;
  asio::any_io_executor executor;  // the first loop: the acceptor's, the resolver's
  std::atomic<std::size_t> next_loop{0};
  std::string name;
  ServerLimits limits;
  Handler handler;
  asio::strand<asio::any_io_executor> acceptor_strand;
  tcp::acceptor acceptor;  // used only on acceptor_strand once listening

  std::atomic<bool> stopping{false};
  std::atomic<bool> acceptor_closed{false};
  // True from listen() until the accept loop has ended. Closing the acceptor is not enough: a
  // connection the reactor accepted just before the close still reaches the loop afterwards,
  // and a shutdown that did not wait for it would exit with that client's request unread.
  std::atomic<bool> accepting{false};
  std::atomic<std::size_t> open{0};

  std::mutex mutex;  // guards connections and next_id
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  std::uint64_t next_id = 0;

  std::vector<std::shared_ptr<Connection>> snapshot() {
    std::vector<std::shared_ptr<Connection>> out;
    std::lock_guard lock(mutex);
    for (auto& [id, weak] : connections) {
      if (auto connection = weak.lock()) {
        out.push_back(std::move(connection));
      }
    }
    return out;
  }
};

}  // namespace server_detail

struct Server::State : server_detail::Core {
  using Core::Core;
};

namespace {

using State = server_detail::Core;

// Keeps the open-connection count and the registry right however the coroutine ends, including
// when its frame is destroyed with the io_context.
class Registration {
 public:
  Registration(std::shared_ptr<State> state, std::uint64_t id)
      : state_(std::move(state)), id_(id) {}
  ~Registration() {
    {
      std::lock_guard lock(state_->mutex);
      state_->connections.erase(id_);
    }
    state_->open.fetch_sub(1);
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  std::shared_ptr<State> state_;
  std::uint64_t id_;
};

void start_connection(const std::shared_ptr<State>& state, tcp::socket socket);

void begin_stop(const std::shared_ptr<State>& state) {
  state->stopping = true;
  asio::post(state->acceptor_strand, [state] {
    // Connections the kernel completed but nobody accepted yet would be reset by the close:
    // take them first, so that their requests are served like any other in flight.
    error_code ec;
    state->acceptor.non_blocking(true, ec);
    while (!ec && state->acceptor.is_open()) {
      tcp::socket socket(state->connection_executor());
      state->acceptor.accept(socket, ec);
      if (!ec)
        start_connection(state, std::move(socket));
    }
    error_code ignored;
    state->acceptor.close(ignored);
    state->acceptor_closed = true;
  });
  for (auto& connection : state->snapshot()) {
    asio::post(connection->stream.get_executor(), [connection] {
      if (connection->streaming) {
        connection->streaming->end();  // its producer returns, then the connection closes
      } else if (connection->idle && !connection->fresh) {
        connection->close();
      } else if (connection->idle) {
        connection->stream.expires_after(kFreshConnectionGrace);  // its request, or nothing
      }
    });
  }
}

void force_close_all(const std::shared_ptr<State>& state) {
  for (auto& connection : state->snapshot()) {
    asio::post(connection->stream.get_executor(), [connection] { connection->close(); });
  }
}

errors::Problem headers_too_large() {
  errors::Problem problem;
  problem.status = 431;
  problem.type = "headers-too-large";
  problem.title = "Request Header Fields Too Large";
  problem.detail = "The request head is larger than this server accepts.";
  return problem;
}

errors::Problem uri_too_long(std::size_t limit) {
  errors::Problem problem;
  problem.status = 414;
  problem.type = "uri-too-long";
  problem.title = "URI Too Long";
  problem.detail = "The request target (path and query) is longer than the " +
                   std::to_string(limit) + " bytes this server accepts.";
  return problem;
}

// A head over the limit because of its request line is a target too long (414), not a head
// too large (431). The parser reports the request line as soon as it has read it (then only its
// target's length matters); when it has not, the line itself overflowed the head limit, unless
// the unparsed head in the buffer shows its end.
bool request_line_too_long(const Connection& connection, const Request& request,
                           std::size_t max_target_bytes) {
  if (!request.target.empty())
    return request.target.size() > max_target_bytes;
  auto data = connection.buffer.data();
  std::string_view head(static_cast<const char*>(data.data()), data.size());
  auto line_end = head.find("\r\n");
  if (line_end == std::string_view::npos)
    return true;
  // "METHOD SP target SP HTTP/1.1": the target is at most the line minus its method.
  return line_end > max_target_bytes + 16;
}

// The head is written by wire::response_head, and goes out with the body in one gathered write.
struct OutgoingResponse {
  std::string head;
  std::string body;  // empty when none is sent (HEAD, 1xx, 204, 304)
};

// A HEAD answer whose handler could not produce the body (the gateway relaying an upstream's HEAD
// answer) announces the length the handler put in Content-Length.
std::optional<std::uint64_t> head_length(const Response& response, bool head_request) {
  if (!head_request || !response.body.empty())
    return std::nullopt;
  auto field = response.headers.get("Content-Length");
  if (!field)
    return std::nullopt;
  std::uint64_t length = 0;
  auto [end, ec] = std::from_chars(field->data(), field->data() + field->size(), length);
  if (ec != std::errc{} || end != field->data() + field->size())
    return std::nullopt;
  return length;
}

OutgoingResponse prepare(Response response, unsigned version, bool head_request, bool keep_alive) {
  OutgoingResponse out;
  out.head =
      wire::response_head(response, version, keep_alive, head_length(response, head_request));
  if (!head_request && wire::status_has_body(response.status))
    out.body = std::move(response.body);
  return out;
}

asio::awaitable<bool> write_response(State& state, Connection& connection,
                                     const OutgoingResponse& response) {
  std::array<asio::const_buffer, 2> buffers{asio::buffer(response.head),
                                            asio::buffer(response.body)};
  connection.stream.expires_after(state.limits.write_timeout);
  auto [ec, written] = co_await asio::async_write(connection.stream, buffers, kNoThrow);
  connection.stream.expires_never();
  co_return !ec;
}

// Half-closes and swallows what the client still sends for a short while, then closes.
asio::awaitable<void> linger_close(Connection& connection) {
  error_code ignored;
  connection.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  connection.stream.expires_after(kLingerTime);
  std::size_t drained = 0;
  std::array<char, 16 * 1024> scratch{};
  while (drained < kLingerBytes) {
    auto [ec, n] = co_await connection.stream.async_read_some(asio::buffer(scratch), kNoThrow);
    if (ec) {
      break;
    }
    drained += n;
  }
  connection.close();
}

asio::awaitable<Response> call_handler(State& state, Request& request);

// The refusal goes through the handler like any request (request.refusal), so that it is
// counted, logged and rate-limited like one; then the connection ends, since what is left of
// the request on it cannot be told from the next one.
asio::awaitable<void> answer_refusal_and_close(State& state, Connection& connection,
                                               Request& request, const errors::Problem& problem) {
  request.remote_address = connection.remote_address;
  if (!request.target.empty() && !parse_target(request.target, request.path, request.query)) {
    request.path.clear();
    request.query.clear();
  }
  request.refusal = errors::to_response(problem);
  Response answer = co_await call_handler(state, request);
  auto response = prepare(std::move(answer), 11, false, false);
  if (co_await write_response(state, connection, response)) {
    co_await linger_close(connection);
  } else {
    connection.close();
  }
}

// Reading failed: answer what deserves an answer (413, 431, 400), stay silent otherwise.
asio::awaitable<void> reject(State& state, Connection& connection, Request& request,
                             error_code ec) {
  if (ec == bhttp::error::body_limit) {
    co_await answer_refusal_and_close(
        state, connection, request,
        errors::payload_too_large("The request body is larger than allowed."));
  } else if (ec == bhttp::error::header_limit &&
             request_line_too_long(connection, request, state.limits.max_target_bytes)) {
    request.target.clear();  // too long to route or log
    co_await answer_refusal_and_close(state, connection, request,
                                      uri_too_long(state.limits.max_target_bytes));
  } else if (ec == bhttp::error::header_limit) {
    co_await answer_refusal_and_close(state, connection, request, headers_too_large());
  } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    co_await answer_refusal_and_close(state, connection, request,
                                      errors::bad_request("The request is not valid HTTP/1.1."));
  } else {
    connection.close();  // timeout, reset, end of stream: nobody is listening for an answer
  }
}

// Waits for the first byte of a request: idle_timeout between keep-alive requests, header_timeout
// for the first one (a fresh connection that sends nothing is not a keep-alive client).
asio::awaitable<bool> await_request(State& state, Connection& connection, bool first) {
  if (connection.buffer.size() > 0) {
    co_return true;  // a pipelined request is already here
  }
  auto wait = first ? state.limits.header_timeout : state.limits.idle_timeout;
  if (first && state.stopping)
    wait = std::min<std::chrono::milliseconds>(wait, kFreshConnectionGrace);
  connection.stream.expires_after(wait);
  auto [ec, n] =
      co_await connection.stream.async_read_some(connection.buffer.prepare(4096), kNoThrow);
  if (ec) {
    connection.close();
    co_return false;
  }
  connection.buffer.commit(n);
  co_return true;
}

asio::awaitable<Response> call_handler(State& state, Request& request) {
  try {
    co_return co_await state.handler(request);
  } catch (const errors::ProblemException& problem) {
    co_return errors::to_response(problem.problem());
  } catch (const std::exception& failure) {
    log::error(state.name, "handler failed",
               {{"method", request.method}, {"path", request.path}, {"error", failure.what()}});
  } catch (...) {
    log::error(state.name, "handler failed",
               {{"method", request.method}, {"path", request.path}, {"error", "unknown"}});
  }
  co_return errors::to_response(errors::internal_error("An unexpected error occurred."));
}

// Writes a streamed body as chunks (HTTP/1.1) or as it is (HTTP/1.0, close-delimited).
class ConnectionStreamWriter final : public StreamWriter {
 public:
  ConnectionStreamWriter(State& state, Connection& connection, std::shared_ptr<StreamEnd> end,
                         bool chunked)
      : state_(state), connection_(connection), end_(std::move(end)), chunked_(chunked) {}

  asio::awaitable<bool> write(std::string_view bytes) override {
    if (end_->ended)
      co_return false;
    if (bytes.empty())
      co_return true;  // an empty chunk would end the body
    std::string framed = chunked_ ? wire::chunk(bytes) : std::string(bytes);
    connection_.stream.expires_after(state_.limits.write_timeout);
    auto [ec, written] =
        co_await asio::async_write(connection_.stream, asio::buffer(framed), kNoThrow);
    connection_.stream.expires_never();
    if (ec) {
      end_->lose_client();
      co_return false;
    }
    co_return true;
  }
  bool ending() const override { return end_->ended || state_.stopping; }
  void on_end(std::function<void()> callback) override {
    if (ending()) {
      end_->end();
      callback();
      return;
    }
    end_->callback = std::move(callback);
  }

 private:
  State& state_;
  Connection& connection_;
  std::shared_ptr<StreamEnd> end_;
  bool chunked_;
};

// Reads the client's side while a stream is written: its end (or reset) means nobody listens
// any more, which the producer hears at once rather than at its next write. Anything the client
// sends meanwhile is dropped: the connection closes after the stream.
asio::awaitable<void> watch_client(std::shared_ptr<Connection> connection,
                                   std::shared_ptr<StreamEnd> end) {
  std::array<char, 1024> scratch{};
  for (;;) {
    auto [ec, n] =
        co_await connection->stream.socket().async_read_some(asio::buffer(scratch), kNoThrow);
    if (ec)
      break;
  }
  end->lose_client();
}

// Sends a streamed response: the head, then whatever the producer writes, then the last chunk;
// the connection closes afterwards.
asio::awaitable<void> write_stream(State& state, const std::shared_ptr<Connection>& connection,
                                   Response response, unsigned version, bool head_request) {
  std::string head = wire::stream_response_head(response, version);
  connection->stream.expires_after(state.limits.write_timeout);
  auto [ec, written] = co_await asio::async_write(connection->stream, asio::buffer(head), kNoThrow);
  connection->stream.expires_never();
  if (ec || head_request || !wire::status_has_body(response.status)) {
    connection->close();
    co_return;
  }
  auto end = std::make_shared<StreamEnd>();
  connection->streaming = end;
  asio::co_spawn(connection->stream.get_executor(), watch_client(connection, end), asio::detached);
  bool chunked = version >= 11;
  ConnectionStreamWriter writer(state, *connection, end, chunked);
  try {
    co_await response.stream(writer);
  } catch (const std::exception& failure) {
    log::error(state.name, "stream failed", {{"error", failure.what()}});
  }
  end->callback = nullptr;  // before any co_await: it may refer to the producer's frame
  // A stream the server ended (stopping) still ends cleanly; one whose client is gone cannot.
  if (chunked && !end->broken) {
    static const std::string kLastChunk = "0\r\n\r\n";
    connection->stream.expires_after(state.limits.write_timeout);
    co_await asio::async_write(connection->stream, asio::buffer(kLastChunk), kNoThrow);
    connection->stream.expires_never();
  }
  connection->streaming.reset();
  connection->close();
}

// Reads, handles and answers one request; true when the connection may carry another.
asio::awaitable<bool> serve_one(State& state, const std::shared_ptr<Connection>& shared) {
  Connection& connection = *shared;
  Request request;
  wire::RequestParser parser(request);
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(state.limits.max_header_bytes, UINT32_MAX)));
  parser.body_limit(state.limits.max_body_bytes);

  connection.stream.expires_after(state.limits.header_timeout);
  auto [head_ec, head_bytes] =
      co_await bhttp::async_read_header(connection.stream, connection.buffer, parser, kNoThrow);
  if (head_ec) {
    co_await reject(state, connection, request, head_ec);
    co_return false;
  }
  if (!parser.is_done()) {
    // Clients such as curl hold a large body back until told to go on.
    if (parser.expects_continue()) {
      const std::string go_on = parser.version() == 10 ? "HTTP/1.0 100 Continue\r\n\r\n"
                                                       : "HTTP/1.1 100 Continue\r\n\r\n";
      connection.stream.expires_after(state.limits.write_timeout);
      auto [ec, n] = co_await asio::async_write(connection.stream, asio::buffer(go_on), kNoThrow);
      if (ec) {
        connection.close();
        co_return false;
      }
    }
    connection.stream.expires_after(state.limits.body_timeout);
    auto [body_ec, body_bytes] =
        co_await bhttp::async_read(connection.stream, connection.buffer, parser, kNoThrow);
    if (body_ec) {
      co_await reject(state, connection, request, body_ec);
      co_return false;
    }
  }
  connection.stream.expires_never();

  bool head_request = parser.head_request();
  unsigned version = parser.version();
  bool keep_alive = parser.keep_alive();
  request.remote_address = connection.remote_address;

  if (request.target.size() > state.limits.max_target_bytes) {
    request.target.clear();  // neither parsed nor logged: the whole request was read, so the
                             // connection can carry on
    request.refusal = errors::to_response(uri_too_long(state.limits.max_target_bytes));
  } else if (!parse_target(request.target, request.path, request.query)) {
    request.path.clear();
    request.query.clear();
    request.refusal = errors::to_response(errors::bad_request("The request target is not valid."));
  }
  Response response = co_await call_handler(state, request);

  // A handler may ask to end the connection; a stopping server ends it after this answer.
  if (auto connection_field = response.headers.get("Connection");
      connection_field && wire::iequals(*connection_field, "close")) {
    keep_alive = false;
  }
  if (state.stopping) {
    keep_alive = false;
  }
  if (response.stream) {
    co_await write_stream(state, shared, std::move(response), version, head_request);
    co_return false;
  }
  auto out = prepare(std::move(response), version, head_request, keep_alive);
  if (!co_await write_response(state, connection, out)) {
    connection.close();
    co_return false;
  }
  co_return keep_alive;
}

asio::awaitable<void> serve_connection(std::shared_ptr<State> state,
                                       std::shared_ptr<Connection> connection) {
  Registration registration(state, connection->id);
  bool first = true;
  while (first || !state->stopping) {
    connection->idle = true;
    if (!co_await await_request(*state, *connection, first)) {
      co_return;
    }
    connection->idle = false;
    connection->fresh = false;
    first = false;
    if (!co_await serve_one(*state, connection)) {
      co_return;
    }
  }
  connection->close();  // the server is stopping: this connection was idle between requests
}

void start_connection(const std::shared_ptr<State>& state, tcp::socket socket) {
  auto connection = std::make_shared<Connection>(std::move(socket));
  error_code ec;
  auto peer = connection->stream.socket().remote_endpoint(ec);
  if (ec) {
    return;  // the client is already gone
  }
  connection->remote_address = peer.address().to_string();
  connection->stream.socket().set_option(tcp::no_delay(true), ec);
  {
    std::lock_guard lock(state->mutex);
    connection->id = ++state->next_id;
    state->connections.emplace(connection->id, connection);
  }
  state->open.fetch_add(1);
  auto executor = connection->stream.get_executor();
  asio::co_spawn(executor, serve_connection(state, connection),
                 [state](std::exception_ptr failure) {
                   if (!failure) {
                     return;
                   }
                   try {
                     std::rethrow_exception(failure);
                   } catch (const std::exception& e) {
                     log::error(state->name, "connection failed", {{"error", e.what()}});
                   } catch (...) {
                     log::error(state->name, "connection failed", {{"error", "unknown"}});
                   }
                 });
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> state) {
  while (!state->stopping) {
    asio::any_io_executor connection_executor = state->connection_executor();
    auto [ec, socket] = co_await state->acceptor.async_accept(connection_executor, kNoThrow);
    if (ec) {
      if (state->stopping || ec == asio::error::operation_aborted || !state->acceptor.is_open()) {
        break;
      }
      // Out of descriptors or similar: back off so the loop does not spin on the same error.
      log::warn(state->name, "accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(state->acceptor_strand, 50ms);
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (state->stopping) {
      // Accepted as the server began to stop: its client is already sending a request, which
      // is served like any other in flight (dropping the socket would cut it off).
      start_connection(state, std::move(socket));
      break;
    }
    if (state->open.load() >= state->limits.max_connections) {
      error_code ignored;
      socket.close(ignored);  // over capacity: refusing fast beats queueing without bound
      continue;
    }
    start_connection(state, std::move(socket));
  }
}

}  // namespace

Server::Server(boost::asio::any_io_executor executor, std::string name, ServerLimits limits,
               Handler handler)
    : state_(std::make_shared<State>(std::vector<boost::asio::any_io_executor>{std::move(executor)},
                                     true, std::move(name), limits, std::move(handler))) {}

Server::Server(EventLoops loops, std::string name, ServerLimits limits, Handler handler)
    : state_(std::make_shared<State>(std::move(loops.executors), false, std::move(name), limits,
                                     std::move(handler))) {}

Server::~Server() {
  if (!state_->stopping) {
    begin_stop(state_);
  }
}

std::uint16_t Server::listen(const std::string& host, std::uint16_t port) {
  tcp::resolver resolver(state_->executor);
  auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive);
  if (results.empty()) {
    throw std::runtime_error("cannot resolve listen address " + host);
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::uint16_t bound = acceptor.local_endpoint().port();
  auto state = state_;
  state->accepting = true;
  asio::co_spawn(state->acceptor_strand, accept_loop(state), [state](std::exception_ptr failure) {
    if (failure) {
      log::error(state->name, "accept loop failed");
    }
    state->accepting = false;
  });
  log::info(state->name, "listening", {{"host", host}, {"port", bound}});
  return bound;
}

boost::asio::awaitable<void> Server::shutdown(std::chrono::milliseconds grace) {
  auto state = state_;
  begin_stop(state);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto wait_until = [&](std::chrono::steady_clock::time_point deadline) -> asio::awaitable<void> {
    while ((state->open.load() > 0 || !state->acceptor_closed || state->accepting) &&
           std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(kShutdownPoll);
      co_await timer.async_wait(kNoThrow);
    }
  };
  co_await wait_until(std::chrono::steady_clock::now() + grace);
  if (state->open.load() > 0) {
    log::warn(state->name, "grace period over, closing connections",
              {{"open", state->open.load()}});
    force_close_all(state);
    // A handler stuck on something else keeps its coroutine alive; do not wait for it forever.
    co_await wait_until(std::chrono::steady_clock::now() + kForceCloseWait);
  }
}

std::size_t Server::open_connections() const {
  return state_->open.load();
}

const std::string& Server::name() const {
  return state_->name;
}

}  // namespace ordo::http
