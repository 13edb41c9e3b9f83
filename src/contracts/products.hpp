// The products API's public shapes: a catalog entry as clients see it, with its JSON mapping.
#pragma once

#include <cstdint>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace ordo::contracts {

inline constexpr std::string_view kProductActive = "active";
inline constexpr std::string_view kProductArchived = "archived";

struct Product {
  std::string id;
  std::string sku;
  std::string name;
  std::string description;
  std::int64_t price_cents = 0;
  std::string currency;  // ISO 4217, upper case
  std::string category;
  boost::json::object attributes;
  std::string status{kProductActive};  // "active" | "archived" (archived: kept for order history)
  std::int64_t version = 1;            // increases with every change; the ETag is "<version>"
  std::string created_at;              // RFC 3339
  std::string updated_at;
};
boost::json::value to_json(const Product& product);
Product product_from_json(const boost::json::value& json);  // throws std::exception on a bad shape

}  // namespace ordo::contracts
