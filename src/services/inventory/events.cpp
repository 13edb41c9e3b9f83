#include "services/inventory/events.hpp"

#include <stdexcept>

#include "platform/bus/outbox.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"
#include "services/inventory/domain.hpp"
#include "services/inventory/store.hpp"

namespace ordo::services::inventory {
namespace {

using boost::asio::awaitable;
namespace events = contracts::events;

bus::CloudEvent inventory_event(std::string_view type, const std::string& subject,
                                boost::json::value data, const std::string& traceparent) {
  return bus::make_event(std::string(kEventSource), std::string(type), subject, std::move(data),
                         traceparent);
}

// Parses an event's data, turning any shape error into PoisonEvent (recorded, never retried).
template <typename Parse>
auto parse_or_poison(const bus::CloudEvent& event, Parse parse) {
  try {
    return parse(event.data);
  } catch (const std::exception& e) {
    throw bus::PoisonEvent(event.type + ": malformed data: " + e.what());
  }
}

void require_id(const bus::CloudEvent& event, const std::string& id, std::string_view what) {
  if (id.empty())
    throw bus::PoisonEvent(event.type + ": empty " + std::string(what));
}

std::int64_t now_ms(const HandlerOptions& options) {
  return options.now_ms ? options.now_ms() : core::unix_millis();
}

awaitable<void> on_product_created(sql::Transaction& tx, const bus::CloudEvent& event,
                                   const HandlerOptions& options) {
  auto created = parse_or_poison(event, events::product_created_from_json);
  require_id(event, created.product.product_id, "productId");
  if (created.initial_stock < 0 || created.initial_stock > kMaxStock)
    throw bus::PoisonEvent(event.type + ": initialStock out of range");
  co_await create_stock(tx, created.product.product_id, created.initial_stock,
                        options.default_threshold, created.product.active, event.traceparent);
}

awaitable<void> on_product_deleted(sql::Transaction& tx, const bus::CloudEvent& event) {
  auto product = parse_or_poison(event, events::product_snapshot_from_json);
  require_id(event, product.product_id, "productId");
  co_await deactivate_stock(tx, product.product_id);
}

awaitable<void> on_order_created(sql::Transaction& tx, const bus::CloudEvent& event,
                                 const HandlerOptions& options) {
  auto order = parse_or_poison(event, events::order_created_from_json);
  require_id(event, order.order_id, "orderId");
  auto lines = merge_lines(order.lines);
  if (!lines)
    throw bus::PoisonEvent(event.type + ": no lines, or a line without product or quantity");
  bool may_wait = within_grace(core::millis_from_rfc3339(event.time), now_ms(options));
  auto outcome = co_await reserve_order(tx, order.order_id, *lines, may_wait, event.traceparent);
  if (outcome.kind == ReserveOutcome::Kind::unknown_yet) {
    // Thrown, not returned: the inbox record rolls back and the bus delivers it again later.
    throw std::runtime_error("order " + order.order_id +
                             " names a product whose stock is not known yet");
  }
}

awaitable<void> on_order_cancelled(sql::Transaction& tx, const bus::CloudEvent& event) {
  auto cancelled = parse_or_poison(event, events::order_status_changed_from_json);
  require_id(event, cancelled.order_id, "orderId");
  co_await cancel_order(tx, cancelled.order_id, event.traceparent);
}

// After the inbox transaction committed: what the handler enqueued can go out now.
awaitable<void> handle_and_notify(bus::EventHandler inner, bus::OutboxRelay* relay,
                                  const bus::CloudEvent& event) {
  co_await inner(event);
  if (relay)
    relay->notify();
}

}  // namespace

bus::CloudEvent inventory_reserved(const events::StockMovement& data,
                                   const std::string& traceparent) {
  return inventory_event(events::kInventoryReserved, data.order_id, events::to_json(data),
                         traceparent);
}

bus::CloudEvent inventory_rejected(const events::InventoryRejected& data,
                                   const std::string& traceparent) {
  return inventory_event(events::kInventoryRejected, data.order_id, events::to_json(data),
                         traceparent);
}

bus::CloudEvent inventory_released(const events::StockMovement& data,
                                   const std::string& traceparent) {
  return inventory_event(events::kInventoryReleased, data.order_id, events::to_json(data),
                         traceparent);
}

bus::CloudEvent low_stock(const events::LowStock& data, const std::string& traceparent) {
  return inventory_event(events::kInventoryLowStock, data.product_id, events::to_json(data),
                         traceparent);
}

awaitable<void> handle_event(sql::Transaction& tx, const bus::CloudEvent& event,
                             const HandlerOptions& options) {
  if (event.type == events::kProductCreated) {
    co_await on_product_created(tx, event, options);
  } else if (event.type == events::kProductDeleted) {
    co_await on_product_deleted(tx, event);
  } else if (event.type == events::kOrderCreated) {
    co_await on_order_created(tx, event, options);
  } else if (event.type == events::kOrderCancelled) {
    co_await on_order_cancelled(tx, event);
  }
  // Other types are not subscribed to; if one arrives anyway it has no effect.
}

bus::Subscription subscription(sql::Database& db, bus::OutboxRelay* relay, HandlerOptions options) {
  // Not coroutine lambdas: handle_event / handle_and_notify copy what they need into their own
  // frames (by-value captures in coroutine lambdas are unsafe with g++ 12).
  bus::TransactionalHandler apply = [options](sql::Transaction& tx, const bus::CloudEvent& event) {
    return handle_event(tx, event, options);
  };
  bus::EventHandler inner = bus::idempotent_handler(db, std::string(kConsumer), std::move(apply));
  bus::EventHandler notifying = [inner, relay](const bus::CloudEvent& event) {
    return handle_and_notify(inner, relay, event);
  };
  return bus::Subscription{
      std::string(kConsumer),
      {std::string(events::kProductCreated), std::string(events::kProductDeleted),
       std::string(events::kOrderCreated), std::string(events::kOrderCancelled)},
      std::move(notifying)};
}

}  // namespace ordo::services::inventory
