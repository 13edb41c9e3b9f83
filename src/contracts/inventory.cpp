#include "contracts/inventory.hpp"

#include "contracts/json_fields.hpp"

#include <boost/json.hpp>

namespace ordo::contracts {
namespace json = boost::json;
namespace {
using namespace fields;  // text, integer, optional_text, nullable

}  // namespace

json::value to_json(const Stock& stock) {
  return json::object{{"productId", stock.product_id},
                      {"available", stock.available},
                      {"reserved", stock.reserved},
                      {"lowStockThreshold", stock.low_stock_threshold},
                      {"updatedAt", stock.updated_at}};
}

Stock stock_from_json(const json::value& value) {
  const auto& o = value.as_object();
  return Stock{text(o, "productId"), integer(o, "available"), integer(o, "reserved"),
               integer(o, "lowStockThreshold"), text(o, "updatedAt")};
}

json::value to_json(const LedgerEntry& entry) {
  return json::object{{"id", entry.id},
                      {"productId", entry.product_id},
                      {"deltaAvailable", entry.delta_available},
                      {"deltaReserved", entry.delta_reserved},
                      {"availableAfter", entry.available_after},
                      {"reservedAfter", entry.reserved_after},
                      {"reason", entry.reason},
                      {"orderId", nullable(entry.order_id)},
                      {"actor", entry.actor},
                      {"note", nullable(entry.note)},
                      {"createdAt", entry.created_at}};
}

LedgerEntry ledger_entry_from_json(const json::value& value) {
  const auto& o = value.as_object();
  return LedgerEntry{text(o, "id"),
                     text(o, "productId"),
                     integer(o, "deltaAvailable"),
                     integer(o, "deltaReserved"),
                     integer(o, "availableAfter"),
                     integer(o, "reservedAfter"),
                     text(o, "reason"),
                     optional_text(o, "orderId"),
                     text(o, "actor"),
                     optional_text(o, "note"),
                     text(o, "createdAt")};
}

json::value to_json(const ReplenishRequest& request) {
  json::object out{{"quantity", request.quantity}};
  if (request.reason)
    out["reason"] = *request.reason;
  return out;
}

json::value to_json(const StockCountRequest& request) {
  json::object out{{"available", request.available}};
  if (request.reason)
    out["reason"] = *request.reason;
  if (request.low_stock_threshold)
    out["lowStockThreshold"] = *request.low_stock_threshold;
  return out;
}

}  // namespace ordo::contracts
