// The products API through the gateway: create, read with ETags, conditional writes, archive,
// authorization, list filters, sort orders, keyset paging under inserts, and bad input.
#include <functional>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

class Products : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ordo_.start());
    admin_ = admin_session(ordo_, runner_);

    user_ = std::make_unique<Session>(runner_, ordo_.gateway_origin());
    auto user_email = unique_email("shopper");
    user_->run(user_->api().register_user(user_email, "shopper password 1", "Shopper"));
    user_->run(user_->api().login(user_email, "shopper password 1"));
    anonymous_ = std::make_unique<Session>(runner_, ordo_.gateway_origin());
  }

  static json::object product_body(const std::string& sku, const std::string& name,
                                   std::int64_t price, const std::string& category = "general") {
    return json::object{{"sku", sku},
                        {"name", name},
                        {"description", "About " + name},
                        {"priceCents", price},
                        {"currency", "EUR"},
                        {"category", category},
                        {"attributes", json::object{{"colour", "red"}}},
                        {"initialStock", 5}};
  }

  // Creates a product as admin; returns its JSON.
  json::object create(const json::object& body) {
    auto response = admin_->request("POST", "/products", json::serialize(body));
    EXPECT_EQ(response.status, 201) << response.body;
    return Session::json(response).as_object();
  }

  static std::string id_of(const json::object& product) {
    return std::string(product.at("id").as_string());
  }

  // Every item of every page of target (which must already carry its '?' query).
  std::vector<std::string> walk(const std::string& target,
                                const std::function<void()>& between = {}) {
    std::vector<std::string> ids;
    std::optional<std::string> cursor;
    for (int pages = 0; pages < 100; ++pages) {
      auto page_target = target + (cursor ? "&cursor=" + *cursor : "");
      auto response = anonymous_->request("GET", page_target);
      EXPECT_EQ(response.status, 200) << page_target << ": " << response.body;
      if (response.status != 200)
        break;
      auto body = Session::json(response);
      for (const auto& item : body.at("items").as_array())
        ids.push_back(std::string(item.at("id").as_string()));
      if (body.at("nextCursor").is_null())
        return ids;
      cursor = std::string(body.at("nextCursor").as_string());
      if (between)
        between();
    }
    ADD_FAILURE() << "paging did not end";
    return ids;
  }

  static std::set<std::string> error_fields(const http::Response& response) {
    std::set<std::string> fields;
    auto body = Session::json(response);
    if (body.is_object() && body.as_object().contains("errors")) {
      for (const auto& error : body.at("errors").as_array())
        fields.insert(std::string(error.at("field").as_string()));
    }
    return fields;
  }

  // Bodies larger than attributes need, small enough to test 413 cheaply; the paging walk sends
  // more requests from one address than the default rate limit allows.
  OrdoProcess ordo_{{{"http.max_body_bytes", "65536"},
                     {"rate_limit.client_per_s", "10000"},
                     {"rate_limit.client_burst", "10000"},
                     {"rate_limit.user_per_s", "10000"},
                     {"rate_limit.user_burst", "10000"}}};
  Runner runner_;
  std::unique_ptr<Session> admin_;
  std::unique_ptr<Session> user_;
  std::unique_ptr<Session> anonymous_;
};

