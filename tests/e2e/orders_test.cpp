// The orders API through the gateway, for everything that needs no stock: authentication, bad
// input, pricing from the catalog, idempotency keys, Prefer: wait, visibility and cancel. A fake
// products service (in this process) answers the order service's catalog look-ups, so that the
// tests do not depend on product events or on inventory.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.hpp"
#include "platform/http/router.hpp"
#include "platform/http/server.hpp"

namespace ordo::e2e {
namespace {
namespace json = boost::json;

constexpr const char* kMug = "0190a000-0000-7000-8000-0000000000a1";       // EUR 12.50
constexpr const char* kPlate = "0190a000-0000-7000-8000-0000000000a2";     // EUR 3.00
constexpr const char* kArchived = "0190a000-0000-7000-8000-0000000000a3";  // archived
constexpr const char* kDollar = "0190a000-0000-7000-8000-0000000000a4";    // USD
constexpr const char* kBroken = "0190a000-0000-7000-8000-0000000000a5";    // answers 500
constexpr const char* kUnknown = "0190a000-0000-7000-8000-0000000000ff";   // 404

// GET /products/{id} as the products service answers it, for a fixed set of products.
class FakeProducts {
 public:
  explicit FakeProducts(Runner& runner) : runner_(runner) {
    add(kMug, "MUG-1", "Mug", 1250, "EUR", true);
    add(kPlate, "PLATE-1", "Plate", 300, "EUR", true);
    add(kArchived, "OLD-1", "Old", 100, "EUR", false);
    add(kDollar, "USD-1", "Import", 100, "USD", true);
    router_.get("/products/{id}", [this](http::Request& request) { return answer(request); });
    server_ = std::make_unique<http::Server>(runner.io().get_executor(), "fake-products",
                                             http::ServerLimits{}, router_.handler({}));
    port_ = server_->listen("127.0.0.1", 0);
  }
  ~FakeProducts() { runner_.run(server_->shutdown(std::chrono::seconds(1))); }

  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void add(const char* id, const char* sku, const char* name, std::int64_t price,
           const char* currency, bool active) {
    products_[id] = json::object{{"id", id},
                                 {"sku", sku},
                                 {"name", name},
                                 {"priceCents", price},
                                 {"currency", currency},
                                 {"category", "home"},
                                 {"active", active},
                                 {"version", 1}};
  }

  boost::asio::awaitable<http::Response> answer(http::Request& request) {
    std::string id(request.path_param("id"));
    if (id == kBroken)
      co_return http::Response::json(500, json::object{{"title", "boom"}});
    auto found = products_.find(id);
    if (found == products_.end())
      co_return http::Response::json(404, json::object{{"title", "no such product"}});
    co_return http::Response::json(200, found->second);
  }

  Runner& runner_;
  std::map<std::string, json::object> products_;  // fixed before the server starts
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
};

std::string order_body(std::vector<std::pair<std::string, json::value>> lines) {
  json::array items;
  for (auto& [product, quantity] : lines)
    items.push_back(json::object{{"productId", product}, {"quantity", quantity}});
  return json::serialize(json::object{{"items", std::move(items)}});
}

class Orders : public ::testing::Test {
 protected:
  void SetUp() override {
    ordo_ = std::make_unique<OrdoProcess>(
        Settings{{"products.upstreams", products_.origin()}, {"http.max_body_bytes", "8192"}});
    ASSERT_NO_FATAL_FAILURE(ordo_->start());
    ann_ = new_user("ann");
    bob_ = new_user("bob");
  }

  std::unique_ptr<Session> new_user(const std::string& tag) {
    auto session = std::make_unique<Session>(runner_, ordo_->gateway_origin());
    auto email = unique_email(tag);
    session->run(session->api().register_user(email, "correct horse battery", tag));
    session->run(session->api().login(email, "correct horse battery"));
    return session;
  }

  std::unique_ptr<Session> admin() { return admin_session(*ordo_, runner_); }

  // The fields the 400 problem names.
  static std::set<std::string> fields(const http::Response& response) {
    std::set<std::string> names;
    auto body = Session::json(response);
    if (const auto* errors = body.is_object() ? body.as_object().if_contains("errors") : nullptr) {
      for (const auto& error : errors->as_array())
        names.insert(std::string(error.at("field").as_string()));
    }
    return names;
  }

