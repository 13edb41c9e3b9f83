// What the inventory service consumes (product.created, product.deleted, order.created,
// order.cancelled) and emits (inventory.reserved, .rejected, .released, .low_stock).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "contracts/events.hpp"
#include "platform/bus/bus.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/bus/relay.hpp"
#include "platform/sql/database.hpp"

namespace ordo::services::inventory {

inline constexpr std::string_view kEventSource = "/ordo/inventory";
inline constexpr std::string_view kConsumer = "inventory";

bus::CloudEvent inventory_reserved(const contracts::events::StockMovement& data,
                                   const std::string& traceparent);
bus::CloudEvent inventory_rejected(const contracts::events::InventoryRejected& data,
                                   const std::string& traceparent);
bus::CloudEvent inventory_released(const contracts::events::StockMovement& data,
                                   const std::string& traceparent);
bus::CloudEvent low_stock(const contracts::events::LowStock& data, const std::string& traceparent);

struct HandlerOptions {
  std::int64_t default_threshold = 5;    // config inventory.low_stock_threshold
  std::function<std::int64_t()> now_ms;  // empty: the wall clock (tests pass a fixed one)
};

// The effect of one consumed event inside the inbox transaction. Malformed data throws
// bus::PoisonEvent; an order naming a product not known yet (and younger than the grace
// period) throws std::runtime_error so that the bus retries it later.
boost::asio::awaitable<void> handle_event(sql::Transaction& tx, const bus::CloudEvent& event,
                                          const HandlerOptions& options);

// The durable subscription: handle_event behind the inbox, then a nudge to the relay so the
// events the handler enqueued go out at once. relay may be null (tests).
bus::Subscription subscription(sql::Database& db, bus::OutboxRelay* relay, HandlerOptions options);

}  // namespace ordo::services::inventory
