#include "contracts/orders.hpp"

#include "contracts/json_fields.hpp"

#include <boost/json.hpp>

namespace ordo::contracts {
namespace json = boost::json;
namespace {
using namespace fields;  // text, integer, optional_text, nullable

json::value optional_to_json(const std::optional<std::string>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

}  // namespace

json::value to_json(const OrderRejection& rejection) {
  json::array lines;
  for (const auto& line : rejection.lines) {
    lines.push_back(json::object{{"productId", line.product_id},
                                 {"requested", line.requested},
                                 {"available", line.available}});
  }
  return json::object{{"code", rejection.code}, {"lines", std::move(lines)}};
}

OrderRejection order_rejection_from_json(const json::value& value) {
  const auto& o = value.as_object();
  OrderRejection rejection{text(o, "code"), {}};
  if (const auto* lines = o.if_contains("lines")) {
    for (const auto& item : lines->as_array()) {
      const auto& line = item.as_object();
      rejection.lines.push_back(
          {text(line, "productId"), integer(line, "requested"), integer(line, "available")});
    }
  }
  return rejection;
}

json::value to_json(const Order& order) {
  json::array items;
  for (const auto& item : order.items) {
    items.push_back(json::object{{"productId", item.product_id},
                                 {"sku", item.sku},
                                 {"name", item.name},
                                 {"quantity", item.quantity},
                                 {"unitPriceCents", item.unit_price_cents},
                                 {"lineTotalCents", item.line_total_cents}});
  }
  json::array history;
  for (const auto& entry : order.history) {
    history.push_back(json::object{
        {"status", entry.status}, {"reason", optional_to_json(entry.reason)}, {"at", entry.at}});
  }
  return json::object{
      {"id", order.id},
      {"userId", order.user_id},
      {"status", order.status},
      {"items", std::move(items)},
      {"totalCents", order.total_cents},
      {"currency", order.currency},
      {"note", optional_to_json(order.note)},
      {"rejectionReason", order.rejection ? to_json(*order.rejection) : json::value(nullptr)},
      {"createdAt", order.created_at},
      {"updatedAt", order.updated_at},
      {"history", std::move(history)}};
}

Order order_from_json(const json::value& value) {
  const auto& o = value.as_object();
  Order order;
  order.id = text(o, "id");
  order.user_id = text(o, "userId");
  order.status = text(o, "status");
  for (const auto& element : o.at("items").as_array()) {
    const auto& item = element.as_object();
    order.items.push_back({text(item, "productId"), text(item, "sku"), text(item, "name"),
                           integer(item, "quantity"), integer(item, "unitPriceCents"),
                           integer(item, "lineTotalCents")});
  }
  order.total_cents = integer(o, "totalCents");
  order.currency = text(o, "currency");
  order.note = optional_text(o, "note");
  if (const auto* rejection = o.if_contains("rejectionReason");
      rejection != nullptr && !rejection->is_null()) {
    order.rejection = order_rejection_from_json(*rejection);
  }
  order.created_at = text(o, "createdAt");
  order.updated_at = text(o, "updatedAt");
  if (const auto* history = o.if_contains("history")) {
    for (const auto& element : history->as_array()) {
      const auto& entry = element.as_object();
      order.history.push_back(
          {text(entry, "status"), optional_text(entry, "reason"), text(entry, "at")});
    }
  }
  return order;
}

}  // namespace ordo::contracts
