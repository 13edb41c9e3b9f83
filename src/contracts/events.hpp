// The event catalog: every event type Ordo publishes, and the payload of each, as JSON.
// Producers build these structs; consumers parse them with the *_from_json functions, which throw
// std::exception on a payload of the wrong shape (the consumer then treats the event as poison).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "contracts/notification_preferences.hpp"
#include "contracts/push_subscriptions.hpp"

namespace ordo::contracts::events {

inline constexpr std::string_view kUserRegistered = "user.registered";
inline constexpr std::string_view kUserUpdated = "user.updated";
inline constexpr std::string_view kUserSessionEnded = "user.session_ended";
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

// user.registered and user.updated (role or active changed, password reset, profile or
// notification preferences changed): the account as others may know it. Never carries the
// password or its hash. token_version rises with every change that must end the user's access
// tokens; services refuse tokens of older versions. phone (E.164) and preferences are what the
// notifications service needs to decide who hears what where.
struct UserRegistered {
  std::string user_id;
  std::string email;
  std::string name;
  std::string role;
  bool active = true;
  std::int64_t token_version = 1;
  std::optional<std::string> phone{};
  NotificationPreferences preferences{};  // events of older versions carry none: the defaults
  // The user's browsers for Web Push, all of them on every event (none in older events).
  std::vector<PushSubscription> push_subscriptions{};
};
using UserUpdated = UserRegistered;
boost::json::value to_json(const UserRegistered& event);
UserRegistered user_registered_from_json(const boost::json::value& data);

// user.session_ended: a session (a refresh-token family) was ended by logout or because one of
// its refresh tokens was replayed. Its access tokens are refused until `until` (unix seconds),
// when the last of them expires anyway.
struct SessionEnded {
  std::string user_id;
  std::string session_id;
  std::int64_t until = 0;
};
boost::json::value to_json(const SessionEnded& event);
SessionEnded session_ended_from_json(const boost::json::value& data);

// What other services may know of a product (the catalog's public facts, no description).
struct ProductSnapshot {
  std::string product_id;
  std::string sku;
  std::string name;
  std::int64_t price_cents = 0;
  std::string currency;
  std::string category;
  bool active = true;        // false once archived (product.deleted)
  std::int64_t version = 1;  // increases with every change: consumers ignore older snapshots
};
boost::json::value to_json(const ProductSnapshot& product);
ProductSnapshot product_snapshot_from_json(const boost::json::value& data);

// product.created: the snapshot plus the stock to start with.
struct ProductCreated {
  ProductSnapshot product;
  std::int64_t initial_stock = 0;
};
boost::json::value to_json(const ProductCreated& event);
ProductCreated product_created_from_json(const boost::json::value& data);
// product.updated and product.deleted carry a ProductSnapshot (deleted: active = false).

// A line of an order as the order service fixed it (price copied from the catalog).
struct OrderLine {
  std::string product_id;
  std::int64_t quantity = 0;
  std::int64_t unit_price_cents = 0;
};

// order.created: inventory reserves every line or none.
struct OrderCreated {
  std::string order_id;
  std::string user_id;
  std::vector<OrderLine> lines;
  std::int64_t total_cents = 0;
  std::string currency;
};
boost::json::value to_json(const OrderCreated& event);
OrderCreated order_created_from_json(const boost::json::value& data);

// A line that could not be reserved: what was asked and what there was.
struct ShortLine {
  std::string product_id;
  std::int64_t requested = 0;
  std::int64_t available = 0;
};

// inventory.reserved / inventory.released: the order's lines now held / given back.
struct StockMovement {
  std::string order_id;
  std::vector<OrderLine> lines;  // unit_price_cents is 0: inventory does not deal in money
};
boost::json::value to_json(const StockMovement& event);
StockMovement stock_movement_from_json(const boost::json::value& data);

// inventory.rejected: nothing was reserved. reason: "insufficient_stock", "unknown_product" or
// "product_archived".
struct InventoryRejected {
  std::string order_id;
  std::string reason;
  std::vector<ShortLine> lines;
};
boost::json::value to_json(const InventoryRejected& event);
InventoryRejected inventory_rejected_from_json(const boost::json::value& data);

// inventory.low_stock: available fell to or under the product's threshold (once per crossing).
struct LowStock {
  std::string product_id;
  std::int64_t available = 0;
  std::int64_t threshold = 0;
};
boost::json::value to_json(const LowStock& event);
LowStock low_stock_from_json(const boost::json::value& data);

// order.confirmed / order.rejected / order.cancelled: the order reached that state.
struct OrderStatusChanged {
  std::string order_id;
  std::string user_id;
  std::string status;  // "confirmed" | "rejected" | "cancelled"
  std::int64_t total_cents = 0;
  std::string currency;
  std::vector<OrderLine> lines;
  std::optional<InventoryRejected> rejection;  // order.rejected: why
  std::string previous_status;                 // order.cancelled: "pending" or "confirmed"
};
boost::json::value to_json(const OrderStatusChanged& event);
OrderStatusChanged order_status_changed_from_json(const boost::json::value& data);

}  // namespace ordo::contracts::events
