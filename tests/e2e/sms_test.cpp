// SMS notifications and notification preferences end to end: `ordo serve` with
// notifications.sms_url pointing at a Twilio-compatible receiver on loopback
// (tests/support/sms_receiver.hpp) and e-mail through the local SMTP sink. A buyer who sets a
// phone and turns SMS on (and e-mail off) for confirmed orders gets an SMS naming the order and
// no e-mail; a buyer who keeps the defaults gets the e-mail and no SMS.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "../support/sms_receiver.hpp"
#include "../support/smtp_sink.hpp"
#include "harness.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct ScratchDir {
  std::string path = temp_dir("sms");
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

Settings sms_settings(const std::string& sms_url, const std::string& smtp_url) {
  auto settings = unlimited_rate();
  settings.emplace_back("notifications.sms_url", sms_url);
  settings.emplace_back("notifications.sms_account", "AC0123");
  settings.emplace_back("notifications.sms_token", "sms-secret-token");
  settings.emplace_back("notifications.sms_from", "+15005550006");
  settings.emplace_back("notifications.smtp_url", smtp_url);
  settings.emplace_back("notifications.webhook_allow_private", "true");
  return settings;
}

class Sms : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ordo_.start());
    admin_ = admin_session(ordo_, runner_);
    product_id_ = create_product(*admin_, {.name = "Texted mug", .stock = 50, .price_cents = 1250});
    webhook_id_ = admin_
                      ->run(admin_->api().create_webhook(
                          {.url = "http://127.0.0.1:9/profiles", .events = {"user.updated"}}))
                      .id;
  }

  std::unique_ptr<Session> buyer(const std::string& tag) {
    auto email = unique_email(tag);
    auto session = std::make_unique<Session>(runner_, ordo_.gateway_origin());
    session->run(session->api().register_user(email, "correct horse battery", "Sam Texter"));
    session->run(session->api().login(email, "correct horse battery"));
    return session;
  }

  std::string confirmed_order(Session& session) {
    return e2e::confirmed_order(session, {{product_id_, 1}});
  }

  // The channels of the session's notifications about order.confirmed, once the log channel's
  // (always written) is there.
  std::vector<std::string> confirmation_channels(Session& session) {
    std::vector<std::string> channels;
    eventually([&] {
      channels.clear();
      for (const auto& item : all_items(session, "/notifications")) {
        if (item.at("eventType") == "order.confirmed")
          channels.emplace_back(item.at("channel").as_string());
      }
      return std::find(channels.begin(), channels.end(), "log") != channels.end();
    });
    std::sort(channels.begin(), channels.end());
    return channels;
  }

  // Deliveries of the fixture's user.updated webhook (pointed at a closed port: they fail,
  // harmlessly); each one shows an event the notifications service has consumed.
  std::size_t user_updates_seen() {
    auto page = Session::json(admin_->request("GET", "/webhooks/" + webhook_id_ + "/deliveries"));
    return page.is_object() ? page.at("items").as_array().size() : 0;
  }

  ScratchDir scratch_;
  testing::SmtpSink sink_{scratch_.path};
  testing::SmsReceiver receiver_;
  OrdoProcess ordo_{sms_settings(receiver_.base_url(), sink_.url())};
  Runner runner_;
  std::unique_ptr<Session> admin_;
  std::string product_id_;
  std::string webhook_id_;
};

TEST_F(Sms, PhoneAndPreferencesAreTheUsersOwn) {
  auto user = buyer("prefs");
  auto defaults = user->request("GET", "/users/me/notification-preferences");
  ASSERT_EQ(defaults.status, 200) << defaults.body;
  auto expected_default = json::object{{"email", true}, {"sms", false}, {"push", false}};
  EXPECT_EQ(Session::json(defaults).at("orderConfirmed"), expected_default);
  EXPECT_EQ(Session::json(defaults).at("lowStock"), expected_default);

  auto bad_phone = user->request("PATCH", "/users/me", R"({"phone":"0151 2345"})");
  ASSERT_EQ(bad_phone.status, 400) << bad_phone.body;
  EXPECT_NE(bad_phone.body.find("\"phone\""), std::string::npos) << bad_phone.body;
  auto bad_kind = user->request("PUT", "/users/me/notification-preferences",
                                R"({"orderShipped":{"sms":true}})");
  ASSERT_EQ(bad_kind.status, 400) << bad_kind.body;
  EXPECT_NE(bad_kind.body.find("orderShipped"), std::string::npos) << bad_kind.body;

  auto patched = user->request("PATCH", "/users/me", R"({"phone":"+4915112345678"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Session::json(patched).at("phone"), "+4915112345678");
  auto me = user->request("GET", "/users/me");
  EXPECT_EQ(Session::json(me).at("phone"), "+4915112345678");
  auto cleared = user->request("PATCH", "/users/me", R"({"phone":null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(Session::json(cleared).at("phone").is_null());

  auto anonymous =
      Session(runner_, ordo_.gateway_origin()).request("GET", "/users/me/notification-preferences");
  EXPECT_EQ(anonymous.status, 401);
}

TEST_F(Sms, SmsGoesOutOnlyWhereTheBuyerTurnedItOn) {
  auto texted = buyer("texted");
  auto phone = texted->request("PATCH", "/users/me", R"({"phone":"+4915112345678"})");
  ASSERT_EQ(phone.status, 200) << phone.body;
  auto put = texted->request("PUT", "/users/me/notification-preferences",
                             R"({"orderConfirmed":{"email":false,"sms":true,"push":false}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Session::json(put).at("orderConfirmed").at("sms"), true);

  auto plain = buyer("plain");  // a phone, but SMS left off (the default)
  ASSERT_EQ(plain->request("PATCH", "/users/me", R"({"phone":"+12025550123"})").status, 200);
  // The three user.updated events travel on the bus apart from the orders' (another stream in
  // the distributed modes): wait until the notifications service has taken them in. It makes
  // each one's webhook delivery in the transaction that records the phone and preferences.
  ASSERT_TRUE(eventually([&] { return user_updates_seen() >= 3; }))
      << "the notifications service never saw the profile changes";

  auto texted_order = confirmed_order(*texted);
  ASSERT_TRUE(receiver_.wait_for(1, 15s)) << "no SMS; " << ordo_.log_text();
  auto sms = receiver_.received().at(0);
  EXPECT_EQ(sms.head.rfind("POST /2010-04-01/Accounts/AC0123/Messages.json ", 0), 0u) << sms.head;
  EXPECT_NE(sms.body.find("To=%2B4915112345678"), std::string::npos) << sms.body;
  EXPECT_NE(sms.body.find("From=%2B15005550006"), std::string::npos) << sms.body;
  EXPECT_NE(sms.body.find(texted_order), std::string::npos) << sms.body;
  EXPECT_EQ(confirmation_channels(*texted), (std::vector<std::string>{"log", "sms"}));

  auto plain_order = confirmed_order(*plain);
  EXPECT_EQ(confirmation_channels(*plain), (std::vector<std::string>{"email", "log"}));
  std::this_thread::sleep_for(500ms);  // time enough for a stray SMS to arrive
  auto received = receiver_.received();
  EXPECT_EQ(received.size(), 1u);
  for (const auto& request : received)
    EXPECT_EQ(request.body.find(plain_order), std::string::npos) << request.body;

  // The token is a secret: never in the log.
  EXPECT_EQ(ordo_.log_text().find("sms-secret-token"), std::string::npos);
}

}  // namespace
}  // namespace ordo::e2e
