// The notifications service's settings (config section "notifications"): its channels (e-mail,
// SMS, Web Push), the dispatcher's retries and the webhooks'.
#pragma once

#include <chrono>
#include <string>

#include "platform/config/setting.hpp"

namespace ordo::services::notifications {

struct Settings {
  // The e-mail channel, on when smtp_url is set.
  std::string smtp_url;
  std::string email_from = "ordo@localhost";
  std::string email_templates_dir;
  // The SMS channel, on when sms_url (a Twilio-compatible API's base) is set.
  std::string sms_url;
  std::string sms_account;
  std::string sms_token;
  std::string sms_from;
  // The Web Push channel, on when push_enabled: its VAPID key (a P-256 PEM file made on first
  // start; empty path: <data_dir>/vapid-key.pem, shared by every notifications instance) and
  // the VAPID subject, a mailto: or https: contact for the push services.
  bool push_enabled = false;
  std::string vapid_key_path;
  std::string vapid_subject = "mailto:ordo@localhost";
  // The dispatcher's retries of failed deliveries (base, doubling, capped at max).
  int retry_max_attempts = 5;
  std::chrono::milliseconds retry_base{1'000};
  std::chrono::milliseconds retry_max{60'000};
  // Webhooks (docs/notifications.md): each attempt's time limit, the retry backoff's base and
  // cap, how long an endpoint may keep failing before it is disabled, and whether private,
  // loopback and link-local addresses may be called (never in production: SSRF).
  std::chrono::milliseconds webhook_timeout{10'000};
  std::chrono::milliseconds webhook_retry_base{5'000};
  std::chrono::milliseconds webhook_retry_max{3'600'000};
  int webhook_disable_after_s = 3 * 86'400;
  bool webhook_allow_private = false;
};

config::Section settings_section();

// vapid_key_path, or its default beside the data (data_dir/vapid-key.pem).
std::string vapid_key_path(const config::Config& config);

}  // namespace ordo::services::notifications
