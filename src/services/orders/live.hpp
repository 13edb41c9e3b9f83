// GET /orders/{id}/events: an order's live status as Server-Sent Events (docs/streams.md).
//
// How a stream learns of a change: the order may be changed by any instance or process (the
// consumer that confirms it runs on whichever instance the broker hands the event to; a cancel
// may reach another instance), so in-process signals alone would miss changes. Each stream
// re-reads the order's version (one indexed COUNT) every streams.poll_ms, and this instance's
// own changes (its consumer, its cancels) wake it at once through the OrderWaiters that
// `Prefer: wait` uses. Polling was chosen over PostgreSQL LISTEN/NOTIFY: it works the same on
// SQLite and PostgreSQL, needs no dedicated connection per instance, and its cost (one small read
// per open stream per interval) is bounded by streams.max_open.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "contracts/orders.hpp"
#include "platform/http/event_stream.hpp"
#include "services/orders/store.hpp"
#include "services/orders/waiters.hpp"

namespace ordo::services::orders {

struct OrderStreamSettings {
  std::chrono::milliseconds heartbeat{15'000};
  std::chrono::milliseconds poll{250};
};

// The SSE event of the order at `version` ("id: <version>", "event: order.confirmed", the
// order's JSON as data).
std::string order_event(const contracts::Order& order, std::int64_t version, bool with_retry);

// Writes the stream: the current state at once (or, resuming after `last_event_id`, every state
// since), then one event per change, a heartbeat comment when quiet, and ends after a terminal
// state (rejected, cancelled) or when the client or the server goes. `ticket` holds this
// stream's slot until it ends.
boost::asio::awaitable<void> stream_order(OrderStore& store, OrderWaiters& waiters,
                                          contracts::Order seen,
                                          std::optional<std::int64_t> last_event_id,
                                          OrderStreamSettings settings,
                                          http::sse::StreamSlots::Ticket ticket,
                                          http::StreamWriter& writer);

}  // namespace ordo::services::orders
