// Reading the inventory service's request bodies (the admin's stock changes): each reader throws
// one 400 problem listing every bad field; the limits are domain.hpp.
#pragma once

#include <boost/json/object.hpp>

#include "contracts/inventory.hpp"

namespace ordo::services::inventory {

// PATCH /products/{id}/replenish: quantity 1..kMaxQuantity, an optional reason.
contracts::ReplenishRequest parse_replenish(const boost::json::object& body);
// PUT /products/{id}/stock: available 0..kMaxQuantity, optional reason and lowStockThreshold.
contracts::StockCountRequest parse_stock_count(const boost::json::object& body);

}  // namespace ordo::services::inventory
