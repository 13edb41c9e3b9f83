// What the orders service consumes: product.* (its catalog view) and inventory.reserved /
// inventory.rejected (the saga's outcome). A list of typed handlers on bus::Consumer.
#pragma once

#include "platform/bus/bus.hpp"
#include "platform/sql/database.hpp"
#include "services/orders/metrics.hpp"

namespace ordo::services::orders {

class OrderWaiters;

// The durable subscription "orders". Once an order's outcome is committed, its `Prefer: wait`
// waiters are woken.
bus::Subscription subscription(sql::Database& db, OrderWaiters& waiters, OrderMetrics& metrics);

}  // namespace ordo::services::orders
