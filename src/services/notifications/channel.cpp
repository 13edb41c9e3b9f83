#include "services/notifications/channel.hpp"

#include <algorithm>
#include <stdexcept>

#include "services/notifications/email_channel.hpp"
#include "services/notifications/log_channel.hpp"
#include "services/notifications/push_channel.hpp"
#include "services/notifications/sms_channel.hpp"

namespace ordo::services::notifications {

std::vector<std::string> configured_channel_names(const ChannelSettings& settings) {
  auto names = default_channel_names();
  if (!settings.smtp_url.empty())
    names.emplace_back(EmailChannel::kName);
  if (!settings.sms_url.empty())
    names.emplace_back(SmsChannel::kName);
  if (settings.vapid_key)
    names.emplace_back(PushChannel::kName);
  return names;
}

std::vector<std::unique_ptr<Channel>> make_channels(const std::vector<std::string>& names,
                                                    const ChannelSettings& settings) {
  std::vector<std::unique_ptr<Channel>> channels;
  for (const auto& name : names) {
    bool repeated = std::any_of(channels.begin(), channels.end(),
                                [&](const auto& channel) { return channel->name() == name; });
    if (repeated)
      throw std::invalid_argument("notification channel listed twice: " + name);
    if (name == LogChannel::kName) {
      channels.push_back(std::make_unique<LogChannel>());
    } else if (name == EmailChannel::kName) {
      if (settings.smtp_url.empty())
        throw std::invalid_argument("the email channel needs notifications.smtp_url");
      auto templates = with_overrides(embedded_email_templates(),
                                      read_email_templates(settings.email_templates_dir));
      channels.push_back(std::make_unique<EmailChannel>(settings.smtp_url, settings.email_from,
                                                        std::move(templates)));
    } else if (name == SmsChannel::kName) {
      SmsSettings sms{settings.sms_url, settings.sms_account, settings.sms_token,
                      settings.sms_from};
      channels.push_back(std::make_unique<SmsChannel>(std::move(sms)));
    } else if (name == PushChannel::kName) {
      if (!settings.vapid_key)
        throw std::invalid_argument("the push channel needs a VAPID key");
      PushSettings push{*settings.vapid_key, settings.vapid_subject};
      push.allow_private = settings.push_allow_private;
      channels.push_back(std::make_unique<PushChannel>(std::move(push), settings.on_push_expired));
    } else {
      throw std::invalid_argument("unknown notification channel: " + name);
    }
  }
  return channels;
}

}  // namespace ordo::services::notifications
