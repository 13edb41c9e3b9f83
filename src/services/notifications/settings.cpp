#include "services/notifications/settings.hpp"

#include <filesystem>

#include "platform/config/config.hpp"

namespace ordo::services::notifications {
namespace {

void validate(const config::Config& config) {
  using config::ConfigError;
  const auto& settings = config.section<Settings>();
  const auto& smtp_url = settings.smtp_url;
  if (!smtp_url.empty() && smtp_url.rfind("smtp://", 0) != 0 && smtp_url.rfind("smtps://", 0) != 0)
    throw ConfigError("notifications.smtp_url must start with smtp:// or smtps://");
  if (!smtp_url.empty() && settings.email_from.find('@') == std::string::npos)
    throw ConfigError("notifications.email_from must be an e-mail address");
  const auto& sms_url = settings.sms_url;
  if (!sms_url.empty() && sms_url.rfind("http://", 0) != 0)
    throw ConfigError("notifications.sms_url must start with http://");
  if (!sms_url.empty() && (settings.sms_account.empty() || settings.sms_from.empty()))
    throw ConfigError("notifications.sms_url needs notifications.sms_account and sms_from");
  const auto& subject = settings.vapid_subject;
  if (subject.rfind("mailto:", 0) != 0 && subject.rfind("https://", 0) != 0)
    throw ConfigError("notifications.vapid_subject must be a mailto: or https:// URL");
  if (settings.retry_max < settings.retry_base)
    throw ConfigError("notifications.retry_max_ms must not be below notifications.retry_base_ms");
  if (settings.webhook_retry_base > settings.webhook_retry_max) {
    throw ConfigError(
        "notifications.webhook_retry_base_ms must not exceed notifications.webhook_retry_max_ms");
  }
}

}  // namespace

config::Section settings_section() {
  config::Section section{"notifications", {}, nullptr, validate};
  section.settings = {
      config::text(
          "notifications.smtp_url",
          "smtp://[user:password@]host:port (STARTTLS when offered) or smtps://...: e-mail "
          "notifications through this server; empty: no e-mail",
          &Settings::smtp_url, true),
      config::text("notifications.email_from",
                   "the From of notification e-mails: a@b or Name <a@b>", &Settings::email_from),
      config::text(
          "notifications.email_templates_dir",
          "directory whose <event type>.txt / .html files replace the built-in e-mail templates",
          &Settings::email_templates_dir),
      config::text(
          "notifications.sms_url",
          "http://host:port/2010-04-01: SMS notifications through this Twilio-compatible API "
          "(POST .../Accounts/{account}/Messages.json); empty: no SMS",
          &Settings::sms_url),
      config::text("notifications.sms_account", "the SMS provider's account id (Basic auth user)",
                   &Settings::sms_account),
      config::text("notifications.sms_token", "the SMS provider's auth token (Basic auth password)",
                   &Settings::sms_token, true),
      config::text("notifications.sms_from",
                   "the sender of SMS notifications: a number or sender id", &Settings::sms_from),
      config::flag("notifications.push_enabled",
                   "Web Push notifications to the browsers users subscribe (needs the VAPID key)",
                   &Settings::push_enabled),
      config::text(
          "notifications.vapid_key_path",
          "the VAPID key (P-256 PEM), made on first start; empty: <data_dir>/vapid-key.pem",
          &Settings::vapid_key_path),
      config::text("notifications.vapid_subject",
                   "the VAPID sub: a mailto: or https: contact the push services can reach",
                   &Settings::vapid_subject),
      config::number<int>("notifications.retry_max_attempts",
                          "delivery attempts of a notification before it is failed",
                          &Settings::retry_max_attempts, 1, 1'000),
      config::millis("notifications.retry_base_ms",
                     "wait before the first retry of a failed delivery; doubles for each one after",
                     &Settings::retry_base, 0),
      config::millis("notifications.retry_max_ms", "the longest wait between two delivery attempts",
                     &Settings::retry_max, 0),
      config::millis("notifications.webhook_timeout_ms",
                     "webhooks: an attempt (connect, send, answer) slower than this has failed",
                     &Settings::webhook_timeout),
      config::millis("notifications.webhook_retry_base_ms",
                     "webhooks: the first retry's wait; each later one doubles (with jitter)",
                     &Settings::webhook_retry_base),
      config::millis("notifications.webhook_retry_max_ms",
                     "webhooks: the longest wait between retries", &Settings::webhook_retry_max),
      config::number<int>("notifications.webhook_disable_after_s",
                          "webhooks: an endpoint failing for this long is disabled",
                          &Settings::webhook_disable_after_s, 1, 30 * 86'400),
      config::flag("notifications.webhook_allow_private",
                   "webhooks: allow loopback, private and link-local targets (tests only: SSRF)",
                   &Settings::webhook_allow_private),
  };
  return section;
}

std::string vapid_key_path(const config::Config& config) {
  const auto& path = config.section<Settings>().vapid_key_path;
  if (!path.empty())
    return path;
  return (std::filesystem::path(config.data_dir) / "vapid-key.pem").string();
}

}  // namespace ordo::services::notifications
