// How a notification reaches its recipient: the Channel interface and the configured channels.
// The log channel is the first; e-mail (SMTP) and webhooks implement the same interface later.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "services/notifications/domain.hpp"

namespace ordo::services::notifications {

class Channel {
 public:
  virtual ~Channel() = default;
  // The value stored in notifications.channel: "log", later "email", "webhook".
  virtual std::string_view name() const = 0;
  // Completes once the channel has taken the message; throws (any std::exception, whose what()
  // becomes last_error) when it could not, and the dispatcher tries again later. Must not block
  // the calling thread: slow work belongs on a pool or in async I/O.
  virtual boost::asio::awaitable<void> deliver(const Notification& notification,
                                               const Recipient& recipient) = 0;
};

// The channels a deployment uses, until config names them (notifications.channels).
inline const std::vector<std::string>& default_channel_names() {
  static const std::vector<std::string> names{"log"};
  return names;
}

// Builds the named channels in order. Throws std::invalid_argument on an unknown or repeated name.
std::vector<std::unique_ptr<Channel>> make_channels(const std::vector<std::string>& names);

}  // namespace ordo::services::notifications
