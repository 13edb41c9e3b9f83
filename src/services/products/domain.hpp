// The products domain: what a product may hold, patches, the ETag and write decisions, list
// sorting and keyset cursors. No I/O; reading the requests is requests.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "contracts/products.hpp"

namespace ordo::services::products {

inline constexpr std::int64_t kMaxPriceCents = 1'000'000'000'000;  // 10^12 minor units
inline constexpr std::int64_t kMaxInitialStock = 1'000'000'000;
inline constexpr std::size_t kMaxNameLength = 200;  // code points
inline constexpr std::size_t kMaxDescriptionLength = 5000;
inline constexpr std::size_t kMaxCategoryLength = 100;
inline constexpr std::size_t kMaxAttributesBytes = 8 * 1024;  // serialized
inline constexpr int kMaxAttributesDepth = 5;  // the attributes object itself is depth 1
inline constexpr std::size_t kMaxQueryLength = 200;
inline constexpr std::string_view kDefaultCategory = "general";
inline constexpr std::string_view kSkuRule =
    "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (1 to 64 letters, digits, '.', '_' or '-', "
    "starting with a letter or digit)";

bool is_sku(std::string_view sku);
// An active code of ISO 4217 List One (upper case); XTS and XXX (no currency) are refused.
bool is_currency(std::string_view code);
// Depth of nested objects/arrays: a scalar is 0, {} is 1, {"a":{}} is 2.
int json_depth(const boost::json::value& value);
// A decimal integer filling the whole text; nullopt otherwise.
std::optional<std::int64_t> parse_integer(std::string_view text);

// POST /products, validated (requests.hpp reads it).
struct NewProduct {
  std::string sku;
  std::string name;
  std::string description;
  std::int64_t price_cents = 0;
  std::string currency;
  std::string category;
  boost::json::object attributes;
  std::int64_t initial_stock = 0;
};

// PATCH /products/{id}: the fields present in the body. sku may be repeated but not changed.
struct ProductPatch {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::int64_t> price_cents;
  std::optional<std::string> currency;
  std::optional<std::string> category;
  std::optional<boost::json::object> attributes;
  std::optional<std::string> sku;  // as sent; must equal the stored sku
};
// The product after the patch, with version + 1 and updated_at = now.
contracts::Product apply_patch(contracts::Product product, const ProductPatch& patch,
                               const std::string& now);

// Entity tags: a product's ETag is its version, quoted.
std::string etag(std::int64_t version);

// What a write finds when it looks at the stored product. stale_copy: the client's If-Match names
// another version than the stored one. raced: the store's conditional writes kept finding that
// another writer had changed the product between their read and their write (nothing was
// written); only the store decides it.
enum class WriteDecision { proceed, stale, archived, sku_changed, raced };
WriteDecision decide_patch(const contracts::Product& current, const ProductPatch& patch,
                           bool stale_copy);
// DELETE: an archived product is already gone (idempotent), before If-Match is looked at.
enum class ArchiveDecision { archive, already_archived, stale, raced };
ArchiveDecision decide_archive(const contracts::Product& current, bool stale_copy);

// List order: a key and a direction; ties are broken by id in the same direction.
enum class SortKey { created_at, name, price_cents };
struct Sort {
  SortKey key = SortKey::created_at;
  bool descending = false;
  bool operator==(const Sort&) const = default;
};
std::optional<Sort> parse_sort(std::optional<std::string_view> text);  // absent → createdAt
std::string sort_text(Sort sort);                                      // "-priceCents"

// Where a page ended: the last item's sort key value and id. Numeric keys (createdAt as
// milliseconds, priceCents) use integer; name uses text.
struct ListPosition {
  Sort sort;
  std::string id;
  std::int64_t integer = 0;
  std::string text;
  bool operator==(const ListPosition&) const = default;
};
std::string encode_position(const ListPosition& position);  // "<sort>|<id>|<value>"
// nullopt when the text is not a position made for this sort (a cursor of another list).
std::optional<ListPosition> decode_position(std::string_view text, Sort sort);

// The sort key of names: case folded (ASCII) so "apple" and "Zebra" sort as people expect.
std::string name_key(std::string_view name);

// GET /products filters, validated (requests.hpp reads them).
struct ListFilter {
  std::optional<std::string> q;  // a LIKE pattern (wildcards escaped by '\'), matched case-folded
  std::optional<std::string> category;
  std::optional<std::int64_t> min_price_cents;
  std::optional<std::int64_t> max_price_cents;
  Sort sort;
};
// "%<text with %, _ and \ escaped>%", for LIKE ... ESCAPE '\'.
std::string like_pattern(std::string_view text);

}  // namespace ordo::services::products
