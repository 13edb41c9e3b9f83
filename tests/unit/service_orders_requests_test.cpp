// Reading what reaches the orders service: the body of POST /orders (validation, line merging),
// the idempotency hash of what it asks, the Prefer header and a product from the products service.
#include <climits>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "platform/http/problem.hpp"
#include "problem_test_support.hpp"
#include "services/orders/requests.hpp"

namespace ordo::services::orders {
namespace {
namespace json = boost::json;

constexpr const char* kA = "0190a000-0000-7000-8000-00000000000a";
constexpr const char* kB = "0190a000-0000-7000-8000-00000000000b";
constexpr const char* kC = "0190a000-0000-7000-8000-00000000000c";

json::object body(std::string_view text) {
  return json::parse(text).as_object();
}

json::object items_body(const json::array& items) {
  return json::object{{"items", items}};
}

json::object line(std::string_view product, json::value quantity) {
  return json::object{{"productId", product}, {"quantity", quantity}};
}

// The field errors of the 400 problem fn throws, by field.
template <typename Fn>
std::map<std::string, std::string> field_errors(Fn fn) {
  std::map<std::string, std::string> fields;
  for (const auto& error : testing::problem_errors(fn))
    fields[error.field] = error.message;
  return fields;
}

TEST(OrdersRequest, AcceptsAValidOrder) {
  auto request = parse_place_order(body(
      R"({"items":[{"productId":"0190A000-0000-7000-8000-00000000000A","quantity":3}],"note":"hi"})"));
  ASSERT_EQ(request.lines.size(), 1u);
  EXPECT_EQ(request.lines[0].product_id, kA);  // lower-cased
  EXPECT_EQ(request.lines[0].quantity, 3);
  EXPECT_EQ(request.note, "hi");
}

TEST(OrdersRequest, MergesDuplicateProductLines) {
  json::array items{line(kA, 2), line(kB, 1), line(kA, 5)};
  auto request = parse_place_order(items_body(items));
  ASSERT_EQ(request.lines.size(), 2u);
  EXPECT_EQ(request.lines[0].product_id, kA);
  EXPECT_EQ(request.lines[0].quantity, 7);
  EXPECT_EQ(request.lines[0].first_index, 0u);
  EXPECT_EQ(request.lines[1].product_id, kB);
  EXPECT_EQ(request.lines[1].first_index, 1u);
}

TEST(OrdersRequest, MergedQuantityMustStayWithinTheLimit) {
  json::array ok{line(kA, 5000), line(kA, 5000)};
  EXPECT_EQ(parse_place_order(items_body(ok)).lines[0].quantity, 10000);
  json::array too_many{line(kA, 5000), line(kB, 1), line(kA, 5001)};
  auto errors = field_errors([&] { parse_place_order(items_body(too_many)); });
  EXPECT_TRUE(errors.contains("items[2].quantity"));
}

TEST(OrdersRequest, RequiresOneToOneHundredLines) {
  EXPECT_TRUE(field_errors([] { parse_place_order(body("{}")); }).contains("items"));
  EXPECT_TRUE(field_errors([] { parse_place_order(body(R"({"items":[]})")); }).contains("items"));
  EXPECT_TRUE(
      field_errors([] { parse_place_order(body(R"({"items":{"a":1}})")); }).contains("items"));
  json::array hundred;
  json::array hundred_and_one;
  for (int i = 0; i < 101; ++i) {
    char id[37];
    std::snprintf(id, sizeof id, "0190a000-0000-7000-8000-%012d", i);
    if (i < 100)
      hundred.push_back(line(id, 1));
    hundred_and_one.push_back(line(id, 1));
  }
  EXPECT_EQ(parse_place_order(items_body(hundred)).lines.size(), 100u);
  EXPECT_TRUE(
      field_errors([&] { parse_place_order(items_body(hundred_and_one)); }).contains("items"));
}

TEST(OrdersRequest, NamesEveryBadLineField) {
  json::array items{line(kA, 0),           line(kB, 10001),
                    line("not-a-uuid", 1), line(kC, 1.5),
                    line(kC, "2"),         json::object{{"quantity", 1}},
                    json::value(42),       json::object{{"productId", 7}, {"quantity", 1}}};
  auto errors = field_errors([&] { parse_place_order(items_body(items)); });
  EXPECT_TRUE(errors.contains("items[0].quantity"));
  EXPECT_TRUE(errors.contains("items[1].quantity"));
  EXPECT_TRUE(errors.contains("items[2].productId"));
  EXPECT_TRUE(errors.contains("items[3].quantity"));
  EXPECT_TRUE(errors.contains("items[4].quantity"));
  EXPECT_TRUE(errors.contains("items[5].productId"));
  EXPECT_TRUE(errors.contains("items[6]"));
  EXPECT_TRUE(errors.contains("items[7].productId"));
  EXPECT_EQ(errors.size(), 8u);
}

TEST(OrdersRequest, NoteIsAtMostFiveHundredCharacters) {
  json::array items{line(kA, 1)};
  auto with_note = [&](json::value note) {
    auto b = items_body(items);
    b["note"] = note;
    return b;
  };
  std::string accented;
  for (int i = 0; i < 500; ++i)
    accented += "é";  // 500 characters, 1000 bytes
  EXPECT_EQ(parse_place_order(with_note(json::value(accented))).note, accented);
  EXPECT_EQ(parse_place_order(with_note(nullptr)).note, std::nullopt);
  EXPECT_TRUE(field_errors([&] {
                parse_place_order(with_note(json::value(std::string(501, 'x'))));
              }).contains("note"));
  EXPECT_TRUE(field_errors([&] { parse_place_order(with_note(5)); }).contains("note"));
}

TEST(OrdersIdempotency, HashIgnoresLineOrderSplittingAndSpelling) {
  auto one = parse_place_order(items_body(json::array{line(kA, 3), line(kB, 1)}));
  auto reordered = parse_place_order(items_body(json::array{line(kB, 1), line(kA, 3)}));
  auto split = parse_place_order(items_body(json::array{line(kA, 1), line(kB, 1), line(kA, 2)}));
  auto upper = parse_place_order(body(
      R"({ "items" : [ {"quantity":3, "productId":"0190A000-0000-7000-8000-00000000000A"},
                       {"productId":"0190a000-0000-7000-8000-00000000000b","quantity":1} ] })"));
  EXPECT_EQ(request_hash(one), request_hash(reordered));
  EXPECT_EQ(request_hash(one), request_hash(split));
  EXPECT_EQ(request_hash(one), request_hash(upper));
  EXPECT_EQ(request_hash(one).size(), 64u);
}

TEST(OrdersIdempotency, HashChangesWithQuantityProductOrNote) {
  auto base = parse_place_order(items_body(json::array{line(kA, 3)}));
  auto more = parse_place_order(items_body(json::array{line(kA, 4)}));
  auto other = parse_place_order(items_body(json::array{line(kB, 3)}));
  auto noted_body = items_body(json::array{line(kA, 3)});
  noted_body["note"] = "gift";
  auto noted = parse_place_order(noted_body);
  auto empty_note_body = items_body(json::array{line(kA, 3)});
  empty_note_body["note"] = "";
  auto empty_note = parse_place_order(empty_note_body);
  EXPECT_NE(request_hash(base), request_hash(more));
  EXPECT_NE(request_hash(base), request_hash(other));
  EXPECT_NE(request_hash(base), request_hash(noted));
  EXPECT_NE(request_hash(base), request_hash(empty_note));
}

TEST(OrdersPrefer, ParsesWaitAmongOtherPreferences) {
  EXPECT_EQ(parse_prefer_wait("wait=5"), 5);
  EXPECT_EQ(parse_prefer_wait("respond-async, wait=10"), 10);
  EXPECT_EQ(parse_prefer_wait("  WAIT = 3 ;foo=bar"), 3);
  EXPECT_EQ(parse_prefer_wait("wait=\"7\""), 7);
  EXPECT_EQ(parse_prefer_wait("wait=0"), 0);
  EXPECT_EQ(parse_prefer_wait("wait=2, wait=9"), 2);
}

TEST(OrdersPrefer, ClampsLargeAndIgnoresMalformed) {
  EXPECT_EQ(parse_prefer_wait("wait=31"), 30);
  EXPECT_EQ(parse_prefer_wait("wait=99999999999999999999"), 30);
  EXPECT_EQ(parse_prefer_wait("wait=-1"), std::nullopt);
  EXPECT_EQ(parse_prefer_wait("wait=abc"), std::nullopt);
  EXPECT_EQ(parse_prefer_wait("wait="), std::nullopt);
  EXPECT_EQ(parse_prefer_wait("wait"), std::nullopt);
  EXPECT_EQ(parse_prefer_wait("respond-async"), std::nullopt);
  EXPECT_EQ(parse_prefer_wait("waiting=5"), std::nullopt);
  EXPECT_EQ(parse_prefer_wait(""), std::nullopt);
}

TEST(OrdersCatalog, ReadsAProductFromTheProductsService) {
  auto entry = catalog_entry_from_product_json(json::parse(
      R"({"id":"0190A000-0000-7000-8000-00000000000A","sku":"MUG-1","name":"Mug",
          "priceCents":1250,"currency":"EUR","category":"kitchen","active":true,"version":3})"));
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->product_id, kA);
  EXPECT_EQ(entry->price_cents, 1250);
  EXPECT_EQ(entry->category, "kitchen");
  EXPECT_TRUE(entry->active);
  EXPECT_EQ(entry->version, 3);

  auto archived = catalog_entry_from_product_json(json::parse(
      R"({"id":"0190a000-0000-7000-8000-00000000000a","sku":"MUG-1","name":"Mug",
          "priceCents":1250,"currency":"EUR","archivedAt":"2026-01-01T00:00:00Z"})"));
  ASSERT_TRUE(archived);
  EXPECT_FALSE(archived->active);
  EXPECT_EQ(archived->version, 0);

  EXPECT_FALSE(catalog_entry_from_product_json(json::parse(R"({"id":"x","sku":"a"})")));
  EXPECT_FALSE(catalog_entry_from_product_json(json::parse("[1,2]")));
}

}  // namespace
}  // namespace ordo::services::orders