  static std::string message(const http::Response& response, const std::string& field) {
    auto body = Session::json(response);
    const auto* errors = body.is_object() ? body.as_object().if_contains("errors") : nullptr;
    if (errors == nullptr || !errors->is_array())
      return {};
    for (const auto& error : errors->as_array()) {
      if (error.at("field").as_string() == field)
        return std::string(error.at("message").as_string());
    }
    return {};
  }

  void expect_invalid(Session& session, const std::string& body, const std::string& field) {
    auto response = session.request("POST", "/orders", body);
    expect_problem(response, 400, body.substr(0, 120));
    EXPECT_TRUE(fields(response).contains(field)) << body.substr(0, 120) << " -> " << response.body;
  }

  json::object place(Session& session, const std::string& body,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto response = session.request("POST", "/orders", body, std::move(headers));
    EXPECT_EQ(response.status, 202) << response.body;
    auto parsed = Session::json(response);
    return parsed.is_object() ? parsed.as_object() : json::object{};
  }

  Runner runner_;
  FakeProducts products_{runner_};
  std::unique_ptr<OrdoProcess> ordo_;
  std::unique_ptr<Session> ann_;
  std::unique_ptr<Session> bob_;
};

TEST_F(Orders, EveryEndpointNeedsAToken) {
  Session anonymous(runner_, ordo_->gateway_origin());
  auto id = std::string(kUnknown);
  expect_problem(anonymous.request("POST", "/orders", order_body({{kMug, 1}})), 401, "place");
  expect_problem(anonymous.request("GET", "/orders"), 401, "list");
  expect_problem(anonymous.request("GET", "/orders/" + id), 401, "get");
  expect_problem(anonymous.request("POST", "/orders/" + id + "/cancel"), 401, "cancel");
}

TEST_F(Orders, MalformedBodiesAre400And415And413) {
  for (std::string body : {"{", "not json", "[1,2]", "\"text\"", ""}) {
    expect_problem(ann_->request("POST", "/orders", body), 400, "body " + body);
  }
  expect_problem(ann_->request("POST", "/orders", order_body({{kMug, 1}}), {}, "text/plain"), 415,
                 "text/plain");
  expect_problem(ann_->request("POST", "/orders", order_body({{kMug, 1}}), {}, std::nullopt), 415,
                 "no content type");
  std::string big = R"({"items":[],"note":")" + std::string(10000, 'n') + "\"}";
  expect_problem(ann_->request("POST", "/orders", big), 413, "oversized");
}

TEST_F(Orders, InvalidLinesNameTheField) {
  expect_invalid(*ann_, "{}", "items");
  expect_invalid(*ann_, R"({"items":"mug"})", "items");
  expect_invalid(*ann_, R"({"items":[]})", "items");
  std::vector<std::pair<std::string, json::value>> many;
  for (int i = 0; i < 101; ++i)
    many.emplace_back(kMug, 1);
  expect_invalid(*ann_, order_body(many), "items");
  expect_invalid(*ann_, order_body({{kMug, 0}}), "items[0].quantity");
  expect_invalid(*ann_, order_body({{kMug, 1}, {kPlate, 10001}}), "items[1].quantity");
  expect_invalid(*ann_, order_body({{kMug, 1.5}}), "items[0].quantity");
  expect_invalid(*ann_, order_body({{kMug, "2"}}), "items[0].quantity");
  expect_invalid(*ann_, order_body({{"mug", 1}}), "items[0].productId");
  expect_invalid(*ann_, R"({"items":[{"quantity":1}]})", "items[0].productId");
  expect_invalid(*ann_, R"({"items":[{"productId":7,"quantity":1}]})", "items[0].productId");
  // Duplicate lines are merged; together they must stay within 10000.
  expect_invalid(*ann_, order_body({{kMug, 6000}, {kMug, 5000}}), "items[1].quantity");
  expect_invalid(*ann_,
                 R"({"items":[{"productId":")" + std::string(kMug) +
                     R"(","quantity":1}],"note":")" + std::string(501, 'n') + "\"}",
                 "note");
  auto bad_key = ann_->request("POST", "/orders", order_body({{kMug, 1}}),
                               {{"Idempotency-Key", std::string(201, 'k')}});
  expect_problem(bad_key, 400, "long idempotency key");
}

