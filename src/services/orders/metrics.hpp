// The orders service's metrics: orders by status, queried at scrape time (exact, and the same on
// every instance sharing the database), and the time from placing an order to its outcome,
// observed by the instance that settles it.
#pragma once

#include <string>

#include "contracts/orders.hpp"
#include "platform/metrics/metrics.hpp"
#include "platform/sql/database.hpp"

namespace ordo::services::orders {

class OrderMetrics {
 public:
  OrderMetrics(metrics::Registry& registry, sql::Database& db);
  // The order has just become confirmed, rejected or cancelled. Observed when the handler's
  // change is applied: a batch that is rolled back and retried may observe an order twice.
  void settled(const contracts::Order& order);

 private:
  core::Histogram& confirmed_;
  core::Histogram& rejected_;
  core::Histogram& cancelled_;
};

}  // namespace ordo::services::orders
