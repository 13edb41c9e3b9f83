// Webhooks without I/O: the Standard Webhooks signature, the retry schedule, the SSRF address
// rules, URL parsing and the delivered body. (Reading the request bodies:
// service_notifications_requests_test.cpp.)
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "services/notifications/webhook_domain.hpp"

namespace ordo::services::notifications {
namespace {
namespace ip = boost::asio::ip;
namespace json = boost::json;
using namespace std::chrono_literals;

// The Standard Webhooks specification's example; the expected value was also computed
// independently with Python's hmac module (base64 of HMAC-SHA256 over "id.timestamp.body").
TEST(WebhookSignature, MatchesTheSpecificationVector) {
  EXPECT_EQ(sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                         1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, ChangesWithEveryPart) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto base = sign_webhook(secret, "msg_1", 1614265330, "{}");
  EXPECT_NE(base, sign_webhook(secret, "msg_2", 1614265330, "{}"));
  EXPECT_NE(base, sign_webhook(secret, "msg_1", 1614265331, "{}"));
  EXPECT_NE(base, sign_webhook(secret, "msg_1", 1614265330, "{ }"));
}

TEST(WebhookSignature, RefusesMalformedSecrets) {
  EXPECT_THROW(sign_webhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}"),
               std::invalid_argument);
  EXPECT_THROW(sign_webhook("whsec_", "m", 1, "{}"), std::invalid_argument);
  EXPECT_THROW(sign_webhook("whsec_not base64!", "m", 1, "{}"), std::invalid_argument);
}

TEST(WebhookSecret, IsWhsecAndBase64Of32RandomBytes) {
  auto first = make_webhook_secret();
  auto second = make_webhook_secret();
  EXPECT_NE(first, second);
  ASSERT_TRUE(first.starts_with("whsec_"));
  EXPECT_EQ(first.size(), 6u + 44u);  // 32 bytes are 44 base64 characters with padding
  EXPECT_NO_THROW(sign_webhook(first, "m", 1, "{}"));
}

TEST(WebhookRetry, DoublesFromTheBaseUpToTheCap) {
  // jitter 1 is the top of each window: base * 2^(n-1), capped.
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 1, 1.0), 100ms);
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 2, 1.0), 200ms);
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 3, 1.0), 400ms);
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 4, 1.0), 800ms);
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 5, 1.0), 1'000ms);
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 60, 1.0), 1'000ms);  // no overflow
}

TEST(WebhookRetry, JitterSpreadsTheUpperHalf) {
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 3, 0.0), 200ms);
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 3, 0.5), 300ms);
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 5, 0.0), 500ms);
  EXPECT_EQ(webhook_retry_delay(100ms, 1'000ms, 5, 7.0), 1'000ms);  // clamped
}

bool forbidden(const char* address) {
  return is_forbidden_webhook_address(ip::make_address(address));
}

TEST(WebhookAddresses, RefusesInternalIpv4) {
  for (const char* address : {"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1",
                              "172.31.255.255", "192.168.1.1", "169.254.169.254", "169.254.1.1",
                              "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255"}) {
    EXPECT_TRUE(forbidden(address)) << address;
  }
}

TEST(WebhookAddresses, AllowsPublicIpv4) {
  for (const char* address : {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "192.169.0.1",
                              "203.0.113.7", "169.253.0.1"}) {
    EXPECT_FALSE(forbidden(address)) << address;
  }
}

TEST(WebhookAddresses, RefusesInternalIpv6) {
  for (const char* address :
       {"::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "ff02::1", "::ffff:127.0.0.1",
        "::ffff:10.0.0.1", "::ffff:169.254.169.254"}) {
    EXPECT_TRUE(forbidden(address)) << address;
  }
}

TEST(WebhookAddresses, AllowsPublicIpv6) {
  for (const char* address :
       {"2001:4860:4860::8888", "2606:4700::1111", "fec0::1", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(forbidden(address)) << address;
  }
}

TEST(WebhookUrls, SplitsHttpUrls) {
  auto url = parse_webhook_url("http://hooks.example.com:8080/in/ordo?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "hooks.example.com");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->authority, "hooks.example.com:8080");
  EXPECT_EQ(url->target, "/in/ordo?x=1");
  auto v6 = parse_webhook_url("http://[2001:db8::1]");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->port, 80);
  EXPECT_EQ(v6->target, "/");
}

TEST(WebhookUrls, RefusesWhatTheClientCannotCall) {
  for (const char* url :
       {"https://example.com/", "ftp://example.com/", "example.com/hook",
        "http://user:pw@example.com/", "http:///nohost", "http://example.com:0/", "/relative"}) {
    EXPECT_FALSE(parse_webhook_url(url)) << url;
  }
}

TEST(WebhookEvents, MapsTheCatalogToPublicTypes) {
  EXPECT_EQ(webhook_event_type("inventory.low_stock"), "stock.low");
  EXPECT_EQ(webhook_event_type("order.created"), "order.created");
  EXPECT_EQ(webhook_event_type("user.registered"), "user.registered");
  EXPECT_EQ(webhook_event_type("user.updated"), "user.updated");
  EXPECT_FALSE(webhook_event_type("user.session_ended"));  // not public
  EXPECT_FALSE(webhook_event_type("stock.low"));           // not a bus type
  EXPECT_TRUE(subscribes_to({"*"}, "order.created"));
  EXPECT_TRUE(subscribes_to({"stock.low", "order.created"}, "order.created"));
  EXPECT_FALSE(subscribes_to({"stock.low"}, "order.created"));
}

TEST(WebhookBodies, TheDeliveredBodyHasTypeTimestampAndData) {
  auto body = json::parse(
      webhook_body("stock.low", "2026-11-30T12:00:00Z", json::parse(R"({"productId": "p"})")));
  EXPECT_EQ(body.at("type").as_string(), "stock.low");
  EXPECT_EQ(body.at("timestamp").as_string(), "2026-11-30T12:00:00Z");
  EXPECT_EQ(body.at("data").at("productId").as_string(), "p");
  EXPECT_EQ(body.as_object().size(), 3u);
}

}  // namespace
}  // namespace ordo::services::notifications
