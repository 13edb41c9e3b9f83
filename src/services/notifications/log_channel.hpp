// The log channel: a notification "delivered" as one structured log line, for development and as
// an audit trail. Logs ids, the event type and the subject; never the body or the address.
#pragma once

#include "services/notifications/channel.hpp"

namespace ordo::services::notifications {

class LogChannel final : public Channel {
 public:
  static constexpr std::string_view kName = "log";
  std::string_view name() const override { return kName; }
  boost::asio::awaitable<void> deliver(const Notification& notification,
                                       const Recipient& recipient) override;
};

}  // namespace ordo::services::notifications
