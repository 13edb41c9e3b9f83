// The inventory service's consumer: each event type, its decoder (the contract's parser plus
// what must hold; anything it throws makes the event dead) and its handler in the store.
#include "services/inventory/consumes.hpp"

#include <stdexcept>

#include "contracts/events.hpp"
#include "platform/bus/consumer.hpp"
#include "platform/core/time.hpp"
#include "services/inventory/domain.hpp"
#include "services/inventory/store.hpp"

namespace ordo::services::inventory {
namespace {

using boost::asio::awaitable;
namespace events = contracts::events;
namespace json = boost::json;

constexpr std::string_view kConsumer = "inventory";

void require(bool ok, const char* what) {
  if (!ok)
    throw std::invalid_argument(what);
}

// An order.created reduced to what a reservation needs: its lines, merged per product.
struct OrderToReserve {
  std::string order_id;
  std::vector<Line> lines;
};

events::ProductCreated decode_product_created(const json::value& data) {
  auto created = events::product_created_from_json(data);
  require(!created.product.product_id.empty(), "empty productId");
  require(created.initial_stock >= 0 && created.initial_stock <= kMaxStock,
          "initialStock out of range");
  return created;
}

events::ProductSnapshot decode_product(const json::value& data) {
  auto product = events::product_snapshot_from_json(data);
  require(!product.product_id.empty(), "empty productId");
  return product;
}

OrderToReserve decode_order_created(const json::value& data) {
  auto order = events::order_created_from_json(data);
  require(!order.order_id.empty(), "empty orderId");
  auto lines = merge_lines(order.lines);
  require(lines.has_value(), "no lines, or a line without product or quantity");
  return {order.order_id, std::move(*lines)};
}

events::OrderStatusChanged decode_order_cancelled(const json::value& data) {
  auto cancelled = events::order_status_changed_from_json(data);
  require(!cancelled.order_id.empty(), "empty orderId");
  return cancelled;
}

awaitable<void> on_product_created(sql::Transaction& tx, const events::ProductCreated& created,
                                   const bus::CloudEvent& event, const HandlerOptions& options) {
  co_await create_stock(tx, created.product.product_id, created.initial_stock,
                        options.default_threshold, created.product.active, event.traceparent);
}

awaitable<void> on_product_deleted(sql::Transaction& tx, const events::ProductSnapshot& product,
                                   const bus::CloudEvent&) {
  co_await deactivate_stock(tx, product.product_id);
}

awaitable<void> on_order_created(sql::Transaction& tx, const OrderToReserve& order,
                                 const bus::CloudEvent& event, const HandlerOptions& options) {
  auto now_ms = options.now_ms ? options.now_ms() : core::unix_millis();
  bool may_wait = within_grace(core::millis_from_rfc3339(event.time), now_ms);
  auto outcome =
      co_await reserve_order(tx, order.order_id, order.lines, may_wait, event.traceparent);
  if (outcome.kind == ReserveOutcome::Kind::unknown_yet) {
    // Thrown, not returned: rolled back to its savepoint, the event is delivered again later.
    throw std::runtime_error("order " + order.order_id +
                             " names a product whose stock is not known yet");
  }
  if (options.reserved)
    options.reserved(outcome);
}

awaitable<void> on_order_cancelled(sql::Transaction& tx, const events::OrderStatusChanged& order,
                                   const bus::CloudEvent& event) {
  co_await cancel_order(tx, order.order_id, event.traceparent);
}

}  // namespace

bus::Subscription subscription(sql::Database& db, HandlerOptions options) {
  // Not coroutine lambdas: they hand the options (kept by the consumer) to the coroutines.
  auto created = [options](sql::Transaction& tx, const events::ProductCreated& product,
                           const bus::CloudEvent& event) {
    return on_product_created(tx, product, event, options);
  };
  auto ordered = [options](sql::Transaction& tx, const OrderToReserve& order,
                           const bus::CloudEvent& event) {
    return on_order_created(tx, order, event, options);
  };
  bus::Consumer consumer(db, std::string(kConsumer));
  // Reservations and releases update the same stock rows in the order their events come: two
  // instances' batches at once would deadlock on them.
  consumer.one_batch_at_a_time();
  consumer.on(events::kProductCreated, decode_product_created, created)
      .on(events::kProductDeleted, decode_product, on_product_deleted)
      .on(events::kOrderCreated, decode_order_created, ordered)
      .on(events::kOrderCancelled, decode_order_cancelled, on_order_cancelled);
  return consumer.subscription();
}

}  // namespace ordo::services::inventory
