#include "services/products/domain.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "platform/core/ids.hpp"

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

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size())
    return std::nullopt;
  return value;
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

WriteDecision decide_patch(const contracts::Product& current, const ProductPatch& patch,
                           bool stale_copy) {
  // A stale client first: whatever else it asks for was decided on an outdated copy.
  if (stale_copy)
    return WriteDecision::stale;
  if (current.status == contracts::kProductArchived)
    return WriteDecision::archived;
  if (patch.sku && *patch.sku != current.sku)
    return WriteDecision::sku_changed;
  return WriteDecision::proceed;
}

ArchiveDecision decide_archive(const contracts::Product& current, bool stale_copy) {
  // A repeated DELETE (a retry after a lost response) must not turn into 412.
  if (current.status == contracts::kProductArchived)
    return ArchiveDecision::already_archived;
  if (stale_copy)
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

}  // namespace ordo::services::products