TEST_F(Orders, ProductsMustExistBeActiveAndShareACurrency) {
  auto unknown = ann_->request("POST", "/orders", order_body({{kMug, 1}, {kUnknown, 1}}));
  expect_problem(unknown, 400, "unknown product");
  EXPECT_EQ(message(unknown, "items[1].productId"), "unknown product");
  auto archived = ann_->request("POST", "/orders", order_body({{kArchived, 1}}));
  expect_problem(archived, 400, "archived product");
  EXPECT_EQ(message(archived, "items[0].productId"), "product is archived");
  auto mixed = ann_->request("POST", "/orders", order_body({{kMug, 1}, {kDollar, 1}}));
  expect_problem(mixed, 400, "two currencies");
  EXPECT_TRUE(fields(mixed).contains("items[1].productId"));
  // The catalog cannot be asked: not the client's fault.
  expect_problem(ann_->request("POST", "/orders", order_body({{kBroken, 1}})), 503,
                 "catalog failing");
}

TEST_F(Orders, PlacedOrderIsPricedFromTheCatalogWithMergedLines) {
  auto response = ann_->request("POST", "/orders",
                                R"({"items":[{"productId":")" + std::string(kMug) +
                                    R"(","quantity":2},{"productId":")" + kPlate +
                                    R"(","quantity":1},{"productId":")" + kMug +
                                    R"(","quantity":1,"priceCents":1}],"note":"gift"})");
  ASSERT_EQ(response.status, 202) << response.body;
  auto order = Session::json(response).as_object();
  auto id = std::string(order.at("id").as_string());
  EXPECT_EQ(response.headers.get_or("Location", ""), "/orders/" + id);
  EXPECT_EQ(order.at("status").as_string(), "pending");
  EXPECT_EQ(order.at("currency").as_string(), "EUR");
  EXPECT_EQ(order.at("note").as_string(), "gift");
  EXPECT_EQ(order.at("totalCents").as_int64(), 3 * 1250 + 300);  // the client's price is ignored
  auto items = order.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("productId").as_string(), kMug);
  EXPECT_EQ(items[0].at("quantity").as_int64(), 3);
  EXPECT_EQ(items[0].at("sku").as_string(), "MUG-1");
  EXPECT_EQ(items[0].at("unitPriceCents").as_int64(), 1250);
  EXPECT_EQ(items[0].at("lineTotalCents").as_int64(), 3750);
  ASSERT_FALSE(order.at("history").as_array().empty());
  EXPECT_EQ(order.at("history").as_array()[0].at("status").as_string(), "pending");

  auto got = ann_->request("GET", "/orders/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Session::json(got).at("id").as_string(), id);
}

TEST_F(Orders, OwnersAndAdminsSeeAnOrderOthersGet404) {
  auto order = place(*ann_, order_body({{kMug, 1}}));
  auto id = std::string(order.at("id").as_string());
  expect_problem(bob_->request("GET", "/orders/" + id), 404, "someone else's order");
  expect_problem(bob_->request("POST", "/orders/" + id + "/cancel"), 404, "cancel someone else's");
  expect_problem(ann_->request("GET", "/orders/" + std::string(kUnknown)), 404, "unknown order");
  expect_problem(ann_->request("GET", "/orders/not-a-uuid"), 404, "not a uuid");
  expect_problem(ann_->request("POST", "/orders/" + std::string(kUnknown) + "/cancel"), 404,
                 "cancel unknown");

  auto bobs = bob_->request("GET", "/orders");
  ASSERT_EQ(bobs.status, 200) << bobs.body;
  EXPECT_TRUE(Session::json(bobs).at("items").as_array().empty());
  auto anns = ann_->request("GET", "/orders?userId=" + std::string(kUnknown));  // ignored
  ASSERT_EQ(anns.status, 200) << anns.body;
  ASSERT_EQ(Session::json(anns).at("items").as_array().size(), 1u);
  expect_problem(ann_->request("GET", "/orders?status=shipped"), 400, "bad status filter");

  auto root = admin();
  ASSERT_EQ(root->request("GET", "/orders/" + id).status, 200);
  auto all = root->request("GET", "/orders?limit=100");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(Session::json(all).at("items").as_array().size(), 1u);
  expect_problem(root->request("GET", "/orders?userId=nobody"), 400, "bad userId filter");
}

