// The SMS channel: the form body's encoding, the provider endpoint, the choice of channels by
// preferences, and delivery against a real HTTP receiver on loopback (tests/support/
// sms_receiver.hpp) that answers 201 (sent), 400 (refused for good), 500 and 429 (tried again).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "../support/sms_receiver.hpp"
#include "contracts/events.hpp"
#include "platform/core/encoding.hpp"
#include "services/notifications/channel.hpp"
#include "services/notifications/domain.hpp"
#include "services/notifications/sms_channel.hpp"

namespace ordo::services::notifications {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;
using ordo::testing::SmsReceiver;

TEST(SmsForm, EncodesReservedBytesSpacesAndUtf8) {
  EXPECT_EQ(form_encode({{"To", "+12025550123"}, {"Body", "Order 1 for 12.50 EUR & more"}}),
            "To=%2B12025550123&Body=Order+1+for+12.50+EUR+%26+more");
  EXPECT_EQ(form_encode({{"Body", "a=b\nc/d?é"}}), "Body=a%3Db%0Ac%2Fd%3F%C3%A9");
  EXPECT_EQ(form_encode({}), "");
}

TEST(SmsEndpoint, AppendsTheAccountsMessagesPath) {
  auto endpoint = sms_endpoint("http://127.0.0.1:8080/2010-04-01/", "AC123");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->origin, "http://127.0.0.1:8080");
  EXPECT_EQ(endpoint->target, "/2010-04-01/Accounts/AC123/Messages.json");
  auto bare = sms_endpoint("http://sms.example:80", "AC 1");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->target, "/Accounts/AC+1/Messages.json");
}

TEST(SmsEndpoint, RefusesWhatTheClientCannotCall) {
  EXPECT_FALSE(sms_endpoint("https://api.twilio.com/2010-04-01", "AC1"));
  EXPECT_FALSE(sms_endpoint("http://127.0.0.1:8080/x?y=1", "AC1"));
  EXPECT_FALSE(sms_endpoint("http://127.0.0.1:8080/x", ""));
  EXPECT_FALSE(sms_endpoint("not a url", "AC1"));
}

TEST(SmsProviderError, QuotesTheProvidersMessage) {
  EXPECT_EQ(provider_error(400, R"({"code":21211,"message":"Invalid 'To'"})"),
            "the SMS provider answered 400: Invalid 'To'");
  EXPECT_EQ(provider_error(404, "nope"), "the SMS provider answered 404: nope");
  EXPECT_EQ(provider_error(500, ""), "the SMS provider answered 500");
}

TEST(ChannelChoice, FollowsPreferencesAndNeedsAPhoneForSms) {
  Recipient recipient;
  recipient.user_id = "u-1";
  auto confirmed = events::kOrderConfirmed;
  EXPECT_TRUE(wants_channel(recipient, confirmed, "log"));
  EXPECT_TRUE(wants_channel(recipient, confirmed, "email"));  // the default
  EXPECT_FALSE(wants_channel(recipient, confirmed, "sms"));   // the default
  recipient.preferences.by_kind["orderConfirmed"] = {false, true, false};
  EXPECT_TRUE(wants_channel(recipient, confirmed, "log"));  // the audit trail, always
  EXPECT_FALSE(wants_channel(recipient, confirmed, "email"));
  EXPECT_FALSE(wants_channel(recipient, confirmed, "sms"));  // no phone
  recipient.phone = "+12025550123";
  EXPECT_TRUE(wants_channel(recipient, confirmed, "sms"));
  EXPECT_FALSE(wants_channel(recipient, events::kOrderRejected, "sms"));  // another kind
  EXPECT_EQ(notification_kind(events::kUserRegistered), "welcome");
  EXPECT_EQ(notification_kind(events::kInventoryLowStock), "lowStock");
}

