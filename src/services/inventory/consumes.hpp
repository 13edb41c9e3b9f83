// What the inventory service consumes: product.created, product.deleted, order.created,
// order.cancelled. A list of typed handlers on bus::Consumer (inbox, batches, poison policy).
#pragma once

#include <cstdint>
#include <functional>

#include "platform/bus/bus.hpp"
#include "platform/sql/database.hpp"
#include "services/inventory/store.hpp"

namespace ordo::services::inventory {

struct HandlerOptions {
  std::int64_t default_threshold = 5;    // config inventory.low_stock_threshold
  std::function<std::int64_t()> now_ms;  // empty: the wall clock (tests pass a fixed one)
  // Told each reservation's outcome once it is applied (metrics); empty: nobody is.
  std::function<void(const ReserveOutcome&)> reserved{};
};

// The durable subscription "inventory". An order naming a product not known yet (and younger
// than the grace period) is retried later; malformed data is dead.
bus::Subscription subscription(sql::Database& db, HandlerOptions options);

}  // namespace ordo::services::inventory
