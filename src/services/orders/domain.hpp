// The orders domain: the order state machine, what a valid order is (limits, line merging),
// pricing with overflow checks and the idempotency request hash. No I/O; reading the request is
// requests.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "contracts/orders.hpp"
#include "platform/core/field_error.hpp"

namespace ordo::services::orders {

inline constexpr int kMaxLines = 100;
inline constexpr std::int64_t kMaxQuantity = 10'000;
inline constexpr std::size_t kMaxNoteLength = 500;
inline constexpr std::size_t kMaxIdempotencyKeyLength = 200;
inline constexpr int kMaxWaitSeconds = 30;

// ---- states --------------------------------------------------------------------------------

enum class OrderStatus { pending, confirmed, rejected, cancelled };

std::string_view to_string(OrderStatus status);
std::optional<OrderStatus> parse_status(std::string_view text);
// pending -> confirmed | rejected; pending | confirmed -> cancelled. Nothing else.
bool can_transition(OrderStatus from, OrderStatus to);
// No further change will come by itself: what a `Prefer: wait` caller waits for.
bool is_final(OrderStatus status);

// ---- live status (GET /orders/{id}/events, docs/streams.md) ------------------------------

// No change can ever follow: rejected and cancelled. (A confirmed order is final for
// `Prefer: wait` but may still be cancelled, so its stream stays open.)
bool is_terminal(OrderStatus status);
// The event type of entering a state: order.created (pending), order.confirmed, order.rejected,
// order.cancelled; the names of the order's events in the event catalog.
std::string_view event_type(OrderStatus status);
// An order's version: its history's length, one entry per state it has been in (1, 2, 3).
std::int64_t order_version(const contracts::Order& order);
// The order as it was at an earlier version (1..its version): the history cut there, and the
// status, updatedAt and rejection that went with it (the only parts of an order that change).
contracts::Order order_at_version(const contracts::Order& order, std::int64_t version);

// ---- the request ---------------------------------------------------------------------------

// One line after merging: duplicate productId lines are merged (quantities summed).
struct RequestedLine {
  std::string product_id;
  std::int64_t quantity = 0;
  std::size_t first_index = 0;  // the line's first position in the request, for error names
};

struct PlaceOrderRequest {
  std::vector<RequestedLine> lines;  // in order of first appearance
  std::optional<std::string> note;
};

// The field name of a line of the request: item_field(2, "quantity") is "items[2].quantity".
std::string item_field(std::size_t index, std::string_view name);

// The lines as asked (each with its position in the request), merged by product id in order of
// first appearance. A merged quantity over kMaxQuantity is an error naming the line that pushed
// it over (each such line once).
struct MergedLines {
  std::vector<RequestedLine> lines;
  std::vector<core::FieldError> errors;
};
MergedLines merge_lines(const std::vector<RequestedLine>& asked);

// A stable fingerprint of what was asked (lines sorted by product id after merging, and the
// note), so that the same order sent with another item order or spacing is "the same body".
std::string request_hash(const PlaceOrderRequest& request);

// 1..200 printable ASCII characters.
bool valid_idempotency_key(std::string_view key);

// ---- the catalog and pricing ---------------------------------------------------------------

// The service's own view of a product (from product.* events or from the products service).
struct CatalogEntry {
  std::string product_id;
  std::string sku;
  std::string name;
  std::int64_t price_cents = 0;
  std::string currency;
  std::string category;
  bool active = true;
  std::int64_t version = 0;  // 0: fetched over HTTP without a version; any event replaces it
};

struct PricedOrder {
  std::vector<contracts::OrderItem> items;
  std::int64_t total_cents = 0;
  std::string currency;
};

// Prices each line from the catalog. Every product must be known and active, all in one
// currency; totals are overflow-checked. Throws core::InvalidInput naming the lines.
PricedOrder price_order(const PlaceOrderRequest& request,
                        const std::map<std::string, CatalogEntry>& catalog);

}  // namespace ordo::services::orders
