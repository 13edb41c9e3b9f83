// What the orders service emits: order.created, order.confirmed, order.rejected,
// order.cancelled. The store enqueues them with the changes they report.
#pragma once

#include <string>
#include <string_view>

#include "contracts/orders.hpp"
#include "platform/bus/cloud_event.hpp"

namespace ordo::services::orders {

inline constexpr std::string_view kEventSource = "/ordo/orders";

bus::CloudEvent order_created(const contracts::Order& order, const std::string& traceparent);
// order.confirmed / order.rejected / order.cancelled, after the order reached order.status.
bus::CloudEvent order_status_changed(const contracts::Order& order,
                                     const std::string& previous_status,
                                     const std::string& traceparent);

}  // namespace ordo::services::orders
