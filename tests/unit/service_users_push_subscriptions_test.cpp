// Web Push subscriptions as a browser hands them over (PushSubscription.toJSON()): the body's
// checks name each bad field; the list travels in user events and stays out of API answers'
// keys.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "../support/web_push_client.hpp"
#include "contracts/events.hpp"
#include "platform/http/problem.hpp"
#include "problem_test_support.hpp"
#include "services/users/domain.hpp"
#include "services/users/requests.hpp"

namespace ordo::services::users {
namespace {

std::vector<std::string> refused_fields(const std::string& body) {
  return testing::problem_fields(
      [&] { parse_push_subscription(boost::json::parse(body).as_object()); });
}

std::string body(std::string_view endpoint, std::string_view p256dh, std::string_view auth) {
  return R"({"endpoint":")" + std::string(endpoint) +
         R"(","expirationTime":null,"keys":{"p256dh":")" + std::string(p256dh) + R"(","auth":")" +
         std::string(auth) + R"("}})";
}

TEST(UsersPushSubscription, TakesWhatABrowserSends) {
  ordo::testing::WebPushClient browser;
  auto parsed =
      parse_push_subscription(boost::json::parse(body("https://fcm.googleapis.com/fcm/send/abc:def",
                                                      browser.p256dh(), browser.auth()))
                                  .as_object());
  EXPECT_EQ(parsed.endpoint, "https://fcm.googleapis.com/fcm/send/abc:def");
  EXPECT_EQ(parsed.p256dh, browser.p256dh());
  EXPECT_EQ(parsed.auth, browser.auth());
  // Padded base64url is taken and kept unpadded.
  auto padded = parse_push_subscription(
      boost::json::parse(
          body("http://127.0.0.1:9/p", browser.p256dh() + "=", browser.auth() + "=="))
          .as_object());
  EXPECT_EQ(padded.p256dh, browser.p256dh());
  EXPECT_EQ(padded.auth, browser.auth());
}

TEST(UsersPushSubscription, NamesEachBadField) {
  ordo::testing::WebPushClient browser;
  auto p256dh = browser.p256dh();
  auto auth = browser.auth();
  using Fields = std::vector<std::string>;
  EXPECT_EQ(refused_fields(body("ftp://push.example/1", p256dh, auth)), Fields{"endpoint"});
  EXPECT_EQ(refused_fields(body("https://", p256dh, auth)), Fields{"endpoint"});
  EXPECT_EQ(refused_fields(body("https://u:p@push.example/1", p256dh, auth)), Fields{"endpoint"});
  EXPECT_EQ(refused_fields(body("https://push.example/1", "AAAA", auth)), Fields{"keys.p256dh"});
  // 65 bytes but not on the curve.
  std::string off_curve = std::string("\x04") + std::string(64, '\x01');
  EXPECT_EQ(refused_fields(body("https://push.example/1", core::base64url_encode(off_curve), auth)),
            Fields{"keys.p256dh"});
  EXPECT_EQ(refused_fields(body("https://push.example/1", p256dh, "c2hvcnQ")), Fields{"keys.auth"});
  EXPECT_EQ(refused_fields(body("https://push.example/1", p256dh, "not base64!")),
            Fields{"keys.auth"});
  EXPECT_EQ(refused_fields(R"({"endpoint":"https://push.example/1"})"), Fields{"keys"});
  EXPECT_EQ(refused_fields(R"({})"), (Fields{"endpoint", "keys"}));
}

TEST(UsersPushSubscription, TravelsInUserEventsWithItsKeys) {
  contracts::events::UserRegistered user{"u-1", "a@b.c", "A", "user", true};
  user.push_subscriptions.push_back(
      {"s-1", "https://push.example/1", "p256dh-text", "auth-text", "2026-12-01T00:00:00Z"});
  auto json = contracts::events::to_json(user);
  auto back = contracts::events::user_registered_from_json(json);
  EXPECT_EQ(back.push_subscriptions, user.push_subscriptions);
  // Older events carry none.
  json.as_object().erase("pushSubscriptions");
  EXPECT_TRUE(contracts::events::user_registered_from_json(json).push_subscriptions.empty());
  // The API's answers leave the keys out.
  auto answer = boost::json::serialize(contracts::to_public_json(user.push_subscriptions[0]));
  EXPECT_EQ(answer.find("auth-text"), std::string::npos) << answer;
  EXPECT_NE(answer.find("createdAt"), std::string::npos) << answer;
}

}  // namespace
}  // namespace ordo::services::users
