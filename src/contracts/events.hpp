// The event catalog: every event type Ordo publishes, and the payload of each, as JSON.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace ordo::contracts::events {

inline constexpr std::string_view kUserRegistered = "user.registered";
inline constexpr std::string_view kProductCreated = "product.created";
inline constexpr std::string_view kProductUpdated = "product.updated";
inline constexpr std::string_view kProductDeleted = "product.deleted";
inline constexpr std::string_view kOrderCreated = "order.created";
inline constexpr std::string_view kOrderConfirmed = "order.confirmed";
inline constexpr std::string_view kOrderRejected = "order.rejected";
inline constexpr std::string_view kOrderCancelled = "order.cancelled";
inline constexpr std::string_view kInventoryReserved = "inventory.reserved";
inline constexpr std::string_view kInventoryRejected = "inventory.rejected";
inline constexpr std::string_view kInventoryReleased = "inventory.released";
inline constexpr std::string_view kInventoryLowStock = "inventory.low_stock";

// user.registered: a new account exists (never carries the password or its hash).
struct UserRegistered {
  std::string user_id;
  std::string email;
  std::string name;
  std::string role;
};
boost::json::value to_json(const UserRegistered& event);
UserRegistered user_registered_from_json(const boost::json::value& data);  // throws on bad shape

}  // namespace ordo::contracts::events
