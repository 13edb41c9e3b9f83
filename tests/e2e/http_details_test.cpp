// HTTP details through the gateway, in every mode: HEAD answers as GET without the body, gzip
// for clients that accept it, 414 for over-long targets, Link headers on paged lists, exact
// idempotent replays, and If-Match required (428) on the writes that overwrite.
#include <atomic>

#include <gtest/gtest.h>

#include <unistd.h>

#include "harness.hpp"
#include "shop.hpp"
#include "platform/http/compression.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpDetails : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ordo_.start());
    admin_ = admin_session(ordo_, runner_);
    anonymous_ = std::make_unique<Session>(runner_, ordo_.gateway_origin());
  }

  // A product as admin; its id. A long description makes its representation worth compressing.
  std::string create(const std::string& name, std::int64_t stock = 5,
                     std::size_t description_length = 20) {
    return create_product(*admin_,
                          {.name = name,
                           .stock = stock,
                           .price_cents = 990,
                           .category = "details",
                           .attributes = json::object{{"colour", "green"}},
                           .description = std::string(description_length, 'd')});
  }

  Runner runner_;
  OrdoProcess ordo_{unlimited_rate()};
  std::unique_ptr<Session> admin_;
  std::unique_ptr<Session> anonymous_;
};

TEST_F(HttpDetails, HeadThroughTheGatewayIsTheGetWithoutItsBody) {
  auto id = create("Head lamp");
  ASSERT_TRUE(eventually([&] { return available(*anonymous_, id) == 5; }));
  for (const Headers& encoding : {Headers{}, Headers{{"Accept-Encoding", "gzip"}}}) {
    for (const std::string& target : {"/products/" + id, std::string("/products?limit=50"),
                                      "/products/" + id + "/stock", std::string("/openapi.json")}) {
      auto get = anonymous_->request("GET", target, {}, encoding);
      auto head = anonymous_->request("HEAD", target, {}, encoding);
      ASSERT_EQ(get.status, 200) << target << ": " << get.body;
      EXPECT_EQ(head.status, 200) << target;
      EXPECT_TRUE(head.body.empty()) << target;
      EXPECT_EQ(head.headers.get_or("Content-Length", ""), std::to_string(get.body.size()))
          << target;
      EXPECT_EQ(head.headers.get_or("Content-Type", ""), get.headers.get_or("Content-Type", ""))
          << target;
      EXPECT_EQ(head.headers.get_or("Content-Encoding", ""),
                get.headers.get_or("Content-Encoding", ""))
          << target;
      EXPECT_EQ(head.headers.get_or("ETag", ""), get.headers.get_or("ETag", "")) << target;
    }
  }
}

