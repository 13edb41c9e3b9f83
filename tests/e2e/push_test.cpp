// Web Push end to end: `ordo serve` with notifications.push_enabled, and a push service on
// loopback (tests/support/sms_receiver.hpp recording each POST) standing in for the browser's. The
// test is the browser: it holds a P-256 key and auth secret (tests/support/web_push_client.hpp),
// registers them as a subscription through the gateway, turns push on for confirmed orders and
// places an order; what arrives must decrypt with its keys (RFC 8291) and carry a VAPID token
// (RFC 8292) signed by the key GET /notifications/vapid-public-key publishes, for the receiver's
// origin, not expired.
#include <ctime>
#include <thread>

#include <gtest/gtest.h>

#include "../support/sms_receiver.hpp"
#include "../support/web_push_client.hpp"
#include "harness.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

Settings push_settings() {
  auto settings = unlimited_rate();
  settings.emplace_back("notifications.push_enabled", "true");
  settings.emplace_back("notifications.vapid_subject", "mailto:ops@shop.example");
  // The push service is on loopback, which the SSRF rules refuse otherwise.
  settings.emplace_back("notifications.webhook_allow_private", "true");
  return settings;
}

std::string subscription_body(const std::string& endpoint, const std::string& p256dh,
                              const std::string& auth) {
  json::object keys{{"p256dh", p256dh}, {"auth", auth}};
  return json::serialize(
      json::object{{"endpoint", endpoint}, {"expirationTime", nullptr}, {"keys", keys}});
}

class Push : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ordo_.start());
    admin_ = admin_session(ordo_, runner_);
    product_id_ = create_product(*admin_, {.name = "Pushed mug", .stock = 50, .price_cents = 990});
    // Each user.updated the notifications service consumes makes a delivery of this webhook (to
    // a closed port: they fail, harmlessly), which shows the subscription reached its view.
    webhook_id_ = admin_
                      ->run(admin_->api().create_webhook(
                          {.url = "http://127.0.0.1:9/profiles", .events = {"user.updated"}}))
                      .id;
  }

  std::unique_ptr<Session> buyer(const std::string& tag) {
    auto email = unique_email(tag);
    auto session = std::make_unique<Session>(runner_, ordo_.gateway_origin());
    session->run(session->api().register_user(email, "correct horse battery", "Pat Pushed"));
    session->run(session->api().login(email, "correct horse battery"));
    return session;
  }

  std::size_t user_updates_seen() {
    auto page = Session::json(admin_->request("GET", "/webhooks/" + webhook_id_ + "/deliveries"));
    return page.is_object() ? page.at("items").as_array().size() : 0;
  }

  std::string confirmed_order(Session& session) {
    return e2e::confirmed_order(session, {{product_id_, 1}});
  }

  testing::SmsReceiver push_service_;
  OrdoProcess ordo_{push_settings()};
  Runner runner_;
  std::unique_ptr<Session> admin_;
  std::string product_id_;
  std::string webhook_id_;
};

