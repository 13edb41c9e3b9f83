#include "services/orders/live.hpp"

#include <algorithm>

#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>

#include "services/orders/domain.hpp"

namespace ordo::services::orders {
namespace {

using boost::asio::awaitable;
using Clock = std::chrono::steady_clock;

// How long a client that lost the stream waits before reconnecting (the SSE "retry" field).
constexpr std::int64_t kReconnectMs = 2'000;

// The events from the client's version (exclusive) to the order's current one, one per state.
// A client that knows nothing, or names a version this order never had, gets the current state.
std::string events_since(const contracts::Order& order, std::optional<std::int64_t> known,
                         bool with_retry) {
  auto version = order_version(order);
  if (!known || *known > version)
    return order_event(order, version, with_retry);
  std::string out;
  for (auto v = *known + 1; v <= version; ++v)
    out += order_event(order_at_version(order, v), v, with_retry && out.empty());
  return out;
}

bool terminal(const contracts::Order& order) {
  auto status = parse_status(order.status);
  return status && is_terminal(*status);
}

}  // namespace

std::string order_event(const contracts::Order& order, std::int64_t version, bool with_retry) {
  http::sse::Event event;
  event.id = std::to_string(version);
  event.event = std::string(event_type(parse_status(order.status).value_or(OrderStatus::pending)));
  event.data = boost::json::serialize(contracts::to_json(order));
  if (with_retry)
    event.retry_ms = kReconnectMs;
  return http::sse::format(event);
}

awaitable<void> stream_order(OrderStore& store, OrderWaiters& waiters, contracts::Order seen,
                             std::optional<std::int64_t> last_event_id,
                             OrderStreamSettings settings, http::sse::StreamSlots::Ticket ticket,
                             http::StreamWriter& writer) {
  const std::string order_id = seen.id;
  // Read again: the order may have changed since the handler found it and checked the caller.
  auto first_read = co_await store.find(order_id);
  if (!first_read)
    co_return;
  contracts::Order order = std::move(*first_read);
  auto registration = waiters.watch(order_id, co_await boost::asio::this_coro::executor);
  // A stopping server or a departed client wakes the wait below (every waiter of the order
  // re-reads it, which is harmless).
  writer.on_end([&waiters, order_id] { waiters.notify(order_id); });

  std::string first = events_since(order, last_event_id, true);
  if (!first.empty() && !co_await writer.write(first))
    co_return;
  std::int64_t sent = order_version(order);  // whatever the client knew, it knows this now
  auto next_heartbeat = Clock::now() + settings.heartbeat;
  while (!terminal(order) && !writer.ending()) {
    auto until = std::min(Clock::now() + settings.poll, next_heartbeat);
    co_await registration->waiter().wait_until(until);
    if (writer.ending())
      break;
    if (Clock::now() >= next_heartbeat) {
      if (!co_await writer.write(http::sse::comment("heartbeat")))
        break;
      next_heartbeat = Clock::now() + settings.heartbeat;
    }
    auto version = co_await store.version(order_id);
    if (version <= sent)
      continue;
    auto fresh = co_await store.find(order_id);
    if (!fresh)
      break;
    order = std::move(*fresh);
    std::string events = events_since(order, sent, false);
    sent = order_version(order);
    if (!events.empty() && !co_await writer.write(events))
      break;
  }
  (void)ticket;  // held until here
}

}  // namespace ordo::services::orders
