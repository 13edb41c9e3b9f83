#include "services/inventory/requests.hpp"

#include "platform/http/json_body.hpp"
#include "services/inventory/domain.hpp"

namespace ordo::services::inventory {

contracts::ReplenishRequest parse_replenish(const boost::json::object& body) {
  http::FieldReader fields(body);
  auto quantity = fields.required_integer("quantity", 1, kMaxQuantity);
  auto reason = fields.optional_string("reason", kMaxNoteLength);
  fields.throw_if_invalid();
  return {*quantity, reason};
}

contracts::StockCountRequest parse_stock_count(const boost::json::object& body) {
  http::FieldReader fields(body);
  auto available = fields.required_integer("available", 0, kMaxQuantity);
  auto reason = fields.optional_string("reason", kMaxNoteLength);
  auto threshold = fields.optional_integer("lowStockThreshold", 0, kMaxQuantity);
  fields.throw_if_invalid();
  return {*available, reason, threshold};
}

}  // namespace ordo::services::inventory
