// What the inventory service emits: inventory.reserved, .rejected, .released, .low_stock. The
// store enqueues them with the changes they report.
#pragma once

#include <string>
#include <string_view>

#include "contracts/events.hpp"
#include "platform/bus/cloud_event.hpp"

namespace ordo::services::inventory {

inline constexpr std::string_view kEventSource = "/ordo/inventory";

bus::CloudEvent inventory_reserved(const contracts::events::StockMovement& data,
                                   const std::string& traceparent);
bus::CloudEvent inventory_rejected(const contracts::events::InventoryRejected& data,
                                   const std::string& traceparent);
bus::CloudEvent inventory_released(const contracts::events::StockMovement& data,
                                   const std::string& traceparent);
bus::CloudEvent low_stock(const contracts::events::LowStock& data, const std::string& traceparent);

}  // namespace ordo::services::inventory
