#include "services/orders/domain.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "platform/core/encoding.hpp"

namespace ordo::services::orders {
namespace json = boost::json;

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::pending:
      return "pending";
    case OrderStatus::confirmed:
      return "confirmed";
    case OrderStatus::rejected:
      return "rejected";
    case OrderStatus::cancelled:
      return "cancelled";
  }
  return "pending";
}

std::optional<OrderStatus> parse_status(std::string_view text) {
  for (auto status : {OrderStatus::pending, OrderStatus::confirmed, OrderStatus::rejected,
                      OrderStatus::cancelled}) {
    if (text == to_string(status))
      return status;
  }
  return std::nullopt;
}

bool can_transition(OrderStatus from, OrderStatus to) {
  switch (to) {
    case OrderStatus::confirmed:
    case OrderStatus::rejected:
      return from == OrderStatus::pending;
    case OrderStatus::cancelled:
      return from == OrderStatus::pending || from == OrderStatus::confirmed;
    case OrderStatus::pending:
      return false;
  }
  return false;
}

bool is_final(OrderStatus status) {
  return status != OrderStatus::pending;
}

bool is_terminal(OrderStatus status) {
  return status == OrderStatus::rejected || status == OrderStatus::cancelled;
}

std::string_view event_type(OrderStatus status) {
  switch (status) {
    case OrderStatus::pending:
      return "order.created";
    case OrderStatus::confirmed:
      return "order.confirmed";
    case OrderStatus::rejected:
      return "order.rejected";
    case OrderStatus::cancelled:
      return "order.cancelled";
  }
  return "order.created";
}

std::int64_t order_version(const contracts::Order& order) {
  return static_cast<std::int64_t>(order.history.size());
}

contracts::Order order_at_version(const contracts::Order& order, std::int64_t version) {
  contracts::Order then = order;
  if (version <= 0 || version >= order_version(order))
    return then;
  then.history.resize(static_cast<std::size_t>(version));
  const auto& last = then.history.back();
  then.status = last.status;
  then.updated_at = last.at;
  if (then.status != to_string(OrderStatus::rejected))
    then.rejection.reset();
  return then;
}

std::string item_field(std::size_t index, std::string_view name) {
  return "items[" + std::to_string(index) + "]." + std::string(name);
}

MergedLines merge_lines(const std::vector<RequestedLine>& asked) {
  MergedLines merged;
  std::map<std::string, std::size_t> position;
  for (const auto& asked_line : asked) {
    auto [it, inserted] = position.emplace(asked_line.product_id, merged.lines.size());
    if (inserted) {
      merged.lines.push_back(asked_line);
      continue;
    }
    auto& line = merged.lines[it->second];
    line.quantity += asked_line.quantity;  // both at most 10000: no overflow before the check
    if (line.quantity > kMaxQuantity) {
      merged.errors.push_back({item_field(asked_line.first_index, "quantity"),
                               "lines for the same product are merged and together exceed " +
                                   std::to_string(kMaxQuantity)});
      line.quantity = kMaxQuantity;  // report each excess line once
    }
  }
  return merged;
}

std::string request_hash(const PlaceOrderRequest& request) {
  std::vector<std::pair<std::string, std::int64_t>> lines;
  for (const auto& line : request.lines)
    lines.emplace_back(line.product_id, line.quantity);
  std::sort(lines.begin(), lines.end());
  json::array items;
  for (const auto& [product_id, quantity] : lines)
    items.push_back(json::array{json::value(product_id), json::value(quantity)});
  json::object canonical{
      {"items", std::move(items)},
      {"note", request.note ? json::value(*request.note) : json::value(nullptr)}};
  return core::hex_encode(core::sha256(json::serialize(canonical)));
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength)
    return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

PricedOrder price_order(const PlaceOrderRequest& request,
                        const std::map<std::string, CatalogEntry>& catalog) {
  std::vector<core::FieldError> errors;
  PricedOrder priced;
  bool total_overflow = false;
  for (const auto& line : request.lines) {
    auto field = item_field(line.first_index, "productId");
    auto found = catalog.find(line.product_id);
    if (found == catalog.end()) {
      errors.push_back({field, "unknown product"});
      continue;
    }
    const auto& product = found->second;
    if (!product.active) {
      errors.push_back({field, "product is archived"});
      continue;
    }
    if (priced.currency.empty()) {
      priced.currency = product.currency;
    } else if (product.currency != priced.currency) {
      errors.push_back({field, "is priced in " + product.currency + " but the order is in " +
                                   priced.currency + "; order each currency separately"});
      continue;
    }
    std::int64_t line_total = 0;
    if (__builtin_mul_overflow(product.price_cents, line.quantity, &line_total)) {
      errors.push_back(
          {item_field(line.first_index, "quantity"), "makes the line total too large"});
      continue;
    }
    if (__builtin_add_overflow(priced.total_cents, line_total, &priced.total_cents))
      total_overflow = true;
    priced.items.push_back({product.product_id, product.sku, product.name, line.quantity,
                            product.price_cents, line_total});
  }
  if (total_overflow && errors.empty())
    errors.push_back({"items", "the order total is too large"});
  if (!errors.empty())
    throw core::InvalidInput(std::move(errors));
  return priced;
}

}  // namespace ordo::services::orders
