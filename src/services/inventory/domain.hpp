// The inventory domain: order lines to reserve, the low-stock crossing rule, rejections and input
// limits. No I/O; reading the requests is requests.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/events.hpp"
#include "contracts/inventory.hpp"

namespace ordo::services::inventory {

inline constexpr std::int64_t kMaxQuantity = 1'000'000'000;  // one replenish, one stock count
// Stock never grows past this, so sums of quantities stay far from int64 overflow.
inline constexpr std::int64_t kMaxStock = 1'000'000'000'000'000;
inline constexpr std::size_t kMaxNoteLength = 200;
// order.created for a product not yet known is retried for this long (its product.created may
// still be in flight); afterwards the order is rejected as "unknown_product".
inline constexpr std::int64_t kUnknownProductGraceMs = 60'000;

inline constexpr std::string_view kReasonInsufficientStock = "insufficient_stock";
inline constexpr std::string_view kReasonUnknownProduct = "unknown_product";
inline constexpr std::string_view kReasonProductArchived = "product_archived";
inline constexpr std::string_view kActorSystem = "system";

// The stock's entity tag (quoted, strong): it changes whenever any of its numbers or its last
// change time does, so a count (PUT) decided on an older reading can be refused (412).
std::string stock_etag(const contracts::Stock& stock);

// One product's quantity in an order, after merging duplicate lines.
struct Line {
  std::string product_id;
  std::int64_t quantity = 0;
  bool operator==(const Line&) const = default;
};

// Sums the quantities of lines naming the same product and sorts by product id (a fixed order
// in which rows are locked, so two reservations never wait on each other). nullopt when the
// lines cannot be reserved at all: none, an empty product id, a quantity < 1, or a sum that
// overflows kMaxStock. Such an event is poison.
std::optional<std::vector<Line>> merge_lines(
    const std::vector<contracts::events::OrderLine>& lines);

// The low-stock flag after a change: `crossed` means the flag was clear and available is now at
// or under the threshold (emit inventory.low_stock once); `recovered` means it was set and
// available rose above it (clear the flag, so the next crossing emits again).
enum class LowStockChange { none, crossed, recovered };
LowStockChange low_stock_change(std::int64_t available, std::int64_t threshold, bool flagged);

// Why an order cannot be reserved, from what there is now. `available` holds every product that
// has a stock row, `archived` those of them no longer sold. Lines of unknown products make it
// "unknown_product" (listing those lines with 0 available); otherwise lines of archived products
// make it "product_archived"; otherwise the lines short of stock make it "insufficient_stock".
// nullopt when every line could be reserved after all.
std::optional<contracts::events::InventoryRejected> build_rejection(
    const std::string& order_id, const std::vector<Line>& lines,
    const std::map<std::string, std::int64_t>& available,
    const std::set<std::string>& archived = {});

// True while an event is young enough that a missing product may still arrive.
bool within_grace(std::optional<std::int64_t> event_ms, std::int64_t now_ms);

// The order lines of an event, as inventory.reserved / inventory.released carry them.
std::vector<contracts::events::OrderLine> to_order_lines(const std::vector<Line>& lines);

}  // namespace ordo::services::inventory
