#include "services/products/emits.hpp"

#include "contracts/events.hpp"

namespace ordo::services::products {
namespace {

namespace events = contracts::events;

events::ProductSnapshot snapshot(const contracts::Product& product) {
  return events::ProductSnapshot{product.id,
                                 product.sku,
                                 product.name,
                                 product.price_cents,
                                 product.currency,
                                 product.category,
                                 product.status == contracts::kProductActive,
                                 product.version};
}

bus::CloudEvent product_event(std::string_view type, const contracts::Product& product,
                              boost::json::value data, const std::string& traceparent) {
  return bus::make_event(std::string(kEventSource), std::string(type), product.id, std::move(data),
                         traceparent);
}

}  // namespace

bus::CloudEvent product_created(const contracts::Product& product, std::int64_t initial_stock,
                                const std::string& traceparent) {
  events::ProductCreated data{snapshot(product), initial_stock};
  return product_event(events::kProductCreated, product, events::to_json(data), traceparent);
}

bus::CloudEvent product_updated(const contracts::Product& product, const std::string& traceparent) {
  return product_event(events::kProductUpdated, product, events::to_json(snapshot(product)),
                       traceparent);
}

bus::CloudEvent product_deleted(const contracts::Product& product, const std::string& traceparent) {
  return product_event(events::kProductDeleted, product, events::to_json(snapshot(product)),
                       traceparent);
}

}  // namespace ordo::services::products
