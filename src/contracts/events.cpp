#include "contracts/events.hpp"

#include "contracts/json_fields.hpp"

#include <boost/json.hpp>

namespace ordo::contracts::events {
namespace json = boost::json;
namespace {
using namespace fields;  // text, integer, optional_text, nullable

json::array lines_to_json(const std::vector<OrderLine>& lines) {
  json::array out;
  for (const auto& line : lines) {
    out.push_back(json::object{{"productId", line.product_id},
                               {"quantity", line.quantity},
                               {"unitPriceCents", line.unit_price_cents}});
  }
  return out;
}

std::vector<OrderLine> lines_from_json(const json::value& value) {
  std::vector<OrderLine> lines;
  for (const auto& item : value.as_array()) {
    const auto& o = item.as_object();
    lines.push_back({text(o, "productId"), integer(o, "quantity"),
                     o.contains("unitPriceCents") ? integer(o, "unitPriceCents") : 0});
  }
  return lines;
}

json::array short_lines_to_json(const std::vector<ShortLine>& lines) {
  json::array out;
  for (const auto& line : lines) {
    out.push_back(json::object{{"productId", line.product_id},
                               {"requested", line.requested},
                               {"available", line.available}});
  }
  return out;
}

std::vector<ShortLine> short_lines_from_json(const json::value& value) {
  std::vector<ShortLine> lines;
  for (const auto& item : value.as_array()) {
    const auto& o = item.as_object();
    lines.push_back({text(o, "productId"), integer(o, "requested"), integer(o, "available")});
  }
  return lines;
}

}  // namespace

json::value to_json(const UserRegistered& event) {
  return json::object{{"userId", event.user_id},
                      {"email", event.email},
                      {"name", event.name},
                      {"role", event.role},
                      {"active", event.active},
                      {"tokenVersion", event.token_version},
                      {"phone", nullable(event.phone)},
                      {"notificationPreferences", to_json(event.preferences)},
                      {"pushSubscriptions", to_json(event.push_subscriptions)}};
}

UserRegistered user_registered_from_json(const json::value& data) {
  const auto& o = data.as_object();
  UserRegistered event{text(o, "userId"), text(o, "email"), text(o, "name"), text(o, "role"),
                       o.contains("active") ? o.at("active").as_bool() : true};
  // Events written before token versions existed carry none: the first version.
  event.token_version = o.contains("tokenVersion") ? integer(o, "tokenVersion") : 1;
  event.phone = optional_text(o, "phone");
  if (auto it = o.find("notificationPreferences"); it != o.end() && !it->value().is_null())
    event.preferences = notification_preferences_from_json(it->value());
  if (auto it = o.find("pushSubscriptions"); it != o.end() && !it->value().is_null())
    event.push_subscriptions = push_subscriptions_from_json(it->value());
  return event;
}

json::value to_json(const SessionEnded& event) {
  return json::object{
      {"userId", event.user_id}, {"sessionId", event.session_id}, {"until", event.until}};
}

SessionEnded session_ended_from_json(const json::value& data) {
  const auto& o = data.as_object();
  return {text(o, "userId"), text(o, "sessionId"), integer(o, "until")};
}

json::value to_json(const ProductSnapshot& p) {
  return json::object{
      {"productId", p.product_id},   {"sku", p.sku},           {"name", p.name},
      {"priceCents", p.price_cents}, {"currency", p.currency}, {"category", p.category},
      {"active", p.active},          {"version", p.version}};
}

ProductSnapshot product_snapshot_from_json(const json::value& data) {
  const auto& o = data.as_object();
  return {text(o, "productId"),     text(o, "sku"),       text(o, "name"),
          integer(o, "priceCents"), text(o, "currency"),  text(o, "category"),
          o.at("active").as_bool(), integer(o, "version")};
}

json::value to_json(const ProductCreated& event) {
  auto out = to_json(event.product).as_object();
  out["initialStock"] = event.initial_stock;
  return out;
}

ProductCreated product_created_from_json(const json::value& data) {
  return {product_snapshot_from_json(data), integer(data.as_object(), "initialStock")};
}

json::value to_json(const OrderCreated& event) {
  return json::object{{"orderId", event.order_id},
                      {"userId", event.user_id},
                      {"lines", lines_to_json(event.lines)},
                      {"totalCents", event.total_cents},
                      {"currency", event.currency}};
}

OrderCreated order_created_from_json(const json::value& data) {
  const auto& o = data.as_object();
  return {text(o, "orderId"), text(o, "userId"), lines_from_json(o.at("lines")),
          integer(o, "totalCents"), text(o, "currency")};
}

json::value to_json(const StockMovement& event) {
  return json::object{{"orderId", event.order_id}, {"lines", lines_to_json(event.lines)}};
}

StockMovement stock_movement_from_json(const json::value& data) {
  const auto& o = data.as_object();
  return {text(o, "orderId"), lines_from_json(o.at("lines"))};
}

json::value to_json(const InventoryRejected& event) {
  return json::object{{"orderId", event.order_id},
                      {"reason", event.reason},
                      {"lines", short_lines_to_json(event.lines)}};
}

InventoryRejected inventory_rejected_from_json(const json::value& data) {
  const auto& o = data.as_object();
  return {text(o, "orderId"), text(o, "reason"), short_lines_from_json(o.at("lines"))};
}

json::value to_json(const LowStock& event) {
  return json::object{{"productId", event.product_id},
                      {"available", event.available},
                      {"threshold", event.threshold}};
}

LowStock low_stock_from_json(const json::value& data) {
  const auto& o = data.as_object();
  return {text(o, "productId"), integer(o, "available"), integer(o, "threshold")};
}

json::value to_json(const OrderStatusChanged& event) {
  json::object out{{"orderId", event.order_id},  {"userId", event.user_id},
                   {"status", event.status},     {"totalCents", event.total_cents},
                   {"currency", event.currency}, {"lines", lines_to_json(event.lines)}};
  if (event.rejection)
    out["rejection"] = to_json(*event.rejection);
  if (!event.previous_status.empty())
    out["previousStatus"] = event.previous_status;
  return out;
}

OrderStatusChanged order_status_changed_from_json(const json::value& data) {
  const auto& o = data.as_object();
  OrderStatusChanged event{text(o, "orderId"),  text(o, "userId"),
                           text(o, "status"),   integer(o, "totalCents"),
                           text(o, "currency"), lines_from_json(o.at("lines")),
                           std::nullopt,        ""};
  if (auto it = o.find("rejection"); it != o.end()) {
    event.rejection = inventory_rejected_from_json(it->value());
  }
  if (auto it = o.find("previousStatus"); it != o.end()) {
    event.previous_status = std::string(it->value().as_string());
  }
  return event;
}

}  // namespace ordo::contracts::events
