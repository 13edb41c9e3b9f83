// The products domain: patches, ETag/If-Match rules, sort parsing, keyset cursors and the JSON
// depth of attributes. (Reading the requests: service_products_requests_test.cpp.)
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "platform/http/conditional.hpp"
#include "services/products/domain.hpp"

namespace ordo::services::products {
namespace {

namespace json = boost::json;

contracts::Product stored() {
  contracts::Product product;
  product.id = "0190a0a0-0000-7000-8000-000000000001";
  product.sku = "SKU-1";
  product.name = "Old";
  product.price_cents = 100;
  product.currency = "EUR";
  product.category = "general";
  product.version = 3;
  return product;
}

TEST(ProductsValidation, JsonDepth) {
  EXPECT_EQ(json_depth(json::value(1)), 0);
  EXPECT_EQ(json_depth(json::object{}), 1);
  EXPECT_EQ(json_depth(json::parse(R"({"a":[{"b":1}]})")), 3);
}

TEST(ProductsPatch, AppliesPresentFieldsOnly) {
  ProductPatch patch;
  patch.name = "New";
  patch.price_cents = 250;
  auto updated = apply_patch(stored(), patch, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(updated.name, "New");
  EXPECT_EQ(updated.price_cents, 250);
  EXPECT_EQ(updated.currency, "EUR");
  EXPECT_EQ(updated.version, 4);
  EXPECT_EQ(updated.updated_at, "2026-01-01T00:00:00.000Z");
}

// What the store asks of a write: does the client's If-Match name another version?
bool stale(const contracts::Product& current, std::string_view if_match) {
  return !http::if_match_satisfied(if_match, etag(current.version));
}

TEST(ProductsPatch, Decisions) {
  auto current = stored();
  ProductPatch patch;
  patch.name = "New";
  EXPECT_EQ(decide_patch(current, patch, false), WriteDecision::proceed);
  EXPECT_EQ(decide_patch(current, patch, stale(current, "\"3\"")), WriteDecision::proceed);
  EXPECT_EQ(decide_patch(current, patch, stale(current, "*")), WriteDecision::proceed);
  EXPECT_EQ(decide_patch(current, patch, stale(current, "\"2\"")), WriteDecision::stale);
  patch.sku = "SKU-1";
  EXPECT_EQ(decide_patch(current, patch, false), WriteDecision::proceed);
  patch.sku = "SKU-2";
  EXPECT_EQ(decide_patch(current, patch, false), WriteDecision::sku_changed);
  current.status = "archived";
  EXPECT_EQ(decide_patch(current, patch, false), WriteDecision::archived);
  EXPECT_EQ(decide_patch(current, patch, stale(current, "\"1\"")), WriteDecision::stale);
}

TEST(ProductsPatch, ArchiveDecisions) {
  auto current = stored();
  EXPECT_EQ(decide_archive(current, false), ArchiveDecision::archive);
  EXPECT_EQ(decide_archive(current, stale(current, "\"3\"")), ArchiveDecision::archive);
  EXPECT_EQ(decide_archive(current, stale(current, "\"9\"")), ArchiveDecision::stale);
  current.status = "archived";
  // A retried DELETE stays 204 even with its now outdated If-Match.
  EXPECT_EQ(decide_archive(current, stale(current, "\"3\"")), ArchiveDecision::already_archived);
}

TEST(ProductsEtag, QuotedVersion) {
  EXPECT_EQ(etag(7), "\"7\"");
}

TEST(ProductsEtag, IfMatchIsStrong) {
  EXPECT_TRUE(http::if_match_satisfied("\"7\"", etag(7)));
  EXPECT_TRUE(http::if_match_satisfied("*", etag(7)));
  EXPECT_TRUE(http::if_match_satisfied("\"5\", \"7\"", etag(7)));
  EXPECT_TRUE(http::if_match_satisfied(" \"1\" ,\"7\" ", etag(7)));
  EXPECT_FALSE(http::if_match_satisfied("W/\"7\"", etag(7)));
  EXPECT_FALSE(http::if_match_satisfied("\"6\"", etag(7)));
  EXPECT_FALSE(http::if_match_satisfied("7", etag(7)));
  EXPECT_FALSE(http::if_match_satisfied("", etag(7)));
  EXPECT_FALSE(http::if_match_satisfied("\"70\"", etag(7)));
}

TEST(ProductsEtag, IfNoneMatchIsWeak) {
  EXPECT_TRUE(http::if_none_match_matches("\"7\"", etag(7)));
  EXPECT_TRUE(http::if_none_match_matches("W/\"7\"", etag(7)));
  EXPECT_TRUE(http::if_none_match_matches("*", etag(7)));
  EXPECT_TRUE(http::if_none_match_matches("\"1\", W/\"7\"", etag(7)));
  EXPECT_FALSE(http::if_none_match_matches("\"6\"", etag(7)));
  EXPECT_FALSE(http::if_none_match_matches("", etag(7)));
}

TEST(ProductsSort, ParsesTheSixOrders) {
  EXPECT_EQ(parse_sort(std::nullopt), (Sort{SortKey::created_at, false}));
  EXPECT_EQ(parse_sort(""), (Sort{SortKey::created_at, false}));
  EXPECT_EQ(parse_sort("createdAt"), (Sort{SortKey::created_at, false}));
  EXPECT_EQ(parse_sort("-createdAt"), (Sort{SortKey::created_at, true}));
  EXPECT_EQ(parse_sort("name"), (Sort{SortKey::name, false}));
  EXPECT_EQ(parse_sort("-name"), (Sort{SortKey::name, true}));
  EXPECT_EQ(parse_sort("priceCents"), (Sort{SortKey::price_cents, false}));
  EXPECT_EQ(parse_sort("-priceCents"), (Sort{SortKey::price_cents, true}));
  for (auto bad : {"price", "-", "--name", "Name", "+name", "createdAt,name"})
    EXPECT_FALSE(parse_sort(bad)) << bad;
  for (auto text : {"createdAt", "-createdAt", "name", "-name", "priceCents", "-priceCents"})
    EXPECT_EQ(sort_text(*parse_sort(text)), text);
}

TEST(ProductsCursor, RoundTrips) {
  const std::string id = "0190a0a0-0000-7000-8000-000000000001";
  Sort by_price{SortKey::price_cents, true};
  ListPosition price{by_price, id, 1999, {}};
  EXPECT_EQ(decode_position(encode_position(price), by_price), price);
  Sort by_name{SortKey::name, false};
  ListPosition name{by_name, id, 0, "a|b|c weird name"};
  EXPECT_EQ(decode_position(encode_position(name), by_name), name);
  ListPosition created{Sort{}, id, 1764000000123, {}};
  EXPECT_EQ(decode_position(encode_position(created), Sort{}), created);
}

TEST(ProductsCursor, RejectsForeignOrBrokenPositions) {
  const std::string id = "0190a0a0-0000-7000-8000-000000000001";
  ListPosition price{Sort{SortKey::price_cents, false}, id, 5, {}};
  // A cursor of another sort order is not a position in this one.
  EXPECT_FALSE(decode_position(encode_position(price), Sort{}));
  EXPECT_FALSE(decode_position(encode_position(price), Sort{SortKey::price_cents, true}));
  EXPECT_FALSE(decode_position("priceCents|not-a-uuid|5", price.sort));
  EXPECT_FALSE(decode_position("priceCents|" + id + "|5x", price.sort));
  EXPECT_FALSE(decode_position("priceCents|" + id, price.sort));
  EXPECT_FALSE(decode_position("", price.sort));
  EXPECT_FALSE(decode_position(id, price.sort));
}

TEST(ProductsFilter, NameKeyFoldsAsciiCase) {
  EXPECT_EQ(name_key("Zebra Äpfel"), "zebra Äpfel");
  EXPECT_LT(name_key("apple"), name_key("Zebra"));
}

}  // namespace
}  // namespace ordo::services::products