TEST_F(HttpDetails, GzipForClientsThatAcceptIt) {
  for (int i = 0; i < 8; ++i)
    create("Compressible " + std::to_string(i));
  auto plain = anonymous_->request("GET", "/products?limit=50");
  ASSERT_EQ(plain.status, 200);
  ASSERT_GE(plain.body.size(), 1024u);
  EXPECT_FALSE(plain.headers.has("Content-Encoding"));
  EXPECT_NE(plain.headers.get_or("Vary", "").find("Accept-Encoding"), std::string::npos);

  auto gzipped =
      anonymous_->request("GET", "/products?limit=50", {}, {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(gzipped.status, 200);
  EXPECT_EQ(gzipped.headers.get_or("Content-Encoding", ""), "gzip");
  EXPECT_NE(gzipped.headers.get_or("Vary", "").find("Accept-Encoding"), std::string::npos);
  EXPECT_LT(gzipped.body.size(), plain.body.size());
  auto inflated = http::gunzip(gzipped.body, 1 << 24);
  ASSERT_TRUE(inflated.has_value());
  EXPECT_EQ(json::parse(*inflated), json::parse(plain.body));

  auto refused =
      anonymous_->request("GET", "/products?limit=50", {}, {{"Accept-Encoding", "gzip;q=0, br"}});
  EXPECT_FALSE(refused.headers.has("Content-Encoding"));
  EXPECT_EQ(refused.body.size(), plain.body.size());

  // The gateway's own documents: the OpenAPI document (136 KB) and a problem answer.
  auto document = anonymous_->request("GET", "/openapi.json", {}, {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(document.headers.get_or("Content-Encoding", ""), "gzip");
  auto whole = anonymous_->request("GET", "/openapi.json");
  EXPECT_EQ(http::gunzip(document.body, 1 << 24), whole.body);
}

TEST_F(HttpDetails, CompressedRepresentationsHaveTheirOwnEntityTag) {
  auto id = create("Verbose", 5, 4000);
  Headers gzip{{"Accept-Encoding", "gzip"}};
  auto compressed = anonymous_->request("GET", "/products/" + id, {}, gzip);
  ASSERT_EQ(compressed.status, 200);
  EXPECT_EQ(compressed.headers.get_or("Content-Encoding", ""), "gzip");
  EXPECT_EQ(compressed.headers.get_or("ETag", ""), "\"1-gzip\"");
  EXPECT_EQ(anonymous_->request("GET", "/products/" + id).headers.get_or("ETag", ""), "\"1\"");

  auto unchanged = anonymous_->request(
      "GET", "/products/" + id, {}, {{"Accept-Encoding", "gzip"}, {"If-None-Match", "\"1-gzip\""}});
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_EQ(unchanged.headers.get_or("ETag", ""), "\"1-gzip\"");

  // A browser sends back the tag it got, compressed or not: both name version 1.
  auto patched = admin_->request("PATCH", "/products/" + id, R"({"priceCents":995})",
                                 {{"Accept-Encoding", "gzip"}, {"If-Match", "\"1-gzip\""}});
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.headers.get_or("ETag", ""), "\"2-gzip\"");
  auto stale = admin_->request("PATCH", "/products/" + id, R"({"priceCents":996})",
                               {{"If-Match", "\"1-gzip\""}});
  expect_problem(stale, 412, "stale compressed tag");
}

TEST_F(HttpDetails, OverLongTargetsAre414AndLargeHeadsStay431) {
  // Over the target limit (8 KB) but within the head limit (16 KB): read whole, then refused.
  auto long_query = anonymous_->request("GET", "/products?q=" + std::string(9 * 1024, 'a'));
  expect_problem(long_query, 414, "9 KB target");
  // Over the head limit because of the target.
  auto huge = anonymous_->request("GET", "/products?q=" + std::string(20 * 1024, 'a'));
  expect_problem(huge, 414, "20 KB target");
  // Over the head limit because of a header.
  auto fat_header =
      anonymous_->request("GET", "/products", {}, {{"X-Padding", std::string(20 * 1024, 'p')}});
  expect_problem(fat_header, 431, "20 KB header");
  // Still answering.
  EXPECT_EQ(anonymous_->request("GET", "/products").status, 200);
}

TEST_F(HttpDetails, PagedListsLinkTheirNextPage) {
  for (int i = 0; i < 3; ++i)
    create("Linked " + std::to_string(i));
  std::string target = "/products?category=details&limit=1&sort=name";
  std::vector<std::string> names;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = anonymous_->request("GET", target);
    ASSERT_EQ(page.status, 200) << target << ": " << page.body;
    auto body = Session::json(page);
    for (const auto& item : body.at("items").as_array())
      names.emplace_back(item.at("name").as_string());
    if (body.at("nextCursor").is_null()) {
      EXPECT_FALSE(page.headers.has("Link")) << target;
      break;
    }
    std::string cursor(body.at("nextCursor").as_string());
    EXPECT_EQ(page.headers.get_or("Link", ""),
              "</products?category=details&limit=1&sort=name&cursor=" + cursor + ">; rel=\"next\"");
    auto link = std::string(page.headers.get_or("Link", ""));
    ASSERT_TRUE(link.starts_with("<"));
    target = link.substr(1, link.find('>') - 1);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Linked 0", "Linked 1", "Linked 2"}));

  // Other lists too (the admin's low-stock list: 0 in stock is under every threshold).
  create("Empty 1", 0);
  create("Empty 2", 0);
  auto low = admin_->request("GET", "/inventory/low-stock?limit=1");
  ASSERT_EQ(low.status, 200) << low.body;
  ASSERT_TRUE(eventually([&] {
    low = admin_->request("GET", "/inventory/low-stock?limit=1");
    return !Session::json(low).at("nextCursor").is_null();
  }));
  EXPECT_TRUE(low.headers.get_or("Link", "").starts_with("</inventory/low-stock?limit=1&cursor="));
}

TEST_F(HttpDetails, AnIdempotentReplayRepeatsTheFirstAnswerExactly) {
  auto buyer = user_session(ordo_, runner_, "replay");
  auto product = create("Replayed", 10);
  ASSERT_TRUE(eventually([&] { return available(*buyer, product) == 10; }));
  auto order = R"({"items":[{"productId":")" + product + R"(","quantity":1}]})";

  // Waited for: 201 confirmed, and its replay is 201 with the same body.
  Headers waited{{"Idempotency-Key", "replay-waited"}, {"Prefer", "wait=10"}};
  auto first = buyer->request("POST", "/orders", order, waited);
  ASSERT_EQ(first.status, 201) << first.body;
  auto replay = buyer->request("POST", "/orders", order, waited);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, first.body);
  EXPECT_EQ(replay.headers.get_or("Location", ""), first.headers.get_or("Location", ""));
  EXPECT_EQ(replay.headers.get_or("Idempotent-Replayed", ""), "true");
  EXPECT_FALSE(first.headers.has("Idempotent-Replayed"));

  // Not waited for: 202 pending; the replay after it was confirmed is still that 202.
  Headers quick{{"Idempotency-Key", "replay-quick"}};
  auto accepted = buyer->request("POST", "/orders", order, quick);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  auto location = std::string(accepted.headers.get_or("Location", ""));
  ASSERT_TRUE(eventually([&] {
    auto now = buyer->request("GET", location);
    return Session::json(now).at("status").as_string() != "pending";
  }));
  auto later = buyer->request("POST", "/orders", order, quick);
  EXPECT_EQ(later.status, 202);
  EXPECT_EQ(later.body, accepted.body);
  EXPECT_EQ(later.headers.get_or("Location", ""), location);
}

TEST_F(HttpDetails, OverwritingWritesNeedIfMatch) {
  auto id = create("Guarded", 7);
  std::string product = "/products/" + id;
  std::string stock = product + "/stock";

  expect_problem(admin_->request("PATCH", product, R"({"priceCents":1})"), 428, "patch");
  expect_problem(admin_->request("DELETE", product), 428, "delete");
  ASSERT_TRUE(eventually([&] { return admin_->request("GET", stock).status == 200; }));
  expect_problem(admin_->request("PUT", stock, R"({"available":3})"), 428, "set stock");
  EXPECT_EQ(Session::json(anonymous_->request("GET", product)).at("version").as_int64(), 1);

  auto read = anonymous_->request("GET", product);
  auto patched = admin_->request("PATCH", product, R"({"priceCents":1})",
                                 {{"If-Match", std::string(read.headers.get_or("ETag", ""))}});
  EXPECT_EQ(patched.status, 200) << patched.body;

  // A stock level names the reading it replaces; replenishing adds and needs nothing.
  auto counted = admin_->request("GET", stock);
  auto tag = std::string(counted.headers.get_or("ETag", ""));
  ASSERT_FALSE(tag.empty());
  auto replenished = admin_->request("PATCH", product + "/replenish", R"({"quantity":2})");
  ASSERT_EQ(replenished.status, 200) << replenished.body;
  EXPECT_NE(replenished.headers.get_or("ETag", ""), tag);
  expect_problem(admin_->request("PUT", stock, R"({"available":3})", {{"If-Match", tag}}), 412,
                 "stale stock");
  EXPECT_EQ(Session::json(admin_->request("GET", stock)).at("available").as_int64(), 9);
  auto set = admin_->request("PUT", stock, R"({"available":3})",
                             {{"If-Match", std::string(replenished.headers.get_or("ETag", ""))}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(Session::json(set).at("available").as_int64(), 3);

  auto archived = admin_->request("DELETE", product, {}, {{"If-Match", "*"}});
  EXPECT_EQ(archived.status, 204) << archived.body;
}

TEST(HttpDetailsRelaxed, IfMatchCanBeMadeOptional) {
  Runner runner;
  auto settings = unlimited_rate();
  settings.emplace_back("http.require_if_match", "false");
  OrdoProcess ordo(settings);
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  auto admin = admin_session(ordo, runner);
  auto id = create_product(*admin, {.name = "Relaxed", .stock = 1, .price_cents = 100});
  auto patched = admin->request("PATCH", "/products/" + id, R"({"priceCents":101})");
  EXPECT_EQ(patched.status, 200) << patched.body;
  // If-Match is still honoured when sent.
  expect_problem(
      admin->request("PATCH", "/products/" + id, R"({"priceCents":102})", {{"If-Match", "\"1\""}}),
      412, "stale");
}

}  // namespace
}  // namespace ordo::e2e
