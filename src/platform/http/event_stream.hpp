// Server-Sent Events (the WHATWG HTML "text/event-stream" format) for the streaming routes: the
// encoding of one event, the Last-Event-ID a reconnecting client sends, a cap on open streams,
// and the response head every stream starts with. No I/O.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "platform/http/message.hpp"

namespace ordo::http::sse {

struct Event {
  std::optional<std::string> id;         // "id:"; the client sends it back as Last-Event-ID
  std::optional<std::string> event;      // "event:"; absent: the client's "message"
  std::string data;                      // one "data:" line per line of it
  std::optional<std::int64_t> retry_ms;  // "retry:": the client's reconnection delay
};

// The event's lines and the blank line that ends it. Line breaks inside data (LF, CRLF or CR)
// split it into several data lines, which the client joins again with LF; line breaks in id and
// event would forge fields, so they are dropped from those (and an id holding NUL is left out,
// since clients ignore such an id).
std::string format(const Event& event);
// A comment line (": heartbeat\n\n" for "heartbeat"), ignored by clients, that keeps proxies from
// timing the connection out.
std::string comment(std::string_view text);

// The Last-Event-ID of a reconnecting client as the non-negative integer these streams use as
// ids; nullopt when absent, empty or anything else (then the stream starts afresh).
std::optional<std::int64_t> parse_last_event_id(std::string_view value);

// At most `limit` streams open at once on this instance. Thread-safe; a taken slot is given
// back when its ticket dies.
class StreamSlots {
 public:
  explicit StreamSlots(std::size_t limit) : state_(std::make_shared<State>(limit)) {}
  using Ticket = std::shared_ptr<void>;
  // A ticket, or nullptr when every slot is taken.
  Ticket take();
  std::size_t open() const { return state_->open.load(); }

 private:
  struct State {
    explicit State(std::size_t limit_in) : limit(limit_in) {}
    std::size_t limit;
    std::atomic<std::size_t> open{0};
  };
  std::shared_ptr<State> state_;
};

// The head of a stream: 200, text/event-stream, no-store (what it shows is the caller's own and
// changes), and no buffering by proxies that honour X-Accel-Buffering. The producer writes the
// events.
Response stream_response(BodyProducer producer);

// 503 with Retry-After when a service's streams are all taken.
[[noreturn]] void raise_too_many_streams();

}  // namespace ordo::http::sse
