// The notifications settings: the e-mail channel's (notifications.smtp_url, email_from,
// email_templates_dir) and the retries', their defaults, environment names and validation.
#include <gtest/gtest.h>

#include "platform/config/config.hpp"
#include "services/notifications/settings.hpp"

namespace ordo::services::notifications {
namespace {

using config::Config;
using config::ConfigError;
using config::load;
using config::print;

TEST(ConfigNotifications, EmailIsOffByDefault) {
  Config config = load("", {}, {});
  EXPECT_EQ(config.section<Settings>().smtp_url, "");
  EXPECT_EQ(config.section<Settings>().email_from, "ordo@localhost");
  EXPECT_EQ(config.section<Settings>().email_templates_dir, "");
  EXPECT_EQ(config.section<Settings>().retry_max_attempts, 5);
  EXPECT_EQ(config.section<Settings>().retry_base, std::chrono::milliseconds(1'000));
  EXPECT_EQ(config.section<Settings>().retry_max, std::chrono::milliseconds(60'000));
}

TEST(ConfigNotifications, ReadFromTheEnvironmentAndTheUrlIsASecret) {
  Config config = load("",
                       {{"ORDO_NOTIFICATIONS_SMTP_URL", "smtp://u:pw@mail.example:587"},
                        {"ORDO_NOTIFICATIONS_EMAIL_FROM", "Shop <shop@example.com>"},
                        {"ORDO_NOTIFICATIONS_RETRY_BASE_MS", "0"}},
                       {{"notifications.retry_max_attempts", "3"}});
  EXPECT_EQ(config.section<Settings>().smtp_url, "smtp://u:pw@mail.example:587");
  EXPECT_EQ(config.section<Settings>().email_from, "Shop <shop@example.com>");
  EXPECT_EQ(config.section<Settings>().retry_base, std::chrono::milliseconds(0));
  EXPECT_EQ(config.section<Settings>().retry_max_attempts, 3);
  auto text = print(config);
  EXPECT_EQ(text.find("pw@"), std::string::npos) << text;
  EXPECT_NE(text.find("[ORDO_NOTIFICATIONS_SMTP_URL]"), std::string::npos);
}

TEST(ConfigNotifications, RefusesWhatCannotWork) {
  EXPECT_THROW(load("", {}, {{"notifications.smtp_url", "http://mail.example"}}), ConfigError);
  EXPECT_THROW(load("", {},
                    {{"notifications.smtp_url", "smtp://mail.example"},
                     {"notifications.email_from", "nobody"}}),
               ConfigError);
  EXPECT_THROW(
      load("", {},
           {{"notifications.retry_base_ms", "5000"}, {"notifications.retry_max_ms", "1000"}}),
      ConfigError);
  EXPECT_THROW(load("", {}, {{"notifications.retry_max_attempts", "0"}}), ConfigError);
  EXPECT_NO_THROW(load("", {}, {{"notifications.smtp_url", "smtps://mail.example:465"}}));
}

TEST(ConfigNotifications, SmsIsOffByDefaultAndItsTokenIsASecret) {
  EXPECT_EQ(load("", {}, {}).section<Settings>().sms_url, "");
  Config config = load("", {{"ORDO_NOTIFICATIONS_SMS_TOKEN", "tok-secret-1"}},
                       {{"notifications.sms_url", "http://127.0.0.1:8090/2010-04-01"},
                        {"notifications.sms_account", "AC0123"},
                        {"notifications.sms_from", "+15005550006"}});
  EXPECT_EQ(config.section<Settings>().sms_url, "http://127.0.0.1:8090/2010-04-01");
  EXPECT_EQ(config.section<Settings>().sms_account, "AC0123");
  EXPECT_EQ(config.section<Settings>().sms_token, "tok-secret-1");
  EXPECT_EQ(config.section<Settings>().sms_from, "+15005550006");
  auto text = print(config);
  EXPECT_EQ(text.find("tok-secret-1"), std::string::npos) << text;
  EXPECT_NE(text.find("AC0123"), std::string::npos) << text;
}

TEST(ConfigNotifications, RefusesAnSmsUrlThatCannotWork) {
  EXPECT_THROW(load("", {},
                    {{"notifications.sms_url", "https://api.twilio.com/2010-04-01"},
                     {"notifications.sms_account", "AC1"},
                     {"notifications.sms_from", "+15005550006"}}),
               ConfigError);
  EXPECT_THROW(load("", {}, {{"notifications.sms_url", "http://127.0.0.1:8090/2010-04-01"}}),
               ConfigError);
}

TEST(ConfigNotifications, PushIsOffByDefaultAndItsKeyLivesBesideTheData) {
  Config defaults = load("", {}, {{"data_dir", "/var/lib/ordo"}});
  EXPECT_FALSE(defaults.section<Settings>().push_enabled);
  EXPECT_EQ(vapid_key_path(defaults), "/var/lib/ordo/vapid-key.pem");
  EXPECT_EQ(defaults.section<Settings>().vapid_subject, "mailto:ordo@localhost");
  Config config = load("",
                       {{"ORDO_NOTIFICATIONS_PUSH_ENABLED", "true"},
                        {"ORDO_NOTIFICATIONS_VAPID_KEY_PATH", "/etc/ordo/vapid.pem"}},
                       {{"notifications.vapid_subject", "https://shop.example/contact"}});
  EXPECT_TRUE(config.section<Settings>().push_enabled);
  EXPECT_EQ(vapid_key_path(config), "/etc/ordo/vapid.pem");
  EXPECT_EQ(config.section<Settings>().vapid_subject, "https://shop.example/contact");
  EXPECT_THROW(load("", {}, {{"notifications.vapid_subject", "ops@shop.example"}}), ConfigError);
}

}  // namespace
}  // namespace ordo::services::notifications
