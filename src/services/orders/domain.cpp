#include "services/orders/domain.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"

namespace ordo::services::orders {
namespace json = boost::json;
namespace {

std::string item_field(std::size_t index, std::string_view name) {
  return "items[" + std::to_string(index) + "]." + std::string(name);
}

// Counts Unicode code points (the note limit is in characters, not bytes).
std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::optional<std::int64_t> as_integer(const json::value& value) {
  if (value.is_int64())
    return value.as_int64();
  if (value.is_uint64() && value.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(value.as_uint64());
  return std::nullopt;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct ParsedItem {
  std::optional<std::string> product_id;
  std::optional<std::int64_t> quantity;
};

ParsedItem parse_item(const json::value& element, std::size_t index,
                      std::vector<errors::FieldError>& errors) {
  ParsedItem item;
  if (!element.is_object()) {
    errors.push_back({"items[" + std::to_string(index) + "]", "must be an object"});
    return item;
  }
  const auto& o = element.as_object();
  const auto* product = o.if_contains("productId");
  if (product == nullptr || product->is_null()) {
    errors.push_back({item_field(index, "productId"), "is required"});
  } else if (!product->is_string() || !core::is_uuid(product->as_string())) {
    errors.push_back({item_field(index, "productId"), "must be a product id (UUID)"});
  } else {
    item.product_id = lower(std::string(product->as_string()));
  }
  const auto* quantity = o.if_contains("quantity");
  if (quantity == nullptr || quantity->is_null()) {
    errors.push_back({item_field(index, "quantity"), "is required"});
  } else if (auto number = as_integer(*quantity); !number) {
    errors.push_back({item_field(index, "quantity"), "must be an integer"});
  } else if (*number < 1 || *number > kMaxQuantity) {
    errors.push_back(
        {item_field(index, "quantity"), "must be between 1 and " + std::to_string(kMaxQuantity)});
  } else {
    item.quantity = number;
  }
  return item;
}

// Merges the valid items by product id, keeping the order of first appearance.
std::vector<RequestedLine> merge_items(const std::vector<ParsedItem>& items,
                                       std::vector<errors::FieldError>& errors) {
  std::vector<RequestedLine> lines;
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].product_id || !items[i].quantity)
      continue;
    auto [it, inserted] = position.emplace(*items[i].product_id, lines.size());
    if (inserted) {
      lines.push_back({*items[i].product_id, *items[i].quantity, i});
      continue;
    }
    auto& line = lines[it->second];
    line.quantity += *items[i].quantity;  // both at most 10000: no overflow before the check
    if (line.quantity > kMaxQuantity) {
      errors.push_back(
          {item_field(i, "quantity"), "lines for the same product are merged and together exceed " +
                                          std::to_string(kMaxQuantity)});
      line.quantity = kMaxQuantity;  // report each excess line once
    }
  }
  return lines;
}

}  // namespace

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

PlaceOrderRequest parse_place_order(const json::object& body) {
  std::vector<errors::FieldError> errors;
  PlaceOrderRequest request;
  const auto* items = body.if_contains("items");
  if (items == nullptr || items->is_null()) {
    errors.push_back({"items", "is required"});
  } else if (!items->is_array()) {
    errors.push_back({"items", "must be an array of {productId, quantity}"});
  } else if (items->as_array().empty() ||
             items->as_array().size() > static_cast<std::size_t>(kMaxLines)) {
    errors.push_back({"items", "must have 1 to " + std::to_string(kMaxLines) + " lines"});
  } else {
    std::vector<ParsedItem> parsed;
    const auto& array = items->as_array();
    for (std::size_t i = 0; i < array.size(); ++i)
      parsed.push_back(parse_item(array[i], i, errors));
    request.lines = merge_items(parsed, errors);
  }
  if (const auto* note = body.if_contains("note"); note != nullptr && !note->is_null()) {
    if (!note->is_string()) {
      errors.push_back({"note", "must be a string"});
    } else if (utf8_length(note->as_string()) > kMaxNoteLength) {
      errors.push_back(
          {"note", "must be at most " + std::to_string(kMaxNoteLength) + " characters long"});
    } else {
      request.note = std::string(note->as_string());
    }
  }
  if (!errors.empty())
    errors::raise(errors::validation_failed(std::move(errors)));
  return request;
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

std::optional<int> parse_prefer_wait(std::string_view header) {
  std::optional<int> wait;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto preference = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    preference = preference.substr(0, preference.find(';'));  // parameters do not matter here
    auto equals = preference.find('=');
    if (equals == std::string_view::npos || !iequals(trim(preference.substr(0, equals)), "wait"))
      continue;
    auto value = trim(preference.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (value.empty() ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;  // not delta-seconds: ignored, as RFC 7240 asks of preferences it cannot parse
    }
    int seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > kMaxWaitSeconds) {
        seconds = kMaxWaitSeconds;
        break;
      }
    }
    if (!wait)
      wait = seconds;  // the first occurrence wins
  }
  return wait;
}

std::optional<CatalogEntry> catalog_entry_from_product_json(const json::value& value) {
  if (!value.is_object())
    return std::nullopt;
  const auto& o = value.as_object();
  auto string_of = [&](std::string_view key) -> std::optional<std::string> {
    const auto* field = o.if_contains(key);
    if (field == nullptr || !field->is_string())
      return std::nullopt;
    return std::string(field->as_string());
  };
  CatalogEntry entry;
  auto id = string_of("id");
  if (!id)
    id = string_of("productId");
  auto sku = string_of("sku");
  auto name = string_of("name");
  auto currency = string_of("currency");
  const auto* price = o.if_contains("priceCents");
  auto price_cents = price ? as_integer(*price) : std::nullopt;
  if (!id || !core::is_uuid(*id) || !sku || !name || !currency || !price_cents)
    return std::nullopt;
  entry.product_id = lower(*id);
  entry.sku = *sku;
  entry.name = *name;
  entry.currency = *currency;
  entry.price_cents = *price_cents;
  entry.category = string_of("category").value_or("");
  // Archived products may be shown as active:false, status:"archived" or with an archivedAt.
  if (const auto* active = o.if_contains("active"); active != nullptr && active->is_bool())
    entry.active = active->as_bool();
  if (string_of("status") == std::optional<std::string>("archived"))
    entry.active = false;
  if (const auto* archived = o.if_contains("archivedAt");
      archived != nullptr && !archived->is_null())
    entry.active = false;
  if (const auto* version = o.if_contains("version")) {
    if (auto number = as_integer(*version))
      entry.version = *number;
  }
  return entry;
}

PricedOrder price_order(const PlaceOrderRequest& request,
                        const std::map<std::string, CatalogEntry>& catalog) {
  std::vector<errors::FieldError> errors;
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
    errors::raise(errors::validation_failed(std::move(errors)));
  return priced;
}

}  // namespace ordo::services::orders
