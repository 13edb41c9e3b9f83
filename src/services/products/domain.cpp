#include "services/products/domain.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/json/serialize.hpp>

#include "platform/core/ids.hpp"
#include "platform/http/json_body.hpp"

namespace ordo::services::products {
namespace {

namespace json = boost::json;

// ISO 4217 List One, active alphabetic codes as of late 2026 (sorted for binary search). Left out
// on purpose: XTS (testing) and XXX (no currency); withdrawn: ANG (now XCG), BGN and HRK (now
// EUR), CUC, SLL (now SLE), ZWL (now ZWG). Update from the SIX maintenance agency's list.
constexpr std::array<std::string_view, 175> kCurrencies{
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DJF",
    "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR",
    "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
    "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
    "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
    "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF",
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT",
    "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG"};

constexpr std::string_view kCurrencyRule = "must be an active ISO 4217 currency code, e.g. USD";
constexpr std::string_view kSortRule =
    "must be one of createdAt, -createdAt, name, -name, priceCents, -priceCents";

// Counts Unicode code points (the body parser has already checked the UTF-8).
std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

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

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size())
    return std::nullopt;
  return value;
}

// An entity-tag list ("a", W/"b", ...) as (weak, opaque tag) pairs; "*" yields one ("*", false).
struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // with its quotes
};
std::vector<EntityTag> entity_tags(std::string_view header) {
  std::vector<EntityTag> tags;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item.empty())
      continue;
    EntityTag tag;
    if (item.starts_with("W/")) {
      tag.weak = true;
      item.remove_prefix(2);
    }
    tag.opaque = item;
    tags.push_back(tag);
  }
  return tags;
}

}  // namespace

bool is_sku(std::string_view sku) {
  if (sku.empty() || sku.size() > 64)
    return false;
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(sku.front()))
    return false;
  return std::all_of(sku.begin() + 1, sku.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool is_currency(std::string_view code) {
  return std::binary_search(kCurrencies.begin(), kCurrencies.end(), code);
}

int json_depth(const json::value& value) {
  int deepest = 0;
  if (value.is_object()) {
    for (const auto& member : value.as_object())
      deepest = std::max(deepest, json_depth(member.value()));
    return deepest + 1;
  }
  if (value.is_array()) {
    for (const auto& element : value.as_array())
      deepest = std::max(deepest, json_depth(element));
    return deepest + 1;
  }
  return 0;
}

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

contracts::Product apply_patch(contracts::Product product, const ProductPatch& patch,
                               const std::string& now) {
  if (patch.name)
    product.name = *patch.name;
  if (patch.description)
    product.description = *patch.description;
  if (patch.price_cents)
    product.price_cents = *patch.price_cents;
  if (patch.currency)
    product.currency = *patch.currency;
  if (patch.category)
    product.category = *patch.category;
  if (patch.attributes)
    product.attributes = *patch.attributes;
  product.version += 1;
  product.updated_at = now;
  return product;
}

std::string etag(std::int64_t version) {
  return "\"" + std::to_string(version) + "\"";
}

bool if_match_satisfied(std::string_view header, std::int64_t version) {
  auto current = etag(version);
  for (const auto& tag : entity_tags(header)) {
    if (tag.opaque == "*" && !tag.weak)
      return true;
    if (!tag.weak && tag.opaque == current)
      return true;
  }
  return false;
}

bool if_none_match_matches(std::string_view header, std::int64_t version) {
  auto current = etag(version);
  for (const auto& tag : entity_tags(header)) {
    if (tag.opaque == "*" || tag.opaque == current)
      return true;
  }
  return false;
}

WriteDecision decide_patch(const contracts::Product& current, const ProductPatch& patch,
                           const std::optional<std::string>& if_match) {
  // A stale client first: whatever else it asks for was decided on an outdated copy.
  if (if_match && !if_match_satisfied(*if_match, current.version))
    return WriteDecision::stale;
  if (current.status == contracts::kProductArchived)
    return WriteDecision::archived;
  if (patch.sku && *patch.sku != current.sku)
    return WriteDecision::sku_changed;
  return WriteDecision::proceed;
}

ArchiveDecision decide_archive(const contracts::Product& current,
                               const std::optional<std::string>& if_match) {
  // A repeated DELETE (a retry after a lost response) must not turn into 412.
  if (current.status == contracts::kProductArchived)
    return ArchiveDecision::already_archived;
  if (if_match && !if_match_satisfied(*if_match, current.version))
    return ArchiveDecision::stale;
  return ArchiveDecision::archive;
}

std::optional<Sort> parse_sort(std::optional<std::string_view> text) {
  if (!text || text->empty())
    return Sort{};
  Sort sort;
  auto key = *text;
  if (key.front() == '-') {
    sort.descending = true;
    key.remove_prefix(1);
  }
  if (key == "createdAt") {
    sort.key = SortKey::created_at;
  } else if (key == "name") {
    sort.key = SortKey::name;
  } else if (key == "priceCents") {
    sort.key = SortKey::price_cents;
  } else {
    return std::nullopt;
  }
  return sort;
}

std::string sort_text(Sort sort) {
  std::string text = sort.descending ? "-" : "";
  switch (sort.key) {
    case SortKey::created_at:
      return text + "createdAt";
    case SortKey::name:
      return text + "name";
    case SortKey::price_cents:
      return text + "priceCents";
  }
  return text;
}

std::string encode_position(const ListPosition& position) {
  auto value =
      position.sort.key == SortKey::name ? position.text : std::to_string(position.integer);
  return sort_text(position.sort) + "|" + position.id + "|" + value;
}

std::optional<ListPosition> decode_position(std::string_view text, Sort sort) {
  auto first = text.find('|');
  if (first == std::string_view::npos || text.substr(0, first) != sort_text(sort))
    return std::nullopt;
  auto rest = text.substr(first + 1);
  auto second = rest.find('|');
  if (second == std::string_view::npos || !core::is_uuid(rest.substr(0, second)))
    return std::nullopt;
  ListPosition position{sort, std::string(rest.substr(0, second)), 0, {}};
  auto value = rest.substr(second + 1);
  if (sort.key == SortKey::name) {
    position.text = std::string(value);
  } else {
    auto number = parse_integer(value);
    if (!number)
      return std::nullopt;
    position.integer = *number;
  }
  return position;
}

std::string name_key(std::string_view name) {
  std::string key(name);
  for (auto& c : key) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

std::string like_pattern(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\')
      pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

ListFilter parse_list_filter(const ListParams& params) {
  std::vector<errors::FieldError> problems;
  ListFilter filter;
  if (params.q && !params.q->empty()) {
    if (utf8_length(*params.q) > kMaxQueryLength) {
      problems.push_back(
          {"q", "must be at most " + std::to_string(kMaxQueryLength) + " characters long"});
    } else {
      filter.q = like_pattern(*params.q);
    }
  }
  if (params.category && !params.category->empty()) {
    if (utf8_length(*params.category) > kMaxCategoryLength) {
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