TEST_F(Products, CreateThenGetWithEtagAnd304) {
  auto response =
      admin_->request("POST", "/products", json::serialize(product_body("MUG-1", "Mug", 1250)));
  ASSERT_EQ(response.status, 201) << response.body;
  auto created = Session::json(response).as_object();
  auto id = id_of(created);
  EXPECT_EQ(response.headers.get_or("Location", ""), "/products/" + id);
  EXPECT_EQ(response.headers.get_or("ETag", ""), "\"1\"");
  EXPECT_EQ(created.at("sku").as_string(), "MUG-1");
  EXPECT_EQ(created.at("name").as_string(), "Mug");
  EXPECT_EQ(created.at("description").as_string(), "About Mug");
  EXPECT_EQ(created.at("priceCents").as_int64(), 1250);
  EXPECT_EQ(created.at("currency").as_string(), "EUR");
  EXPECT_EQ(created.at("category").as_string(), "general");
  EXPECT_EQ(created.at("attributes").at("colour").as_string(), "red");
  EXPECT_EQ(created.at("status").as_string(), "active");
  EXPECT_EQ(created.at("version").as_int64(), 1);
  EXPECT_FALSE(created.at("createdAt").as_string().empty());
  EXPECT_EQ(created.at("updatedAt"), created.at("createdAt"));
  EXPECT_FALSE(created.contains("initialStock"));

  auto got = anonymous_->request("GET", "/products/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Session::json(got), json::value(created));
  EXPECT_EQ(got.headers.get_or("ETag", ""), "\"1\"");

  auto cached = anonymous_->request("GET", "/products/" + id, {}, {{"If-None-Match", "\"1\""}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
  EXPECT_EQ(cached.headers.get_or("ETag", ""), "\"1\"");
  auto outdated = anonymous_->request("GET", "/products/" + id, {}, {{"If-None-Match", "\"0\""}});
  EXPECT_EQ(outdated.status, 200);

  expect_problem(anonymous_->request("GET", "/products/0190a0a0-0000-7000-8000-000000000001"), 404,
                 "unknown id");
  expect_problem(anonymous_->request("GET", "/products/not-a-uuid"), 404, "not a uuid");
}

TEST_F(Products, PatchHonoursIfMatch) {
  auto id = id_of(create(product_body("LAMP-1", "Lamp", 4000)));
  auto fresh = admin_->request("PATCH", "/products/" + id, R"({"priceCents":3500})",
                               {{"If-Match", "\"1\""}});
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(fresh.headers.get_or("ETag", ""), "\"2\"");
  auto patched = Session::json(fresh);
  EXPECT_EQ(patched.at("priceCents").as_int64(), 3500);
  EXPECT_EQ(patched.at("name").as_string(), "Lamp");
  EXPECT_EQ(patched.at("version").as_int64(), 2);

  auto stale = admin_->request("PATCH", "/products/" + id, R"({"name":"Old lamp"})",
                               {{"If-Match", "\"1\""}});
  expect_problem(stale, 412, "stale If-Match");
  EXPECT_EQ(Session::json(anonymous_->request("GET", "/products/" + id)).at("name").as_string(),
            "Lamp");

  auto any =
      admin_->request("PATCH", "/products/" + id, R"({"name":"Desk lamp"})", {{"If-Match", "*"}});
  EXPECT_EQ(any.status, 200) << any.body;
  // Without If-Match the change would overwrite whatever version it finds: 428, nothing changes.
  const std::string change =
      R"({"sku":"LAMP-1","description":"","category":"lighting","attributes":{"watts":40}})";
  expect_problem(admin_->request("PATCH", "/products/" + id, change), 428, "no If-Match");
  auto conditional = admin_->request("PATCH", "/products/" + id, change, {{"If-Match", "\"3\""}});
  ASSERT_EQ(conditional.status, 200) << conditional.body;
  auto latest = Session::json(conditional);
  EXPECT_EQ(latest.at("version").as_int64(), 4);
  EXPECT_EQ(latest.at("name").as_string(), "Desk lamp");
  EXPECT_EQ(latest.at("category").as_string(), "lighting");
  EXPECT_EQ(latest.at("attributes").at("watts").as_int64(), 40);

  auto sku = admin_->request("PATCH", "/products/" + id, R"({"sku":"LAMP-2","name":"x"})",
                             {{"If-Match", "*"}});
  expect_problem(sku, 400, "sku change");
  EXPECT_EQ(error_fields(sku), std::set<std::string>{"sku"});
  expect_problem(admin_->request("PATCH", "/products/" + id, "{}"), 400, "empty patch");
  expect_problem(admin_->request("PATCH", "/products/0190a0a0-0000-7000-8000-000000000001",
                                 R"({"name":"x"})", {{"If-Match", "*"}}),
                 404, "unknown product");
}

TEST_F(Products, DuplicateSkuIs409) {
  create(product_body("DUP-1", "First", 100));
  expect_problem(
      admin_->request("POST", "/products", json::serialize(product_body("DUP-1", "Second", 200))),
      409, "duplicate sku");
}

TEST_F(Products, WritesNeedAnAdminButAnyoneBrowses) {
  auto id = id_of(create(product_body("AUTH-1", "Guarded", 100)));
  auto body = json::serialize(product_body("AUTH-2", "Sneaky", 1));
  expect_problem(user_->request("POST", "/products", body), 403, "user create");
  expect_problem(user_->request("PATCH", "/products/" + id, R"({"name":"x"})"), 403, "user patch");
  expect_problem(user_->request("DELETE", "/products/" + id), 403, "user delete");
  expect_problem(anonymous_->request("POST", "/products", body), 401, "anonymous create");
  expect_problem(anonymous_->request("PATCH", "/products/" + id, R"({"name":"x"})"), 401,
                 "anonymous patch");
  expect_problem(anonymous_->request("DELETE", "/products/" + id), 401, "anonymous delete");

  EXPECT_EQ(anonymous_->request("GET", "/products/" + id).status, 200);
  auto list = anonymous_->request("GET", "/products");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(Session::json(list).at("items").as_array().size(), 1u);
  EXPECT_EQ(user_->request("GET", "/products").status, 200);
}

TEST_F(Products, DeleteArchives) {
  auto kept = id_of(create(product_body("KEEP-1", "Kept", 100)));
  auto gone = id_of(create(product_body("GONE-1", "Gone", 100)));
  expect_problem(admin_->request("DELETE", "/products/" + gone, {}, {{"If-Match", "\"7\""}}), 412,
                 "stale delete");
  auto deleted = admin_->request("DELETE", "/products/" + gone, {}, {{"If-Match", "\"1\""}});
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_TRUE(deleted.body.empty());

  auto got = anonymous_->request("GET", "/products/" + gone);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Session::json(got).at("status").as_string(), "archived");
  EXPECT_EQ(Session::json(got).at("version").as_int64(), 2);
  EXPECT_EQ(walk("/products?limit=10"), std::vector<std::string>{kept});

  // Idempotent: the retry of a DELETE whose answer was lost, even with its old If-Match.
  EXPECT_EQ(admin_->request("DELETE", "/products/" + gone, {}, {{"If-Match", "\"1\""}}).status,
            204);
  EXPECT_EQ(Session::json(anonymous_->request("GET", "/products/" + gone)).at("version").as_int64(),
            2);
  expect_problem(
      admin_->request("PATCH", "/products/" + gone, R"({"name":"Back"})", {{"If-Match", "*"}}), 409,
      "patch archived");
  expect_problem(admin_->request("DELETE", "/products/0190a0a0-0000-7000-8000-000000000001", {},
                                 {{"If-Match", "*"}}),
                 404, "delete unknown");
  expect_problem(admin_->request("DELETE", "/products/" + kept), 428, "delete without If-Match");
}

TEST_F(Products, ListFiltersAndSorts) {
  std::map<std::string, std::string> ids;  // name → id
  auto add = [&](const std::string& sku, const std::string& name, std::int64_t price,
                 const std::string& category, const std::string& description) {
    auto body = product_body(sku, name, price, category);
    body["description"] = description;
    ids[name] = id_of(create(body));
  };
  add("F-1", "Red Apple", 300, "fruit", "Crisp");
  add("F-2", "banana", 100, "fruit", "Yellow, 100% natural");
  add("F-3", "Cherry", 500, "fruit", "Sweet APPLE-like taste");
  add("T-1", "Apple peeler", 1500, "tools", "Steel_blade");
  add("T-2", "zester", 900, "tools", "Fine");

  auto names = [&](const std::string& target) {
    std::vector<std::string> out;
    auto response = anonymous_->request("GET", target);
    EXPECT_EQ(response.status, 200) << target << ": " << response.body;
    auto body = Session::json(response);  // named: a range-for over a temporary's member dangles
    for (const auto& item : body.at("items").as_array())
      out.push_back(std::string(item.at("name").as_string()));
    return out;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names("/products?q=apple"), (Names{"Red Apple", "Cherry", "Apple peeler"}));
  EXPECT_EQ(names("/products?q=APPLE&category=fruit"), (Names{"Red Apple", "Cherry"}));
  EXPECT_EQ(names("/products?q=100%25"), (Names{"banana"}));
  EXPECT_EQ(names("/products?q=%25"), (Names{"banana"}));      // a literal %, not a wildcard
  EXPECT_EQ(names("/products?q=_"), (Names{"Apple peeler"}));  // a literal _
  EXPECT_EQ(names("/products?q=nothing"), Names{});
  EXPECT_EQ(names("/products?category=tools"), (Names{"Apple peeler", "zester"}));
  EXPECT_EQ(names("/products?category=Tools"), Names{});
  EXPECT_EQ(names("/products?minPriceCents=300&maxPriceCents=900"),
            (Names{"Red Apple", "Cherry", "zester"}));
  EXPECT_EQ(names("/products?minPriceCents=1000"), (Names{"Apple peeler"}));
  EXPECT_EQ(names("/products?sort=priceCents"),
            (Names{"banana", "Red Apple", "Cherry", "zester", "Apple peeler"}));
  EXPECT_EQ(names("/products?sort=-priceCents&maxPriceCents=500"),
            (Names{"Cherry", "Red Apple", "banana"}));
  EXPECT_EQ(names("/products?sort=name"),
            (Names{"Apple peeler", "banana", "Cherry", "Red Apple", "zester"}));
  EXPECT_EQ(names("/products?sort=-name"),
            (Names{"zester", "Red Apple", "Cherry", "banana", "Apple peeler"}));
  EXPECT_EQ(names("/products?sort=-createdAt"),
            (Names{"zester", "Apple peeler", "Cherry", "banana", "Red Apple"}));

  expect_problem(anonymous_->request("GET", "/products?sort=price"), 400, "bad sort");
  expect_problem(anonymous_->request("GET", "/products?minPriceCents=abc"), 400, "bad min");
  expect_problem(anonymous_->request("GET", "/products?maxPriceCents=-5"), 400, "bad max");
  auto reversed = anonymous_->request("GET", "/products?minPriceCents=10&maxPriceCents=5");
  expect_problem(reversed, 400, "min > max");
  EXPECT_EQ(error_fields(reversed), std::set<std::string>{"minPriceCents"});
  expect_problem(anonymous_->request("GET", "/products?limit=0"), 400, "limit 0");
  expect_problem(anonymous_->request("GET", "/products?cursor=garbage"), 400, "bad cursor");
  auto first = Session::json(anonymous_->request("GET", "/products?limit=1&sort=name"));
  auto cursor = std::string(first.at("nextCursor").as_string());
  expect_problem(anonymous_->request("GET", "/products?limit=1&sort=priceCents&cursor=" + cursor),
                 400, "cursor of another sort");
}

TEST_F(Products, PagesStayCorrectWhileProductsAreInserted) {
  // Prices spread out so that inserts land before, between and after the pages being walked.
  std::vector<std::int64_t> prices{500, 100, 900, 300, 700, 200, 800};
  std::set<std::string> initial;
  int next_sku = 0;
  auto make = [&](std::int64_t price) {
    auto n = std::to_string(next_sku++);
    return id_of(create(product_body("PAGE-" + n, "Product " + n, price)));
  };
  for (auto price : prices)
    initial.insert(make(price));

  for (std::string sort :
       {"createdAt", "-createdAt", "priceCents", "-priceCents", "name", "-name"}) {
    std::set<std::string> existing;
    auto all = Session::json(anonymous_->request("GET", "/products?limit=100"));
    for (const auto& item : all.at("items").as_array())
      existing.insert(std::string(item.at("id").as_string()));
    std::int64_t insert_price = 50;
    auto seen = walk("/products?limit=2&sort=" + sort, [&] {
      make(insert_price);  // cheaper, then dearer than everything walked so far
      insert_price = insert_price == 50 ? 5000 : 50;
    });
    std::map<std::string, int> counts;
    for (const auto& id : seen)
      ++counts[id];
    for (const auto& [id, count] : counts)
      EXPECT_EQ(count, 1) << "sort " << sort << ": product " << id << " seen twice";
    for (const auto& id : existing)
      EXPECT_TRUE(counts.contains(id)) << "sort " << sort << ": product " << id << " missed";
  }
  EXPECT_GE(initial.size(), 7u);
}

TEST_F(Products, BadInputIsTheRight4xx) {
  auto id = id_of(create(product_body("BAD-1", "Target", 100)));
  struct Endpoint {
    std::string method;
    std::string path;
  };
  std::vector<Endpoint> endpoints{{"POST", "/products"}, {"PATCH", "/products/" + id}};
  for (const auto& endpoint : endpoints) {
    auto what = endpoint.method + " " + endpoint.path;
    for (std::string body : {"{", "not json", "{\"name\":}", "[1,2]", "\"text\"", ""}) {
      expect_problem(admin_->request(endpoint.method, endpoint.path, body), 400,
                     what + " with " + body);
    }
    auto wrong = admin_->request(
        endpoint.method, endpoint.path,
        R"({"sku":5,"name":[],"priceCents":"12","currency":7,"category":{},"attributes":[1],"initialStock":1.5,"description":false})");
    expect_problem(wrong, 400, what + " wrong types");
    auto fields = error_fields(wrong);
    for (const char* field :
         {"name", "priceCents", "currency", "category", "attributes", "description"})
      EXPECT_TRUE(fields.contains(field)) << what << " " << field << ": " << wrong.body;

    std::string big = R"({"name":")" + std::string(70 * 1024, 'n') + R"("})";
    expect_problem(admin_->request(endpoint.method, endpoint.path, big), 413, what + " oversized");
    expect_problem(
        admin_->request(endpoint.method, endpoint.path, R"({"name":"x"})", {}, "text/plain"), 415,
        what + " text/plain");
    expect_problem(
        admin_->request(endpoint.method, endpoint.path, R"({"name":"x"})", {}, std::nullopt), 415,
        what + " without content type");
  }
  auto missing = admin_->request("POST", "/products", "{}");
  expect_problem(missing, 400, "missing fields");
  EXPECT_EQ(error_fields(missing),
            (std::set<std::string>{"sku", "name", "priceCents", "currency"}));
  auto invalid = admin_->request(
      "POST", "/products",
      R"({"sku":"no spaces","name":"ok","priceCents":-1,"currency":"EURO","attributes":{"a":{"b":{"c":{"d":{"e":{}}}}}}})");
  expect_problem(invalid, 400, "invalid values");
  EXPECT_EQ(error_fields(invalid),
            (std::set<std::string>{"sku", "priceCents", "currency", "attributes"}));
  auto big_attributes =
      json::serialize(json::object{{"sku", "BIG-1"},
                                   {"name", "n"},
                                   {"priceCents", 1},
                                   {"currency", "USD"},
                                   {"attributes", json::object{{"blob", std::string(9000, 'x')}}}});
  auto too_big = admin_->request("POST", "/products", big_attributes);
  expect_problem(too_big, 400, "attributes too big");
  EXPECT_EQ(error_fields(too_big), std::set<std::string>{"attributes"});
}

}  // namespace
}  // namespace ordo::e2e
