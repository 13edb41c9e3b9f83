#include "services/orders/requests.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"
#include "platform/http/header_values.hpp"
#include "platform/http/problem.hpp"
#include "platform/http/wire.hpp"

namespace ordo::services::orders {
namespace json = boost::json;
namespace {

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

}  // namespace

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
    std::vector<RequestedLine> asked;
    const auto& array = items->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      auto item = parse_item(array[i], i, errors);
      if (item.product_id && item.quantity)
        asked.push_back({*item.product_id, *item.quantity, i});
    }
    auto merged = merge_lines(asked);
    request.lines = std::move(merged.lines);
    errors.insert(errors.end(), merged.errors.begin(), merged.errors.end());
  }
  if (const auto* note = body.if_contains("note"); note != nullptr && !note->is_null()) {
    if (!note->is_string()) {
      errors.push_back({"note", "must be a string"});
    } else if (core::utf8_length(note->as_string()) > kMaxNoteLength) {
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

std::optional<int> parse_prefer_wait(std::string_view header) {
  std::optional<int> wait;
  for (auto preference : http::list_elements(header)) {
    preference = preference.substr(0, preference.find(';'));  // parameters do not matter here
    auto equals = preference.find('=');
    if (equals == std::string_view::npos ||
        !http::wire::iequals(http::trim_ows(preference.substr(0, equals)), "wait"))
      continue;
    auto value = http::trim_ows(preference.substr(equals + 1));
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

OrderFilter parse_list_filter(const http::Request& request, bool caller_is_admin,
                              const http::PageRequest& page) {
  std::vector<errors::FieldError> problems;
  OrderFilter filter;
  if (auto status = request.query_param("status")) {
    if (parse_status(*status))
      filter.status = std::string(*status);
    else
      problems.push_back({"status", "must be pending, confirmed, rejected or cancelled"});
  }
  if (auto user_id = request.query_param("userId"); user_id && caller_is_admin) {
    if (core::is_uuid(*user_id))
      filter.user_id = std::string(*user_id);
    else
      problems.push_back({"userId", "must be a user id (UUID)"});
  }
  if (page.after && !core::is_uuid(*page.after))
    problems.push_back({"cursor", "is not a cursor this API issued"});
  if (!problems.empty())
    errors::raise(errors::validation_failed(std::move(problems)));
  return filter;
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

}  // namespace ordo::services::orders
