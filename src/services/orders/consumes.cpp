// The orders service's consumer: each event type, its decoder (a payload of the wrong shape is
// dead) and its effect in the store; the saga's outcomes wake the order's waiters after commit.
#include "services/orders/consumes.hpp"

#include "contracts/events.hpp"
#include "platform/bus/consumer.hpp"
#include "services/orders/store.hpp"
#include "services/orders/waiters.hpp"

namespace ordo::services::orders {
namespace {

using boost::asio::awaitable;
namespace events = contracts::events;

constexpr std::string_view kConsumer = "orders";

CatalogEntry catalog_entry(const events::ProductSnapshot& product) {
  return {product.product_id, product.sku,      product.name,   product.price_cents,
          product.currency,   product.category, product.active, product.version};
}

awaitable<void> on_product_created(sql::Transaction& tx, const events::ProductCreated& created,
                                   const bus::CloudEvent&) {
  auto entry = catalog_entry(created.product);
  co_await OrderStore::upsert_catalog(tx, entry);
}

awaitable<void> on_product_updated(sql::Transaction& tx, const events::ProductSnapshot& product,
                                   const bus::CloudEvent&) {
  auto entry = catalog_entry(product);
  co_await OrderStore::upsert_catalog(tx, entry);
}

awaitable<void> on_product_deleted(sql::Transaction& tx, const events::ProductSnapshot& product,
                                   const bus::CloudEvent&) {
  auto entry = catalog_entry(product);
  entry.active = false;
  co_await OrderStore::upsert_catalog(tx, entry);
}

awaitable<void> on_reserved(sql::Transaction& tx, const events::StockMovement& reserved,
                            const bus::CloudEvent& event, OrderMetrics& metrics) {
  if (auto order = co_await OrderStore::confirm(tx, reserved.order_id, event.traceparent))
    metrics.settled(*order);
}

awaitable<void> on_rejected(sql::Transaction& tx, const events::InventoryRejected& rejected,
                            const bus::CloudEvent& event, OrderMetrics& metrics) {
  if (auto order = co_await OrderStore::reject(tx, rejected, event.traceparent))
    metrics.settled(*order);
}

}  // namespace

bus::Subscription subscription(sql::Database& db, OrderWaiters& waiters, OrderMetrics& metrics) {
  // Not coroutine lambdas: they hand the metrics to the coroutines.
  auto reserved = [&metrics](sql::Transaction& tx, const events::StockMovement& movement,
                             const bus::CloudEvent& event) {
    return on_reserved(tx, movement, event, metrics);
  };
  auto rejected = [&metrics](sql::Transaction& tx, const events::InventoryRejected& rejection,
                             const bus::CloudEvent& event) {
    return on_rejected(tx, rejection, event, metrics);
  };
  auto wake_reserved = [&waiters](const events::StockMovement& m) { waiters.notify(m.order_id); };
  auto wake_rejected = [&waiters](const events::InventoryRejected& r) {
    waiters.notify(r.order_id);
  };
  bus::Consumer consumer(db, std::string(kConsumer));
  consumer.on(events::kProductCreated, events::product_created_from_json, on_product_created)
      .on(events::kProductUpdated, events::product_snapshot_from_json, on_product_updated)
      .on(events::kProductDeleted, events::product_snapshot_from_json, on_product_deleted)
      .on(events::kInventoryReserved, events::stock_movement_from_json, reserved, wake_reserved)
      .on(events::kInventoryRejected, events::inventory_rejected_from_json, rejected,
          wake_rejected);
  return consumer.subscription();
}

}  // namespace ordo::services::orders
