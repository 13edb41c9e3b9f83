#include "services/inventory/domain.hpp"

#include <algorithm>

#include "platform/core/encoding.hpp"

namespace ordo::services::inventory {

std::string stock_etag(const contracts::Stock& stock) {
  auto state = std::to_string(stock.available) + "/" + std::to_string(stock.reserved) + "/" +
               std::to_string(stock.low_stock_threshold) + "/" + stock.updated_at;
  return "\"" + core::hex_encode(core::sha256(state)).substr(0, 20) + "\"";
}

std::optional<std::vector<Line>> merge_lines(
    const std::vector<contracts::events::OrderLine>& lines) {
  if (lines.empty())
    return std::nullopt;
  std::map<std::string, std::int64_t> totals;
  for (const auto& line : lines) {
    if (line.product_id.empty() || line.quantity < 1 || line.quantity > kMaxStock)
      return std::nullopt;
    auto& total = totals[line.product_id];
    std::int64_t sum = 0;
    if (__builtin_add_overflow(total, line.quantity, &sum) || sum > kMaxStock)
      return std::nullopt;
    total = sum;
  }
  std::vector<Line> merged;
  merged.reserve(totals.size());
  for (const auto& [product_id, quantity] : totals)  // a std::map: already sorted by id
    merged.push_back({product_id, quantity});
  return merged;
}

LowStockChange low_stock_change(std::int64_t available, std::int64_t threshold, bool flagged) {
  bool low = available <= threshold;
  if (low && !flagged)
    return LowStockChange::crossed;
  if (!low && flagged)
    return LowStockChange::recovered;
  return LowStockChange::none;
}

std::optional<contracts::events::InventoryRejected> build_rejection(
    const std::string& order_id, const std::vector<Line>& lines,
    const std::map<std::string, std::int64_t>& available, const std::set<std::string>& archived) {
  contracts::events::InventoryRejected unknown{order_id, std::string(kReasonUnknownProduct), {}};
  contracts::events::InventoryRejected withdrawn{order_id, std::string(kReasonProductArchived), {}};
  contracts::events::InventoryRejected short_of{
      order_id, std::string(kReasonInsufficientStock), {}};
  for (const auto& line : lines) {
    auto it = available.find(line.product_id);
    if (it == available.end()) {
      unknown.lines.push_back({line.product_id, line.quantity, 0});
    } else if (archived.contains(line.product_id)) {
      withdrawn.lines.push_back({line.product_id, line.quantity, it->second});
    } else if (it->second < line.quantity) {
      short_of.lines.push_back({line.product_id, line.quantity, it->second});
    }
  }
  if (!unknown.lines.empty())
    return unknown;
  if (!withdrawn.lines.empty())
    return withdrawn;
  if (!short_of.lines.empty())
    return short_of;
  return std::nullopt;
}

bool within_grace(std::optional<std::int64_t> event_ms, std::int64_t now_ms) {
  // An event without a readable time cannot be dated: waiting for it would never end.
  return event_ms && now_ms - *event_ms < kUnknownProductGraceMs;
}

std::vector<contracts::events::OrderLine> to_order_lines(const std::vector<Line>& lines) {
  std::vector<contracts::events::OrderLine> out;
  out.reserve(lines.size());
  for (const auto& line : lines)
    out.push_back({line.product_id, line.quantity, 0});
  return out;
}

}  // namespace ordo::services::inventory
