// HTTP request and response as services see them: plain values, no Beast types.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

namespace ordo::http {

// Header names compare case-insensitively (RFC 9110 5.1); order of insertion is kept.
class Headers {
 public:
  std::optional<std::string_view> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string_view fallback) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  void set(std::string name, std::string value);  // replaces every field of that name
  void add(std::string name, std::string value);  // appends, keeping existing fields
  void remove(std::string_view name);
  // Removes every field whose name satisfies the predicate, keeping the others' order.
  template <typename Predicate>
  void remove_if(Predicate predicate) {
    std::erase_if(fields_, [&](const auto& field) { return predicate(field.first); });
  }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Where a streamed response's producer writes its body (Server-Sent Events). Used only on the
// connection's executor, by the producer's coroutine.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends the bytes now (one chunk); false once the client is gone or the write failed: the
  // producer should then return.
  virtual boost::asio::awaitable<bool> write(std::string_view bytes) = 0;
  // True once the client has gone away or the server is stopping: the producer should return.
  virtual bool ending() const = 0;
  // Runs the callback (on the connection's executor) when ending() becomes true, or at once when
  // it already is, so that a producer blocked on a timer or an upstream read can cancel it. One
  // callback at a time; a later one replaces the earlier. A callback that cancels a wait does
  // nothing when no wait is pending: check ending() after registering, before waiting.
  virtual void on_end(std::function<void()> callback) = 0;
};

// Writes a streamed body until it returns; the connection closes afterwards.
using BodyProducer = std::function<boost::asio::awaitable<void>(StreamWriter&)>;

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, `body` is ignored: the head goes out without Content-Length (chunked on HTTP/1.1,
  // close-delimited on 1.0) and the producer writes the body as it comes. Admission slots and
  // the access log see the handler return, not the stream end: a stream holds no request slot.
  BodyProducer stream;

  static Response json(int status, const boost::json::value& body);
  static Response text(int status, std::string body, std::string content_type = "text/plain");
  static Response empty(int status);
};

// The authenticated caller, filled by the auth middleware of a service (never by the client).
struct Principal {
  std::string user_id;
  std::string role;  // "admin" or "user"
  std::string token_id;
  std::string session_id;  // the refresh-token family the token was issued to
  bool is_admin() const { return role == "admin"; }
};

// What travels with a request through every hop and into the logs and events.
struct RequestContext {
  std::string request_id;
  std::string traceparent;  // W3C trace context, always present (made up when the client sent none)
  std::string trace_id;     // the 32-hex trace id inside traceparent
  std::optional<Principal> principal;
  std::string credential_error;  // why a presented token was refused (401 detail), if it was
  // The token could not be checked at all: this process has no verification keys yet (starting,
  // its issuer unreachable). Not the client's fault: 503 where a user is required, not 401.
  bool credentials_unverifiable = false;
};

struct Request {
  std::string method;                        // upper case, as sent: "GET", "POST", ...
  std::string target;                        // raw request target: path and query, percent-encoded
  std::string path;                          // decoded path without the query
  std::map<std::string, std::string> query;  // decoded; the last value wins for a repeated name
  Headers headers;
  std::string body;
  std::string remote_address;
  std::map<std::string, std::string> path_params;  // filled by the router
  std::string route;  // the pattern the router matched ("/orders/{id}"); empty until then
  RequestContext context;
  // Set by the server for a request it refuses before routing (unreadable, body or head too
  // large, bad target): the middleware still sees it (ids, metrics, log, rate limits, headers)
  // and the router answers with this instead of routing.
  std::optional<Response> refusal;

  std::string_view path_param(const std::string& name) const;
  std::optional<std::string_view> query_param(const std::string& name) const;
};

// Splits a raw target into a decoded path and query parameters; false when it is not valid.
bool parse_target(std::string_view target, std::string& path,
                  std::map<std::string, std::string>& query);

}  // namespace ordo::http
