// How a notification reaches its recipient: the Channel interface and the configured channels.
// The log channel is the first; e-mail (SMTP) and webhooks implement the same interface.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/auth/p256.hpp"
#include "services/notifications/domain.hpp"

namespace ordo::services::notifications {

class Channel {
 public:
  virtual ~Channel() = default;
  // The value stored in notifications.channel: "log", "email", "sms".
  virtual std::string_view name() const = 0;
  // Completes once the channel has taken the message; throws (any std::exception, whose what()
  // becomes last_error) when it could not, and the dispatcher tries again later. Must not block
  // the calling thread: slow work belongs on a pool or in async I/O.
  virtual boost::asio::awaitable<void> deliver(const Notification& notification,
                                               const Recipient& recipient) = 0;
};

// A failure that trying again cannot fix (an SMTP 5xx reply): the dispatcher records the
// notification as failed at once, with what() as its last_error.
class PermanentDeliveryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The channels a deployment uses, until config names them (notifications.channels).
inline const std::vector<std::string>& default_channel_names() {
  static const std::vector<std::string> names{"log"};
  return names;
}

// What the channels take from the configuration (notifications.*).
struct ChannelSettings {
  std::string smtp_url;  // empty: no e-mail channel
  std::string email_from;
  std::string email_templates_dir;  // empty: the embedded templates only
  std::string sms_url{};            // empty: no SMS channel
  std::string sms_account{};
  std::string sms_token{};
  std::string sms_from{};
  std::optional<auth::P256Key> vapid_key{};  // none: no push channel
  std::string vapid_subject{};
  bool push_allow_private = false;
  // Forgets a push subscription its push service says is gone (the store's view).
  std::function<boost::asio::awaitable<void>(std::string user_id, std::string endpoint)>
      on_push_expired{};
};

// The default channels, plus "email" when an SMTP server is configured, "sms" when an SMS
// provider is and "push" when a VAPID key is.
std::vector<std::string> configured_channel_names(const ChannelSettings& settings);

// Builds the named channels in order. Throws std::invalid_argument on an unknown or repeated name
// (or "email" without an SMTP URL, "sms" without a usable provider URL and account, "push"
// without a VAPID key).
std::vector<std::unique_ptr<Channel>> make_channels(const std::vector<std::string>& names,
                                                    const ChannelSettings& settings = {});

}  // namespace ordo::services::notifications
