#include "services/orders/metrics.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>

#include "platform/core/time.hpp"

namespace ordo::services::orders {
namespace {

constexpr std::array<const char*, 4> kStatuses{"pending", "confirmed", "rejected", "cancelled"};
using Counts = std::array<std::atomic<double>, kStatuses.size()>;

constexpr const char* kPlacedToFinal = "ordo_order_placed_to_final_seconds";
constexpr const char* kPlacedToFinalHelp =
    "From placing an order to its outcome (confirmed, rejected) or its cancellation.";

core::Histogram& placed_to_final(metrics::Registry& registry, const char* status) {
  return registry.histogram(kPlacedToFinal, kPlacedToFinalHelp, {{"status", status}},
                            core::long_latency_buckets());
}

boost::asio::awaitable<void> count_orders(sql::Database& db, std::shared_ptr<Counts> counts) {
  auto result = co_await db.query("SELECT status, count(*) FROM orders GROUP BY status");
  std::array<double, kStatuses.size()> fresh{};
  for (const auto& row : result.rows) {
    auto status = row.text(0);
    for (std::size_t i = 0; i < kStatuses.size(); ++i) {
      if (status == kStatuses[i])
        fresh[i] = static_cast<double>(row.integer(1));
    }
  }
  for (std::size_t i = 0; i < kStatuses.size(); ++i)
    (*counts)[i] = fresh[i];
}

}  // namespace

OrderMetrics::OrderMetrics(metrics::Registry& registry, sql::Database& db)
    : confirmed_(placed_to_final(registry, "confirmed")),
      rejected_(placed_to_final(registry, "rejected")),
      cancelled_(placed_to_final(registry, "cancelled")) {
  auto counts = std::make_shared<Counts>();
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    registry.gauge("ordo_orders", "Orders in the database, by status.", {{"status", kStatuses[i]}},
                   [counts, i] { return (*counts)[i].load(); });
  }
  // Not a coroutine lambda: it hands its captures to the coroutine as parameters.
  registry.refresher([&db, counts] { return count_orders(db, counts); });
}

void OrderMetrics::settled(const contracts::Order& order) {
  auto placed = core::millis_from_rfc3339(order.created_at);
  if (!placed)
    return;
  double seconds =
      static_cast<double>(std::max<std::int64_t>(0, core::unix_millis() - *placed)) / 1000;
  if (order.status == "confirmed")
    confirmed_.observe(seconds);
  else if (order.status == "rejected")
    rejected_.observe(seconds);
  else if (order.status == "cancelled")
    cancelled_.observe(seconds);
}

}  // namespace ordo::services::orders
