// What the orders service emits (order.created, order.confirmed, order.rejected,
// order.cancelled) and consumes (product.*, inventory.reserved, inventory.rejected).
#pragma once

#include <string>
#include <vector>

#include "contracts/orders.hpp"
#include "platform/bus/bus.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/bus/relay.hpp"
#include "platform/sql/database.hpp"

namespace ordo::services::orders {

inline constexpr std::string_view kEventSource = "/ordo/orders";
inline constexpr std::string_view kConsumer = "orders";

class OrderWaiters;

bus::CloudEvent order_created(const contracts::Order& order, const std::string& traceparent);
// order.confirmed / order.rejected / order.cancelled, after the order reached order.status.
bus::CloudEvent order_status_changed(const contracts::Order& order,
                                     const std::string& previous_status,
                                     const std::string& traceparent);

// The orders service's one durable subscription. Each event is applied in the inbox
// transaction; after it committed, the relay is woken for the events it enqueued (relay may be
// null in tests) and the order's `Prefer: wait` waiters are signalled.
bus::Subscription order_subscription(sql::Database& db, bus::OutboxRelay* relay,
                                     OrderWaiters& waiters);

}  // namespace ordo::services::orders