TEST(ChannelSettingsSms, TheSmsChannelIsOnWhenItsUrlIsSet) {
  ChannelSettings settings;
  EXPECT_EQ(configured_channel_names(settings), std::vector<std::string>{"log"});
  settings.sms_url = "http://127.0.0.1:9/2010-04-01";
  settings.sms_account = "AC1";
  settings.sms_from = "+15005550006";
  auto names = configured_channel_names(settings);
  EXPECT_EQ(names, (std::vector<std::string>{"log", "sms"}));
  EXPECT_EQ(make_channels(names, settings).size(), 2u);
  settings.sms_url = "https://127.0.0.1:9/";
  EXPECT_THROW(make_channels(names, settings), std::invalid_argument);
}

class SmsChannelTest : public ::testing::Test {
 protected:
  // Delivers one notification; the outcome: "sent", "permanent: ..." or "retry: ...".
  std::string deliver(SmsChannel& channel, const Recipient& recipient) {
    Notification notification;
    notification.id = "n-1";
    notification.channel = "sms";
    notification.body = "Your order 0192-abc for 12.50 EUR is confirmed.";
    auto future = asio::co_spawn(ctx_, channel.deliver(notification, recipient), asio::use_future);
    ctx_.restart();
    ctx_.run();
    try {
      future.get();
      return "sent";
    } catch (const PermanentDeliveryError& e) {
      return std::string("permanent: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("retry: ") + e.what();
    }
  }
  static Recipient with_phone() {
    Recipient recipient;
    recipient.user_id = "u-1";
    recipient.phone = "+4915112345678";
    return recipient;
  }
  static SmsSettings settings(const SmsReceiver& receiver) {
    return {receiver.base_url(), "AC0123", "secret-token", "+15005550006"};
  }
  asio::io_context ctx_;
};

TEST_F(SmsChannelTest, PostsTheFormWithBasicAuthToTheMessagesResource) {
  SmsReceiver receiver;
  SmsChannel channel(settings(receiver));
  EXPECT_EQ(deliver(channel, with_phone()), "sent");
  auto received = receiver.received();
  ASSERT_EQ(received.size(), 1u);
  const auto& head = received[0].head;
  EXPECT_EQ(head.rfind("POST /2010-04-01/Accounts/AC0123/Messages.json HTTP/1.1\r\n", 0), 0u)
      << head;
  EXPECT_NE(head.find("Authorization: Basic " + core::base64_encode("AC0123:secret-token")),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos);
  EXPECT_EQ(received[0].body,
            "To=%2B4915112345678&From=%2B15005550006&Body=Your+order+0192-abc+for+12.50+EUR+is+"
            "confirmed.");
}

TEST_F(SmsChannelTest, A400IsAPermanentFailureWithTheProvidersMessage) {
  SmsReceiver receiver({400});
  SmsChannel channel(settings(receiver));
  EXPECT_EQ(deliver(channel, with_phone()),
            "permanent: the SMS provider answered 400: The 'To' number is not valid.");
}

TEST_F(SmsChannelTest, A500OrA429IsTriedAgain) {
  SmsReceiver receiver({500, 429});
  SmsChannel channel(settings(receiver));
  EXPECT_EQ(deliver(channel, with_phone()).rfind("retry: the SMS provider answered 500", 0), 0u);
  EXPECT_EQ(deliver(channel, with_phone()).rfind("retry: the SMS provider answered 429", 0), 0u);
  EXPECT_EQ(deliver(channel, with_phone()), "sent");
  EXPECT_EQ(receiver.received().size(), 3u);
}

TEST_F(SmsChannelTest, AnUnreachableProviderIsTriedAgain) {
  std::string base;
  {
    SmsReceiver gone;
    base = gone.base_url();
  }
  SmsChannel channel({base, "AC0123", "secret-token", "+15005550006"});
  EXPECT_EQ(deliver(channel, with_phone()).rfind("retry: ", 0), 0u);
}

TEST_F(SmsChannelTest, ARecipientWithoutAPhoneFailsForGoodWithoutACall) {
  SmsReceiver receiver;
  SmsChannel channel(settings(receiver));
  Recipient recipient;
  recipient.user_id = "u-1";
  EXPECT_EQ(deliver(channel, recipient), "permanent: the recipient has no phone number");
  EXPECT_TRUE(receiver.received().empty());
}

}  // namespace
}  // namespace ordo::services::notifications
