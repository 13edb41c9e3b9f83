// The products domain: validation, ETag/If-Match rules, sort parsing and keyset cursors.
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "platform/http/problem.hpp"
#include "services/products/domain.hpp"

namespace ordo::services::products {
namespace {

namespace json = boost::json;

std::string repeat(const std::string& text, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += text;
  return out;
}

json::object valid_body() {
  return json::parse(R"({"sku":"TSHIRT-RED.L_1","name":"Red T-shirt","description":"Cotton",
    "priceCents":1999,"currency":"EUR","category":"apparel","attributes":{"size":"L"},
    "initialStock":10})")
      .as_object();
}

// The field names of the 400 problem thrown by fn, in order.
template <typename Fn>
std::vector<std::string> error_fields(Fn fn) {
  try {
    fn();
  } catch (const errors::ProblemException& e) {
    EXPECT_EQ(e.problem().status, 400);
    std::vector<std::string> fields;
    for (const auto& error : e.problem().errors)
      fields.push_back(error.field);
    return fields;
  }
  ADD_FAILURE() << "no problem thrown";
  return {};
}

std::vector<std::string> new_product_errors(const json::object& body) {
  return error_fields([&] { parse_new_product(body); });
}

using Fields = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// Creating

TEST(ProductsValidation, AcceptsAValidProduct) {
  auto product = parse_new_product(valid_body());
  EXPECT_EQ(product.sku, "TSHIRT-RED.L_1");
  EXPECT_EQ(product.name, "Red T-shirt");
  EXPECT_EQ(product.price_cents, 1999);
  EXPECT_EQ(product.currency, "EUR");
  EXPECT_EQ(product.category, "apparel");
  EXPECT_EQ(product.attributes.at("size").as_string(), "L");
  EXPECT_EQ(product.initial_stock, 10);
}

TEST(ProductsValidation, DefaultsOptionalFields) {
  auto body = json::parse(R"({"sku":"A","name":"A","priceCents":0,"currency":"USD"})").as_object();
  auto product = parse_new_product(body);
  EXPECT_EQ(product.description, "");
  EXPECT_EQ(product.category, "general");
  EXPECT_TRUE(product.attributes.empty());
  EXPECT_EQ(product.initial_stock, 0);
}

TEST(ProductsValidation, SkuPattern) {
  EXPECT_TRUE(is_sku("A"));
  EXPECT_TRUE(is_sku("9-x.y_z"));
  EXPECT_TRUE(is_sku(repeat("a", 64)));
  EXPECT_FALSE(is_sku(""));
  EXPECT_FALSE(is_sku(repeat("a", 65)));
  EXPECT_FALSE(is_sku("-abc"));
  EXPECT_FALSE(is_sku(".abc"));
  EXPECT_FALSE(is_sku("ab c"));
  EXPECT_FALSE(is_sku("ab/c"));
  EXPECT_FALSE(is_sku("äb"));
  auto body = valid_body();
  body["sku"] = "_bad";
  EXPECT_EQ(new_product_errors(body), Fields{"sku"});
}

TEST(ProductsValidation, SkuErrorDocumentsThePattern) {
  auto body = valid_body();
  body["sku"] = "bad sku";
  try {
    parse_new_product(body);
    FAIL();
  } catch (const errors::ProblemException& e) {
    ASSERT_EQ(e.problem().errors.size(), 1u);
    EXPECT_NE(e.problem().errors[0].message.find("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
              std::string::npos);
  }
}

TEST(ProductsValidation, NameCountsCodePoints) {
  auto body = valid_body();
  body["name"] = repeat("é", 200);
  EXPECT_EQ(parse_new_product(body).name, repeat("é", 200));
  body["name"] = repeat("é", 201);
  EXPECT_EQ(new_product_errors(body), Fields{"name"});
  body["name"] = "";
  EXPECT_EQ(new_product_errors(body), Fields{"name"});
  body["name"] = "   ";
  EXPECT_EQ(new_product_errors(body), Fields{"name"});
}

TEST(ProductsValidation, DescriptionIsBounded) {
  auto body = valid_body();
  body["description"] = repeat("x", 5000);
  EXPECT_NO_THROW(parse_new_product(body));
  body["description"] = repeat("x", 5001);
  EXPECT_EQ(new_product_errors(body), Fields{"description"});
}

TEST(ProductsValidation, PriceIsANonNegativeInteger) {
  auto body = valid_body();
  body["priceCents"] = 1'000'000'000'000;
  EXPECT_NO_THROW(parse_new_product(body));
  for (auto bad :
       {json::value(-1), json::value(1'000'000'000'001), json::value(19.99), json::value(1.0),
        json::value("1999"), json::value(true), json::value(nullptr)}) {
    body["priceCents"] = bad;
    EXPECT_EQ(new_product_errors(body), Fields{"priceCents"}) << json::serialize(bad);
  }
}

TEST(ProductsValidation, CurrencyIsAnIso4217Code) {
  EXPECT_TRUE(is_currency("USD"));
  EXPECT_TRUE(is_currency("EUR"));
  EXPECT_TRUE(is_currency("JPY"));
  EXPECT_TRUE(is_currency("CHF"));
  EXPECT_TRUE(is_currency("ZWG"));
  EXPECT_TRUE(is_currency("XCG"));
  EXPECT_FALSE(is_currency("usd"));
  EXPECT_FALSE(is_currency("ABC"));
  EXPECT_FALSE(is_currency("XXX"));
  EXPECT_FALSE(is_currency("XTS"));
  EXPECT_FALSE(is_currency("DEM"));
  EXPECT_FALSE(is_currency("US"));
  auto body = valid_body();
  body["currency"] = "EURO";
  EXPECT_EQ(new_product_errors(body), Fields{"currency"});
}

TEST(ProductsValidation, CategoryIsBounded) {
  auto body = valid_body();
  body["category"] = repeat("c", 100);
  EXPECT_NO_THROW(parse_new_product(body));
  for (auto bad : {json::value(repeat("c", 101)), json::value(""), json::value(5)}) {
    body["category"] = bad;
    EXPECT_EQ(new_product_errors(body), Fields{"category"});
  }
}

TEST(ProductsValidation, AttributesAreASmallShallowObject) {
  auto body = valid_body();
  body["attributes"] = json::parse(R"({"a":{"b":{"c":{"d":{"e":1}}}}})");  // depth 5
  EXPECT_NO_THROW(parse_new_product(body));
  body["attributes"] = json::parse(R"({"a":{"b":{"c":{"d":{"e":[1]}}}}})");  // depth 6
  EXPECT_EQ(new_product_errors(body), Fields{"attributes"});
  body["attributes"] = json::array{1, 2};
  EXPECT_EQ(new_product_errors(body), Fields{"attributes"});
  body["attributes"] = "colour=red";
  EXPECT_EQ(new_product_errors(body), Fields{"attributes"});
  body["attributes"] = json::object{{"blob", repeat("x", 8 * 1024)}};
  EXPECT_EQ(new_product_errors(body), Fields{"attributes"});
  body["attributes"] = json::object{{"blob", repeat("x", 8 * 1024 - 20)}};
  EXPECT_NO_THROW(parse_new_product(body));
}

TEST(ProductsValidation, JsonDepth) {
  EXPECT_EQ(json_depth(json::value(1)), 0);
  EXPECT_EQ(json_depth(json::object{}), 1);
  EXPECT_EQ(json_depth(json::parse(R"({"a":[{"b":1}]})")), 3);
}

TEST(ProductsValidation, InitialStockRange) {
  auto body = valid_body();
  body["initialStock"] = 1'000'000'000;
  EXPECT_NO_THROW(parse_new_product(body));
  for (auto bad :
       {json::value(-1), json::value(1'000'000'001), json::value(2.5), json::value("3")}) {
    body["initialStock"] = bad;
    EXPECT_EQ(new_product_errors(body), Fields{"initialStock"});
  }
}

TEST(ProductsValidation, CollectsEveryFieldErrorAtOnce) {
  auto body = json::parse(R"({"sku":7,"name":[],"priceCents":"x","currency":"xx",
    "attributes":[],"initialStock":-5})")
                  .as_object();
  EXPECT_EQ(new_product_errors(body),
            (Fields{"sku", "name", "priceCents", "currency", "attributes", "initialStock"}));
  EXPECT_EQ(new_product_errors(json::object{}), (Fields{"sku", "name", "priceCents", "currency"}));
}

// ---------------------------------------------------------------------------------------------
// Patching

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

TEST(ProductsPatch, ParsesPresentFieldsOnly) {
  auto patch = parse_patch(json::parse(R"({"name":"New","priceCents":250})").as_object());
  EXPECT_EQ(patch.name, "New");
  EXPECT_EQ(patch.price_cents, 250);
  EXPECT_FALSE(patch.description);
  EXPECT_FALSE(patch.currency);
  auto updated = apply_patch(stored(), patch, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(updated.name, "New");
  EXPECT_EQ(updated.price_cents, 250);
  EXPECT_EQ(updated.currency, "EUR");
  EXPECT_EQ(updated.version, 4);
  EXPECT_EQ(updated.updated_at, "2026-01-01T00:00:00.000Z");
}

TEST(ProductsPatch, EmptyOrSkuOnlyPatchIs400) {
  EXPECT_THROW(parse_patch(json::object{}), errors::ProblemException);
  EXPECT_THROW(parse_patch(json::parse(R"({"sku":"SKU-1"})").as_object()),
               errors::ProblemException);
  EXPECT_THROW(parse_patch(json::parse(R"({"status":"active"})").as_object()),
               errors::ProblemException);
}

TEST(ProductsPatch, ValidatesLikeCreate) {
  auto fields = error_fields([] {
    parse_patch(json::parse(R"({"name":"","priceCents":-1,"currency":"eur","attributes":5,
      "category":null})")
                    .as_object());
  });
  EXPECT_EQ(fields, (Fields{"name", "priceCents", "currency", "category", "attributes"}));
}

TEST(ProductsPatch, Decisions) {
  auto current = stored();
  auto patch = parse_patch(json::parse(R"({"name":"New"})").as_object());
  EXPECT_EQ(decide_patch(current, patch, std::nullopt), WriteDecision::proceed);
  EXPECT_EQ(decide_patch(current, patch, "\"3\""), WriteDecision::proceed);
  EXPECT_EQ(decide_patch(current, patch, "*"), WriteDecision::proceed);
  EXPECT_EQ(decide_patch(current, patch, "\"2\""), WriteDecision::stale);
  patch.sku = "SKU-1";
  EXPECT_EQ(decide_patch(current, patch, std::nullopt), WriteDecision::proceed);
  patch.sku = "SKU-2";
  EXPECT_EQ(decide_patch(current, patch, std::nullopt), WriteDecision::sku_changed);
  current.status = "archived";
  EXPECT_EQ(decide_patch(current, patch, std::nullopt), WriteDecision::archived);
  EXPECT_EQ(decide_patch(current, patch, "\"1\""), WriteDecision::stale);
}

TEST(ProductsPatch, ArchiveDecisions) {
  auto current = stored();
  EXPECT_EQ(decide_archive(current, std::nullopt), ArchiveDecision::archive);
  EXPECT_EQ(decide_archive(current, "\"3\""), ArchiveDecision::archive);
  EXPECT_EQ(decide_archive(current, "\"9\""), ArchiveDecision::stale);
  current.status = "archived";
  // A retried DELETE stays 204 even with its now outdated If-Match.
  EXPECT_EQ(decide_archive(current, "\"3\""), ArchiveDecision::already_archived);
}

// ---------------------------------------------------------------------------------------------
// ETags

TEST(ProductsEtag, QuotedVersion) {
  EXPECT_EQ(etag(7), "\"7\"");
}

TEST(ProductsEtag, IfMatchIsStrong) {
  EXPECT_TRUE(if_match_satisfied("\"7\"", 7));
  EXPECT_TRUE(if_match_satisfied("*", 7));
  EXPECT_TRUE(if_match_satisfied("\"5\", \"7\"", 7));
  EXPECT_TRUE(if_match_satisfied(" \"1\" ,\"7\" ", 7));
  EXPECT_FALSE(if_match_satisfied("W/\"7\"", 7));
  EXPECT_FALSE(if_match_satisfied("\"6\"", 7));
  EXPECT_FALSE(if_match_satisfied("7", 7));
  EXPECT_FALSE(if_match_satisfied("", 7));
  EXPECT_FALSE(if_match_satisfied("\"70\"", 7));
}

TEST(ProductsEtag, IfNoneMatchIsWeak) {
  EXPECT_TRUE(if_none_match_matches("\"7\"", 7));
  EXPECT_TRUE(if_none_match_matches("W/\"7\"", 7));
  EXPECT_TRUE(if_none_match_matches("*", 7));
  EXPECT_TRUE(if_none_match_matches("\"1\", W/\"7\"", 7));
  EXPECT_FALSE(if_none_match_matches("\"6\"", 7));
  EXPECT_FALSE(if_none_match_matches("", 7));
}

// ---------------------------------------------------------------------------------------------
// Sorting, filters and cursors

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

TEST(ProductsFilter, ParsesAndValidates) {
  ListParams params;
  params.q = "50%_off\\";
  params.category = "apparel";
  params.min_price_cents = "100";
  params.max_price_cents = "200";
  params.sort = "-name";
  auto filter = parse_list_filter(params);
  EXPECT_EQ(filter.q, "%50\\%\\_off\\\\%");
  EXPECT_EQ(filter.category, "apparel");
  EXPECT_EQ(filter.min_price_cents, 100);
  EXPECT_EQ(filter.max_price_cents, 200);
  EXPECT_EQ(filter.sort, (Sort{SortKey::name, true}));

  auto none = parse_list_filter(ListParams{});
  EXPECT_FALSE(none.q);
  EXPECT_FALSE(none.category);
  EXPECT_EQ(none.sort, Sort{});
}

TEST(ProductsFilter, RejectsBadParameters) {
  ListParams params;
  params.min_price_cents = "abc";
  params.max_price_cents = "-1";
  params.sort = "price";
  EXPECT_EQ(error_fields([&] { parse_list_filter(params); }),
            (Fields{"minPriceCents", "maxPriceCents", "sort"}));
  ListParams reversed;
  reversed.min_price_cents = "500";
  reversed.max_price_cents = "100";
  EXPECT_EQ(error_fields([&] { parse_list_filter(reversed); }), Fields{"minPriceCents"});
  ListParams long_q;
  std::string q = repeat("q", 201);
  long_q.q = q;
  EXPECT_EQ(error_fields([&] { parse_list_filter(long_q); }), Fields{"q"});
  ListParams fractional;
  fractional.min_price_cents = "1.5";
  EXPECT_EQ(error_fields([&] { parse_list_filter(fractional); }), Fields{"minPriceCents"});
}

TEST(ProductsFilter, NameKeyFoldsAsciiCase) {
  EXPECT_EQ(name_key("Zebra Äpfel"), "zebra Äpfel");
  EXPECT_LT(name_key("apple"), name_key("Zebra"));
}

}  // namespace
}  // namespace ordo::services::products
