// The inventory API's public shapes: a product's stock, a ledger entry, and the write requests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

namespace ordo::contracts {

// GET /products/{id}/stock, and each item of GET /inventory/low-stock.
struct Stock {
  std::string product_id;
  std::int64_t available = 0;
  std::int64_t reserved = 0;
  std::int64_t low_stock_threshold = 0;
  std::string updated_at;  // RFC 3339
};
boost::json::value to_json(const Stock& stock);
Stock stock_from_json(const boost::json::value& json);  // throws std::exception on a bad shape

// One row of GET /products/{id}/stock/movements: a change and the numbers it left behind.
struct LedgerEntry {
  std::string id;
  std::string product_id;
  std::int64_t delta_available = 0;
  std::int64_t delta_reserved = 0;
  std::int64_t available_after = 0;
  std::int64_t reserved_after = 0;
  std::string reason;  // initial | reservation | release | replenish | stock_count
  std::optional<std::string> order_id;
  std::string actor;  // a user id, or "system" for changes caused by events
  std::optional<std::string> note;
  std::string created_at;
};
boost::json::value to_json(const LedgerEntry& entry);
LedgerEntry ledger_entry_from_json(const boost::json::value& json);

// PATCH /products/{id}/replenish
struct ReplenishRequest {
  std::int64_t quantity = 0;
  std::optional<std::string> reason;
};
boost::json::value to_json(const ReplenishRequest& request);

// PUT /products/{id}/stock: a stock count.
struct StockCountRequest {
  std::int64_t available = 0;
  std::optional<std::string> reason;
  std::optional<std::int64_t> low_stock_threshold;
};
boost::json::value to_json(const StockCountRequest& request);

}  // namespace ordo::contracts
