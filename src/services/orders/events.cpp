#include "services/orders/events.hpp"

#include <boost/json.hpp>

#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/log/log.hpp"
#include "services/orders/store.hpp"
#include "services/orders/waiters.hpp"

namespace ordo::services::orders {
namespace {

using boost::asio::awaitable;
namespace events = contracts::events;

std::vector<events::OrderLine> event_lines(const contracts::Order& order) {
  std::vector<events::OrderLine> lines;
  for (const auto& item : order.items)
    lines.push_back({item.product_id, item.quantity, item.unit_price_cents});
  return lines;
}

CatalogEntry catalog_entry(const events::ProductSnapshot& product) {
  return {product.product_id, product.sku,      product.name,   product.price_cents,
          product.currency,   product.category, product.active, product.version};
}

// The effect of one event in the inbox transaction. A payload of the wrong shape can never be
// applied: PoisonEvent records it as dead instead of retrying it forever.
awaitable<void> apply(sql::Transaction& tx, const bus::CloudEvent& event) {
  if (event.type == events::kProductCreated) {
    std::optional<events::ProductCreated> created;
    try {
      created = events::product_created_from_json(event.data);
    } catch (const std::exception& e) {
      throw bus::PoisonEvent(std::string("malformed product.created: ") + e.what());
    }
    auto entry = catalog_entry(created->product);
    co_await OrderStore::upsert_catalog(tx, entry);
  } else if (event.type == events::kProductUpdated || event.type == events::kProductDeleted) {
    std::optional<events::ProductSnapshot> product;
    try {
      product = events::product_snapshot_from_json(event.data);
    } catch (const std::exception& e) {
      throw bus::PoisonEvent("malformed " + event.type + ": " + e.what());
    }
    if (event.type == events::kProductDeleted)
      product->active = false;
    auto entry = catalog_entry(*product);
    co_await OrderStore::upsert_catalog(tx, entry);
  } else if (event.type == events::kInventoryReserved) {
    std::optional<events::StockMovement> reserved;
    try {
      reserved = events::stock_movement_from_json(event.data);
    } catch (const std::exception& e) {
      throw bus::PoisonEvent(std::string("malformed inventory.reserved: ") + e.what());
    }
    co_await OrderStore::confirm(tx, reserved->order_id, event.traceparent);
  } else if (event.type == events::kInventoryRejected) {
    std::optional<events::InventoryRejected> rejected;
    try {
      rejected = events::inventory_rejected_from_json(event.data);
    } catch (const std::exception& e) {
      throw bus::PoisonEvent(std::string("malformed inventory.rejected: ") + e.what());
    }
    co_await OrderStore::reject(tx, *rejected, event.traceparent);
  }
}

// The order an inventory event is about, for waking its waiters; empty for other events.
std::string order_id_of(const bus::CloudEvent& event) {
  if (event.type != events::kInventoryReserved && event.type != events::kInventoryRejected)
    return {};
  if (const auto* data = event.data.if_object()) {
    if (const auto* id = data->if_contains("orderId"); id != nullptr && id->is_string())
      return std::string(id->as_string());
  }
  return {};
}

// Takes its arguments by value so they live in this coroutine's frame for the whole delivery.
awaitable<void> deliver(bus::EventHandler inner, bus::OutboxRelay* relay, OrderWaiters* waiters,
                        bus::CloudEvent event) {
  co_await inner(event);
  // Committed (or a duplicate, or dead): waking the relay or a waiter too often is harmless.
  auto order_id = order_id_of(event);
  if (order_id.empty())
    co_return;
  if (relay != nullptr)
    relay->notify();  // order.confirmed / order.rejected were enqueued
  waiters->notify(order_id);
}

}  // namespace

bus::CloudEvent order_created(const contracts::Order& order, const std::string& traceparent) {
  events::OrderCreated data{order.id, order.user_id, event_lines(order), order.total_cents,
                            order.currency};
  return bus::make_event(std::string(kEventSource), std::string(events::kOrderCreated), order.id,
                         events::to_json(data), traceparent);
}

bus::CloudEvent order_status_changed(const contracts::Order& order,
                                     const std::string& previous_status,
                                     const std::string& traceparent) {
  events::OrderStatusChanged data;
  data.order_id = order.id;
  data.user_id = order.user_id;
  data.status = order.status;
  data.total_cents = order.total_cents;
  data.currency = order.currency;
  data.lines = event_lines(order);
  if (order.rejection) {
    events::InventoryRejected rejection{order.id, order.rejection->code, {}};
    for (const auto& line : order.rejection->lines)
      rejection.lines.push_back({line.product_id, line.requested, line.available});
    data.rejection = std::move(rejection);
  }
  data.previous_status = previous_status;
  return bus::make_event(std::string(kEventSource), "order." + order.status, order.id,
                         events::to_json(data), traceparent);
}

bus::Subscription order_subscription(sql::Database& db, bus::OutboxRelay* relay,
                                     OrderWaiters& waiters) {
  auto inner = bus::idempotent_handler(db, std::string(kConsumer), &apply);
  // Not a coroutine lambda (g++ 12 destroys by-value captures of those twice): deliver() copies
  // what it needs into its own frame.
  bus::EventHandler handler = [inner = std::move(inner), relay,
                               waiters = &waiters](const bus::CloudEvent& event) {
    return deliver(inner, relay, waiters, event);
  };
  return bus::Subscription{
      std::string(kConsumer),
      {std::string(events::kProductCreated), std::string(events::kProductUpdated),
       std::string(events::kProductDeleted), std::string(events::kInventoryReserved),
       std::string(events::kInventoryRejected)},
      std::move(handler)};
}

}  // namespace ordo::services::orders