TEST_F(Orders, ListPagesNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(std::string(place(*ann_, order_body({{kPlate, i + 1}})).at("id").as_string()));
  auto first = Session::json(ann_->request("GET", "/orders?limit=2"));
  ASSERT_EQ(first.at("items").as_array().size(), 2u);
  EXPECT_EQ(first.at("items").as_array()[0].at("id").as_string(), ids[2]);
  auto cursor = std::string(first.at("nextCursor").as_string());
  auto second = Session::json(ann_->request("GET", "/orders?limit=2&cursor=" + cursor));
  ASSERT_EQ(second.at("items").as_array().size(), 1u);
  EXPECT_EQ(second.at("items").as_array()[0].at("id").as_string(), ids[0]);
  EXPECT_TRUE(second.at("nextCursor").is_null());
  expect_problem(ann_->request("GET", "/orders?cursor=garbage"), 400, "bad cursor");
}

TEST_F(Orders, IdempotencyKeyReplaysTheSameOrderAndRefusesAnotherBody) {
  std::vector<std::pair<std::string, std::string>> key{{"Idempotency-Key", "checkout-42"}};
  auto first = ann_->request("POST", "/orders", order_body({{kMug, 1}, {kPlate, 2}}), key);
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_FALSE(first.headers.has("Idempotent-Replayed"));
  auto id = Session::json(first).at("id").as_string();
  // The same order in another line order is the same body.
  auto again = ann_->request("POST", "/orders", order_body({{kPlate, 2}, {kMug, 1}}), key);
  EXPECT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.headers.get_or("Idempotent-Replayed", ""), "true");
  EXPECT_EQ(Session::json(again).at("id").as_string(), id);
  expect_problem(ann_->request("POST", "/orders", order_body({{kMug, 2}}), key), 422,
                 "same key, other body");
  // Keys are per user: Bob's identical key is his own.
  auto bobs = bob_->request("POST", "/orders", order_body({{kMug, 1}, {kPlate, 2}}), key);
  EXPECT_EQ(bobs.status, 202);
  EXPECT_NE(Session::json(bobs).at("id").as_string(), id);
  auto list = Session::json(ann_->request("GET", "/orders"));
  EXPECT_EQ(list.at("items").as_array().size(), 1u);
}

TEST_F(Orders, PreferWaitIsAppliedAndAnswers201OnlyWithAFinalState) {
  auto start = std::chrono::steady_clock::now();
  auto response = ann_->request("POST", "/orders", order_body({{kMug, 1}}), {{"Prefer", "wait=1"}});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response.headers.get_or("Preference-Applied", ""), "wait=1");
  auto status = std::string(Session::json(response).at("status").as_string());
  if (status == "pending") {
    EXPECT_EQ(response.status, 202);
    EXPECT_GE(elapsed, std::chrono::milliseconds(900));  // it did wait
  } else {
    EXPECT_EQ(response.status, 201) << response.body;
  }
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(Orders, CancelIsAllowedOnceThenConflicts) {
  auto order = place(*ann_, order_body({{kPlate, 1}}));
  auto id = std::string(order.at("id").as_string());
  auto cancelled = ann_->request("POST", "/orders/" + id + "/cancel");
  if (cancelled.status == 200) {
    auto body = Session::json(cancelled);
    EXPECT_EQ(body.at("status").as_string(), "cancelled");
    auto history = body.at("history").as_array();
    EXPECT_EQ(history.back().at("status").as_string(), "cancelled");
  } else {
    // Inventory (when present) may have rejected the fake product first: rejected is final.
    expect_problem(cancelled, 409, "cancel a rejected order");
  }
  expect_problem(ann_->request("POST", "/orders/" + id + "/cancel"), 409, "cancel twice");
}

}  // namespace
}  // namespace ordo::e2e
