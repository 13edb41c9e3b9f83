// The stock API through the gateway, without other services' help: reads of unknown products,
// who may write, and bad input on every write (validated before the product is looked up).
#include <gtest/gtest.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {

constexpr const char* kUnknown = "/products/01890a5d-ac96-774b-bcce-b302099a8057";

class Inventory : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ordo_.start());
    admin_ = admin_session(ordo_, runner_);

    user_ = std::make_unique<Session>(runner_, ordo_.gateway_origin());
    auto user_email = unique_email("shopper");
    user_->run(user_->api().register_user(user_email, "correct horse battery", "Shopper"));
    user_->run(user_->api().login(user_email, "correct horse battery"));
  }

  // The field names a 400 problem lists.
  static std::vector<std::string> error_fields(const http::Response& response) {
    std::vector<std::string> fields;
    auto json = Session::json(response);
    if (!json.is_object() || !json.as_object().contains("errors"))
      return fields;
    for (const auto& error : json.at("errors").as_array())
      fields.emplace_back(error.at("field").as_string());
    return fields;
  }

  OrdoProcess ordo_{{{"http.max_body_bytes", "4096"}}};
  Runner runner_;
  std::unique_ptr<Session> admin_;
  std::unique_ptr<Session> user_;
};

TEST_F(Inventory, UnknownProductsHaveNoStock) {
  Session anyone(runner_, ordo_.gateway_origin());
  std::string unknown(kUnknown);
  expect_problem(anyone.request("GET", unknown + "/stock"), 404, "unknown product");
  expect_problem(anyone.request("GET", "/products/not-a-uuid/stock"), 404, "not a uuid");
  expect_problem(admin_->request("GET", unknown + "/stock/movements"), 404, "unknown movements");
}

TEST_F(Inventory, WritesAndAdminReadsNeedAnAdmin) {
  Session anyone(runner_, ordo_.gateway_origin());
  std::string unknown(kUnknown);
  struct Call {
    std::string method;
    std::string path;
    std::string body;
  };
  std::vector<Call> calls{{"PATCH", unknown + "/replenish", R"({"quantity":5})"},
                          {"PUT", unknown + "/stock", R"({"available":5})"},
                          {"GET", unknown + "/stock/movements", ""},
                          {"GET", "/inventory/low-stock", ""}};
  for (const auto& call : calls) {
    expect_problem(anyone.request(call.method, call.path, call.body), 401, call.path);
    expect_problem(user_->request(call.method, call.path, call.body), 403, call.path);
  }
  auto low = admin_->request("GET", "/inventory/low-stock");
  EXPECT_EQ(low.status, 200) << low.body;
  auto body = Session::json(low);
  ASSERT_TRUE(body.is_object());
  EXPECT_TRUE(body.at("items").as_array().empty());
  EXPECT_TRUE(body.at("nextCursor").is_null());
}

TEST_F(Inventory, BadInputOnWritesIs4xxBeforeTheProductIsLookedUp) {
  std::string replenish = std::string(kUnknown) + "/replenish";
  std::string stock = std::string(kUnknown) + "/stock";
  for (std::string body : {"{", "not json", "[1]", ""}) {
    expect_problem(admin_->request("PATCH", replenish, body), 400, "replenish " + body);
    expect_problem(admin_->request("PUT", stock, body), 400, "stock " + body);
  }
  auto zero = admin_->request("PATCH", replenish, R"({"quantity":0})");
  expect_problem(zero, 400, "zero quantity");
  EXPECT_EQ(error_fields(zero), std::vector<std::string>{"quantity"});
  auto wrong = admin_->request("PATCH", replenish, R"({"quantity":"5","reason":7})");
  expect_problem(wrong, 400, "wrong types");
  EXPECT_EQ(error_fields(wrong).size(), 2u);
  auto too_many = admin_->request("PATCH", replenish, R"({"quantity":1000000001})");
  expect_problem(too_many, 400, "too many");
  auto long_reason = admin_->request("PATCH", replenish,
                                     R"({"quantity":1,"reason":")" + std::string(201, 'r') + "\"}");
  expect_problem(long_reason, 400, "long reason");

  auto negative = admin_->request("PUT", stock, R"({"available":-1})");
  expect_problem(negative, 400, "negative available");
  auto missing = admin_->request("PUT", stock, R"({"reason":"count"})");
  expect_problem(missing, 400, "missing available");
  auto bad_threshold = admin_->request("PUT", stock, R"({"available":1,"lowStockThreshold":-2})");
  expect_problem(bad_threshold, 400, "negative threshold");
  EXPECT_EQ(error_fields(bad_threshold), std::vector<std::string>{"lowStockThreshold"});

  expect_problem(admin_->request("PATCH", replenish, R"({"quantity":1})", {}, "text/plain"), 415,
                 "replenish as text");
  expect_problem(admin_->request("PUT", stock, R"({"available":1})", {}, std::nullopt), 415,
                 "stock without content type");
  std::string big = R"({"reason":")" + std::string(8192, 'a') + R"("})";
  expect_problem(admin_->request("PATCH", replenish, big), 413, "oversized");

  // Valid input for a product without stock: 404.
  expect_problem(admin_->request("PATCH", replenish, R"({"quantity":1,"reason":"delivery"})"), 404,
                 "replenish unknown");
  expect_problem(admin_->request("PUT", stock, R"({"available":3})", {{"If-Match", "*"}}), 404,
                 "count unknown");
  expect_problem(admin_->request("PUT", "/products/nope/stock", R"({"available":3})"), 404,
                 "count not a uuid");
}

}  // namespace
}  // namespace ordo::e2e
