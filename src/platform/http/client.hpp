// An HTTP/1.1 client with keep-alive connection pools per origin. Beast lives only in client.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/core/name_lookup.hpp"
#include "platform/http/message.hpp"

namespace ordo::http {

// Why a request got no response: the gateway maps connect failures to 502 and timeouts to 504.
// may_have_reached() is false only when the client knows no complete request left this process
// (no connection, or the write itself failed): then even a POST may be sent elsewhere.
class ClientError : public std::runtime_error {
 public:
  enum class Kind { connect_failed, timeout, protocol };
  ClientError(Kind kind, const std::string& what, bool may_have_reached = true)
      : std::runtime_error(what), kind_(kind), may_have_reached_(may_have_reached) {}
  Kind kind() const { return kind_; }
  bool may_have_reached() const { return may_have_reached_; }

 private:
  Kind kind_;
  bool may_have_reached_;
};

// Whether sending the request twice does no more than sending it once (RFC 9110 9.2.2), or it
// is a POST with an Idempotency-Key the server deduplicates by.
bool is_replayable(const std::string& method, const Headers& headers);

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds request_timeout{10'000};
  std::size_t max_idle_per_origin = 64;
  std::size_t max_response_bytes = 16 * 1024 * 1024;
  // A 200 answer of Content-Type text/event-stream is not read whole: the Response comes back
  // after its head, with a `stream` producer that relays the body as it arrives (the gateway's
  // way of passing Server-Sent Events through). The connection belongs to that producer, which
  // closes it when the stream ends, the reader goes away, or nothing (not even a heartbeat)
  // arrives for stream_idle_timeout.
  bool relay_event_streams = false;
  std::chrono::milliseconds stream_idle_timeout{60'000};
  // Host names are looked up off the event loop (core::resolve_name, within connect_timeout) by
  // `lookup` (empty: the system's resolver). A name with several addresses (a scaled service
  // behind one DNS name) gets requests in turn, each address with its own idle connections; the
  // addresses are looked up again once older than name_refresh (a failed lookup keeps the last
  // ones). 0: looked up for every request.
  core::NameLookup lookup{};
  std::chrono::milliseconds name_refresh{5'000};
};

// Whether a Content-Type names Server-Sent Events (text/event-stream, any parameters).
bool is_event_stream(std::string_view content_type);

struct OutgoingRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query, already encoded
  Headers headers;
  std::string body;
};

class Client {
 public:
  Client(boost::asio::any_io_executor executor, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // origin: "http://127.0.0.1:3001" or "http://products:3002" (see ClientOptions::lookup). Reuses
  // an idle keep-alive connection when one is there (one the server has visibly closed is dropped
  // first); a replayable request on a reused connection that fails before any byte of the answer is
  // retried once on a fresh connection. timeout 0 means options.request_timeout. Throws
  // ClientError. With g++ 12 pass a named request, never a braced temporary (`send(o, {...})`): the
  // compiler corrupts brace-initialized temporaries that live across a co_await.
  boost::asio::awaitable<Response> send(const std::string& origin, OutgoingRequest request,
                                        std::chrono::milliseconds timeout = {});

  // Closes every idle connection.
  void close_idle();

 private:
  struct Pool;
  std::shared_ptr<Pool> pool_;
};

}  // namespace ordo::http
