// What the products service emits (it consumes nothing): product.created, product.updated,
// product.deleted, each carrying the catalog snapshot others may keep.
#pragma once

#include <cstdint>
#include <string>

#include "contracts/products.hpp"
#include "platform/bus/cloud_event.hpp"

namespace ordo::services::products {

inline constexpr std::string_view kEventSource = "/ordo/products";

bus::CloudEvent product_created(const contracts::Product& product, std::int64_t initial_stock,
                                const std::string& traceparent);
bus::CloudEvent product_updated(const contracts::Product& product, const std::string& traceparent);
// The archived product: its snapshot says active = false.
bus::CloudEvent product_deleted(const contracts::Product& product, const std::string& traceparent);

}  // namespace ordo::services::products