TEST_F(Push, SubscriptionsAreTheUsersOwnAndTheKeyIsPublic) {
  auto anonymous = Session(runner_, ordo_.gateway_origin());
  auto key = anonymous.request("GET", "/notifications/vapid-public-key");
  ASSERT_EQ(key.status, 200) << key.body;
  auto point = core::base64url_decode(Session::json(key).at("publicKey").as_string());
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->size(), 65u);

  testing::WebPushClient browser;
  auto endpoint = push_service_.url("/push/api");
  auto body = subscription_body(endpoint, browser.p256dh(), browser.auth());
  EXPECT_EQ(anonymous.request("POST", "/users/me/push-subscriptions", body).status, 401);

  auto user = buyer("push-api");
  auto bad = user->request("POST", "/users/me/push-subscriptions",
                           subscription_body(endpoint, "AAAA", browser.auth()));
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("keys.p256dh"), std::string::npos) << bad.body;

  auto created = user->request("POST", "/users/me/push-subscriptions", body);
  ASSERT_EQ(created.status, 201) << created.body;
  auto subscription = Session::json(created).as_object();
  EXPECT_EQ(subscription.at("endpoint").as_string(), endpoint);
  EXPECT_FALSE(subscription.contains("keys"));
  std::string id(subscription.at("id").as_string());
  auto again = user->request("POST", "/users/me/push-subscriptions", body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Session::json(again).at("id").as_string(), id);

  auto listed = Session::json(user->request("GET", "/users/me/push-subscriptions"));
  ASSERT_EQ(listed.at("items").as_array().size(), 1u);
  auto other = buyer("push-other");
  EXPECT_TRUE(Session::json(other->request("GET", "/users/me/push-subscriptions"))
                  .at("items")
                  .as_array()
                  .empty());
  EXPECT_EQ(other->request("DELETE", "/users/me/push-subscriptions/" + id).status, 404);
  EXPECT_EQ(user->request("DELETE", "/users/me/push-subscriptions/" + id).status, 204);
  EXPECT_EQ(user->request("DELETE", "/users/me/push-subscriptions/" + id).status, 404);
  EXPECT_TRUE(Session::json(user->request("GET", "/users/me/push-subscriptions"))
                  .at("items")
                  .as_array()
                  .empty());
}

TEST_F(Push, TheBuyersBrowserDecryptsTheConfirmation) {
  auto key =
      Session(runner_, ordo_.gateway_origin()).request("GET", "/notifications/vapid-public-key");
  ASSERT_EQ(key.status, 200) << key.body;
  std::string public_key(Session::json(key).at("publicKey").as_string());

  testing::WebPushClient browser;
  auto user = buyer("pushed");
  auto seen_before = user_updates_seen();
  auto subscribed = user->request(
      "POST", "/users/me/push-subscriptions",
      subscription_body(push_service_.url("/push/buyer-1"), browser.p256dh(), browser.auth()));
  ASSERT_EQ(subscribed.status, 201) << subscribed.body;
  auto put = user->request("PUT", "/users/me/notification-preferences",
                           R"({"orderConfirmed":{"email":false,"sms":false,"push":true}})");
  ASSERT_EQ(put.status, 200) << put.body;
  // Both user.updated events travel apart from the orders' (another stream when distributed).
  ASSERT_TRUE(eventually([&] { return user_updates_seen() >= seen_before + 2; }))
      << "the notifications service never saw the subscription";

  auto order_id = confirmed_order(*user);
  ASSERT_TRUE(push_service_.wait_for(1, 15s)) << "no push message; " << ordo_.log_text();
  auto message = push_service_.received().at(0);
  EXPECT_EQ(message.head.rfind("POST /push/buyer-1 HTTP/1.1", 0), 0u) << message.head;
  EXPECT_EQ(testing::SmsReceiver::header(message.head, "Content-Encoding"), "aes128gcm");
  EXPECT_FALSE(testing::SmsReceiver::header(message.head, "TTL").empty());

  auto authorization = testing::SmsReceiver::header(message.head, "Authorization");
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  EXPECT_EQ(testing::vapid_problem(authorization, push_service_.origin(), now), "")
      << authorization;
  EXPECT_NE(authorization.find("k=" + public_key), std::string::npos) << authorization;

  auto plaintext = browser.decrypt(message.body);
  ASSERT_TRUE(plaintext.has_value()) << "the message does not decrypt with the subscription's keys";
  auto payload = json::parse(*plaintext).as_object();
  EXPECT_EQ(payload.at("orderId").as_string(), order_id);
  EXPECT_NE(std::string(payload.at("title").as_string()).find(order_id), std::string::npos);
  EXPECT_NE(std::string(payload.at("body").as_string()).find(order_id), std::string::npos);

  EXPECT_TRUE(eventually([&] {
    for (const auto& item : all_items(*user, "/notifications")) {
      if (item.at("eventType") == "order.confirmed" && item.at("channel") == "push")
        return item.at("status") == "delivered";
    }
    return false;
  }));
}

}  // namespace
}  // namespace ordo::e2e
