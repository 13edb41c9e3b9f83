// The inventory service's settings (config section "inventory").
#pragma once

#include <cstdint>

#include "platform/config/setting.hpp"

namespace ordo::services::inventory {

struct Settings {
  // A product's stock is "low" at or under this many units unless set per product.
  std::int64_t low_stock_threshold = 5;
};

config::Section settings_section();

}  // namespace ordo::services::inventory
