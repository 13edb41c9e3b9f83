#include "platform/http/event_stream.hpp"

#include <charconv>

#include "platform/http/problem.hpp"

namespace ordo::http::sse {
namespace {

// The value without CR, LF (and NUL, which no field may carry).
std::string single_line(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c != '\r' && c != '\n' && c != '\0')
      out.push_back(c);
  }
  return out;
}

}  // namespace

std::string format(const Event& event) {
  std::string out;
  out.reserve(event.data.size() + 64);
  if (event.retry_ms && *event.retry_ms >= 0)
    out.append("retry: ").append(std::to_string(*event.retry_ms)).append("\n");
  if (event.id && event.id->find('\0') == std::string::npos)
    out.append("id: ").append(single_line(*event.id)).append("\n");
  if (event.event)
    out.append("event: ").append(single_line(*event.event)).append("\n");
  std::string_view rest(event.data);
  for (;;) {
    auto end = rest.find_first_of("\r\n");
    out.append("data: ").append(rest.substr(0, end)).append("\n");
    if (end == std::string_view::npos)
      break;
    // CRLF is one line break, a lone CR or LF another.
    std::size_t skip = rest[end] == '\r' && end + 1 < rest.size() && rest[end + 1] == '\n' ? 2 : 1;
    rest.remove_prefix(end + skip);
  }
  out.append("\n");
  return out;
}

std::string comment(std::string_view text) {
  return ": " + single_line(text) + "\n\n";
}

std::optional<std::int64_t> parse_last_event_id(std::string_view value) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty() || value.size() > 18)
    return std::nullopt;
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || end != value.data() + value.size() || number < 0)
    return std::nullopt;
  return number;
}

StreamSlots::Ticket StreamSlots::take() {
  auto state = state_;
  auto open = state->open.fetch_add(1);
  if (open >= state->limit) {
    state->open.fetch_sub(1);
    return nullptr;
  }
  // Any non-null pointer does; the deleter gives the slot back.
  return Ticket(state.get(), [state](void*) { state->open.fetch_sub(1); });
}

Response stream_response(BodyProducer producer) {
  Response response;
  response.status = 200;
  response.headers.set("Content-Type", "text/event-stream; charset=utf-8");
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("X-Accel-Buffering", "no");
  response.stream = std::move(producer);
  return response;
}

void raise_too_many_streams() {
  auto problem = errors::service_unavailable("too many event streams are open on this instance");
  problem.extensions["retryAfter"] = 5;
  errors::raise(std::move(problem));
}

}  // namespace ordo::http::sse
