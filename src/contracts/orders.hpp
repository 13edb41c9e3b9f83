// The orders API's public shapes: an order with its lines, rejection and history, as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace ordo::contracts {

// A line as the order service fixed it: the price is the catalog's at the time of ordering.
struct OrderItem {
  std::string product_id;
  std::string sku;
  std::string name;
  std::int64_t quantity = 0;
  std::int64_t unit_price_cents = 0;
  std::int64_t line_total_cents = 0;
};

// A line inventory could not reserve: what was asked and what there was.
struct RejectedLine {
  std::string product_id;
  std::int64_t requested = 0;
  std::int64_t available = 0;
};

// Why an order was rejected: code "insufficient_stock", "unknown_product", ...
struct OrderRejection {
  std::string code;
  std::vector<RejectedLine> lines;
};

struct OrderHistoryEntry {
  std::string status;
  std::optional<std::string> reason;
  std::string at;  // RFC 3339
};

struct Order {
  std::string id;
  std::string user_id;
  std::string status;  // "pending" | "confirmed" | "rejected" | "cancelled"
  std::vector<OrderItem> items;
  std::int64_t total_cents = 0;
  std::string currency;
  std::optional<std::string> note;
  std::optional<OrderRejection> rejection;  // "rejectionReason" in JSON, when rejected
  std::string created_at;
  std::string updated_at;
  std::vector<OrderHistoryEntry> history;  // oldest first
};

boost::json::value to_json(const OrderRejection& rejection);
OrderRejection order_rejection_from_json(const boost::json::value& json);
boost::json::value to_json(const Order& order);
Order order_from_json(const boost::json::value& json);  // throws std::exception on a bad shape

}  // namespace ordo::contracts
