#include "services/inventory/emits.hpp"

namespace ordo::services::inventory {
namespace {

namespace events = contracts::events;

bus::CloudEvent inventory_event(std::string_view type, const std::string& subject,
                                boost::json::value data, const std::string& traceparent) {
  return bus::make_event(std::string(kEventSource), std::string(type), subject, std::move(data),
                         traceparent);
}

}  // namespace

bus::CloudEvent inventory_reserved(const events::StockMovement& data,
                                   const std::string& traceparent) {
  return inventory_event(events::kInventoryReserved, data.order_id, events::to_json(data),
                         traceparent);
}

bus::CloudEvent inventory_rejected(const events::InventoryRejected& data,
                                   const std::string& traceparent) {
  return inventory_event(events::kInventoryRejected, data.order_id, events::to_json(data),
                         traceparent);
}

bus::CloudEvent inventory_released(const events::StockMovement& data,
                                   const std::string& traceparent) {
  return inventory_event(events::kInventoryReleased, data.order_id, events::to_json(data),
                         traceparent);
}

bus::CloudEvent low_stock(const events::LowStock& data, const std::string& traceparent) {
  return inventory_event(events::kInventoryLowStock, data.product_id, events::to_json(data),
                         traceparent);
}

}  // namespace ordo::services::inventory
