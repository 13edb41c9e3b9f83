#include "services/products/requests.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "platform/core/encoding.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/problem.hpp"

namespace ordo::services::products {
namespace {

namespace json = boost::json;

constexpr std::string_view kCurrencyRule = "must be an active ISO 4217 currency code, e.g. USD";
constexpr std::string_view kSortRule =
    "must be one of createdAt, -createdAt, name, -name, priceCents, -priceCents";

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// A field a PATCH body mentions; null is an error (nothing here can be cleared to null).
bool present(const json::object& body, http::FieldReader& fields, std::string_view name) {
  auto it = body.find(name);
  if (it == body.end())
    return false;
  if (it->value().is_null()) {
    fields.add_error(std::string(name), "must not be null");
    return false;
  }
  return true;
}

std::optional<std::string> read_sku(http::FieldReader& fields) {
  auto sku = fields.required_string("sku", 1, 64);
  if (sku && !is_sku(*sku)) {
    fields.add_error("sku", std::string(kSkuRule));
    return std::nullopt;
  }
  return sku;
}

std::optional<std::string> read_name(http::FieldReader& fields) {
  auto name = fields.required_string("name", 1, kMaxNameLength);
  if (name && is_blank(*name)) {
    fields.add_error("name", "must not be blank");
    return std::nullopt;
  }
  return name;
}

std::optional<std::string> read_currency(http::FieldReader& fields) {
  auto currency = fields.required_string("currency", 0, 64);
  if (currency && !is_currency(*currency)) {
    fields.add_error("currency", std::string(kCurrencyRule));
    return std::nullopt;
  }
  return currency;
}

std::optional<std::string> read_category(http::FieldReader& fields) {
  auto category = fields.required_string("category", 1, kMaxCategoryLength);
  if (category && is_blank(*category)) {
    fields.add_error("category", "must not be blank");
    return std::nullopt;
  }
  return category;
}

std::optional<json::object> read_attributes(const json::object& body, http::FieldReader& fields) {
  const auto& value = body.at("attributes");
  if (!value.is_object()) {
    fields.add_error("attributes", "must be a JSON object");
    return std::nullopt;
  }
  if (json::serialize(value).size() > kMaxAttributesBytes) {
    fields.add_error("attributes", "must be at most " + std::to_string(kMaxAttributesBytes) +
                                       " bytes when serialized");
    return std::nullopt;
  }
  if (json_depth(value) > kMaxAttributesDepth) {
    fields.add_error("attributes", "must be nested at most " + std::to_string(kMaxAttributesDepth) +
                                       " levels deep");
    return std::nullopt;
  }
  return value.as_object();
}

}  // namespace

NewProduct parse_new_product(const json::object& body) {
  http::FieldReader fields(body);
  NewProduct product;
  auto sku = read_sku(fields);
  auto name = read_name(fields);
  auto description = fields.optional_string("description", kMaxDescriptionLength);
  auto price = fields.required_integer("priceCents", 0, kMaxPriceCents);
  auto currency = read_currency(fields);
  std::optional<std::string> category(kDefaultCategory);
  if (present(body, fields, "category"))
    category = read_category(fields);
  std::optional<json::object> attributes(json::object{});
  if (present(body, fields, "attributes"))
    attributes = read_attributes(body, fields);
  auto stock = fields.optional_integer("initialStock", 0, kMaxInitialStock);
  fields.throw_if_invalid();
  return NewProduct{*sku,      *name,       description.value_or(""), *price, *currency,
                    *category, *attributes, stock.value_or(0)};
}

ProductPatch parse_patch(const json::object& body) {
  http::FieldReader fields(body);
  ProductPatch patch;
  if (present(body, fields, "name"))
    patch.name = read_name(fields);
  if (present(body, fields, "description"))
    patch.description = fields.required_string("description", 0, kMaxDescriptionLength);
  if (present(body, fields, "priceCents"))
    patch.price_cents = fields.required_integer("priceCents", 0, kMaxPriceCents);
  if (present(body, fields, "currency"))
    patch.currency = read_currency(fields);
  if (present(body, fields, "category"))
    patch.category = read_category(fields);
  if (present(body, fields, "attributes"))
    patch.attributes = read_attributes(body, fields);
  if (present(body, fields, "sku"))
    patch.sku = fields.required_string("sku", 0, 1024);
  fields.throw_if_invalid();
  if (!patch.name && !patch.description && !patch.price_cents && !patch.currency &&
      !patch.category && !patch.attributes) {
    errors::raise(errors::bad_request(
        "the patch changes nothing: give at least one of name, description, priceCents, "
        "currency, category, attributes"));
  }
  return patch;
}

ListFilter parse_list_filter(const ListParams& params) {
  std::vector<errors::FieldError> problems;
  ListFilter filter;
  if (params.q && !params.q->empty()) {
    if (core::utf8_length(*params.q) > kMaxQueryLength) {
      problems.push_back(
          {"q", "must be at most " + std::to_string(kMaxQueryLength) + " characters long"});
    } else {
      filter.q = like_pattern(*params.q);
    }
  }
  if (params.category && !params.category->empty()) {
    if (core::utf8_length(*params.category) > kMaxCategoryLength) {
      problems.push_back({"category", "must be at most " + std::to_string(kMaxCategoryLength) +
                                          " characters long"});
    } else {
      filter.category = std::string(*params.category);
    }
  }
  auto read_price = [&](const std::optional<std::string_view>& text, const char* name) {
    std::optional<std::int64_t> price;
    if (!text)
      return price;
    price = parse_integer(*text);
    if (!price || *price < 0 || *price > kMaxPriceCents) {
      problems.push_back({name, "must be an integer from 0 to " + std::to_string(kMaxPriceCents)});
      price.reset();
    }
    return price;
  };
  filter.min_price_cents = read_price(params.min_price_cents, "minPriceCents");
  filter.max_price_cents = read_price(params.max_price_cents, "maxPriceCents");
  if (filter.min_price_cents && filter.max_price_cents &&
      *filter.min_price_cents > *filter.max_price_cents) {
    problems.push_back({"minPriceCents", "must not be greater than maxPriceCents"});
  }
  if (auto sort = parse_sort(params.sort)) {
    filter.sort = *sort;
  } else {
    problems.push_back({"sort", std::string(kSortRule)});
  }
  if (!problems.empty())
    errors::raise(errors::validation_failed(std::move(problems)));
  return filter;
}

}  // namespace ordo::services::products
