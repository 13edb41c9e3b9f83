// Reading the products service's requests: the bodies of POST and PATCH /products (every field
// error at once) and the filters of GET /products.
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "platform/http/problem.hpp"
#include "problem_test_support.hpp"
#include "services/products/requests.hpp"

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

using testing::problem_fields;

std::vector<std::string> new_product_errors(const json::object& body) {
  return problem_fields([&] { parse_new_product(body); });
}

using Fields = std::vector<std::string>;

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

TEST(ProductsPatch, ParsesPresentFieldsOnly) {
  auto patch = parse_patch(json::parse(R"({"name":"New","priceCents":250})").as_object());
  EXPECT_EQ(patch.name, "New");
  EXPECT_EQ(patch.price_cents, 250);
  EXPECT_FALSE(patch.description);
  EXPECT_FALSE(patch.currency);
}

TEST(ProductsPatch, EmptyOrSkuOnlyPatchIs400) {
  EXPECT_THROW(parse_patch(json::object{}), errors::ProblemException);
  EXPECT_THROW(parse_patch(json::parse(R"({"sku":"SKU-1"})").as_object()),
               errors::ProblemException);
  EXPECT_THROW(parse_patch(json::parse(R"({"status":"active"})").as_object()),
               errors::ProblemException);
}

TEST(ProductsPatch, ValidatesLikeCreate) {
  auto fields = problem_fields([] {
    parse_patch(json::parse(R"({"name":"","priceCents":-1,"currency":"eur","attributes":5,
      "category":null})")
                    .as_object());
  });
  EXPECT_EQ(fields, (Fields{"name", "priceCents", "currency", "category", "attributes"}));
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
  EXPECT_EQ(problem_fields([&] { parse_list_filter(params); }),
            (Fields{"minPriceCents", "maxPriceCents", "sort"}));
  ListParams reversed;
  reversed.min_price_cents = "500";
  reversed.max_price_cents = "100";
  EXPECT_EQ(problem_fields([&] { parse_list_filter(reversed); }), Fields{"minPriceCents"});
  ListParams long_q;
  std::string q = repeat("q", 201);
  long_q.q = q;
  EXPECT_EQ(problem_fields([&] { parse_list_filter(long_q); }), Fields{"q"});
  ListParams fractional;
  fractional.min_price_cents = "1.5";
  EXPECT_EQ(problem_fields([&] { parse_list_filter(fractional); }), Fields{"minPriceCents"});
}

}  // namespace
}  // namespace ordo::services::products
