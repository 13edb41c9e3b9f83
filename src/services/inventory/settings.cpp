#include "services/inventory/settings.hpp"

#include "platform/config/config.hpp"

namespace ordo::services::inventory {

config::Section settings_section() {
  config::Section section{"inventory", {}, nullptr, nullptr};
  section.settings = {
      config::number<std::int64_t>("inventory.low_stock_threshold",
                                   "default low-stock threshold of new products",
                                   &Settings::low_stock_threshold, 0, 1'000'000'000),
  };
  return section;
}

}  // namespace ordo::services::inventory
