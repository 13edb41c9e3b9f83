#include "services/orders/emits.hpp"

#include "contracts/events.hpp"

namespace ordo::services::orders {
namespace {

namespace events = contracts::events;

std::vector<events::OrderLine> event_lines(const contracts::Order& order) {
  std::vector<events::OrderLine> lines;
  for (const auto& item : order.items)
    lines.push_back({item.product_id, item.quantity, item.unit_price_cents});
  return lines;
}

}  // namespace

bus::CloudEvent order_created(const contracts::Order& order, const std::string& traceparent) {
  events::OrderCreated data{order.id, order.user_id, event_lines(order), order.total_cents,
                            order.currency};
  return bus::make_event(std::string(kEventSource), std::string(events::kOrderCreated), order.id,
                         events::to_json(data), traceparent);
}

bus::CloudEvent order_status_changed(const contracts::Order& order,
                                     const std::string& previous_status,
                                     const std::string& traceparent) {
  events::OrderStatusChanged data;
  data.order_id = order.id;
  data.user_id = order.user_id;
  data.status = order.status;
  data.total_cents = order.total_cents;
  data.currency = order.currency;
  data.lines = event_lines(order);
  if (order.rejection) {
    events::InventoryRejected rejection{order.id, order.rejection->code, {}};
    for (const auto& line : order.rejection->lines)
      rejection.lines.push_back({line.product_id, line.requested, line.available});
    data.rejection = std::move(rejection);
  }
  data.previous_status = previous_status;
  return bus::make_event(std::string(kEventSource), "order." + order.status, order.id,
                         events::to_json(data), traceparent);
}

}  // namespace ordo::services::orders
