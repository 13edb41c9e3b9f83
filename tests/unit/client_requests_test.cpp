// The typed client's request shapes, as the bench sends them by the thousand and ApiClient once.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "client/requests.hpp"

namespace ordo::client {
namespace {

namespace json = boost::json;

TEST(ClientRequests, PlaceOrderCarriesLinesNoteAndBothHeaders) {
  OrderRequest order;
  order.lines = {{"p-1", 2}, {"p-2", 1}};
  order.note = "leave at the door";
  order.idempotency_key = "key-1";
  order.wait_seconds = 5;
  auto request = place_order_request(order);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/orders");
  EXPECT_EQ(request.headers.get_or("Content-Type", ""), "application/json");
  EXPECT_EQ(request.headers.get_or("Idempotency-Key", ""), "key-1");
  EXPECT_EQ(request.headers.get_or("Prefer", ""), "wait=5");
  EXPECT_EQ(json::parse(request.body),
            json::parse(R"({"items":[{"productId":"p-1","quantity":2},)"
                        R"({"productId":"p-2","quantity":1}],"note":"leave at the door"})"));
}

TEST(ClientRequests, PlaceOrderWithoutOptionsSendsNoOptionalHeader) {
  OrderRequest order;
  order.lines = {{"p-1", 1}};
  auto request = place_order_request(order);
  EXPECT_FALSE(request.headers.has("Idempotency-Key"));
  EXPECT_FALSE(request.headers.has("Prefer"));
  EXPECT_FALSE(json::parse(request.body).as_object().contains("note"));
}

TEST(ClientRequests, LoginAndBearer) {
  auto request = with_bearer(login_request("a@example.com", "pass \"quoted\""), "t0k3n");
  EXPECT_EQ(request.target, "/users/login");
  EXPECT_EQ(request.headers.get_or("Authorization", ""), "Bearer t0k3n");
  EXPECT_EQ(json::parse(request.body),
            json::parse(R"({"email":"a@example.com","password":"pass \"quoted\""})"));
  auto get = get_request(with_query("/orders", {{"status", "pending"}, {"q", "red shoe"}}));
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.target, "/orders?status=pending&q=red%20shoe");
  EXPECT_TRUE(get.body.empty());
}

TEST(ClientRequests, NewProductSendsOnlyWhatIsSet) {
  NewProduct product;
  product.sku = "MUG-1";
  product.name = "Mug";
  product.price_cents = 1250;
  EXPECT_EQ(json::value(to_json(product)),
            json::parse(R"({"sku":"MUG-1","name":"Mug","priceCents":1250,"currency":"EUR"})"));
  product.description = "A mug";
  product.category = "kitchen";
  product.attributes = json::object{{"colour", "red"}};
  product.initial_stock = 0;
  auto body = to_json(product);
  EXPECT_EQ(body.at("description"), "A mug");
  EXPECT_EQ(body.at("category"), "kitchen");
  EXPECT_EQ(body.at("attributes").at("colour"), "red");
  EXPECT_EQ(body.at("initialStock"), 0);  // zero is a stock, not an absence
}

}  // namespace
}  // namespace ordo::client
