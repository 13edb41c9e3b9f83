#include "services/notifications/log_channel.hpp"

#include "platform/log/log.hpp"

namespace ordo::services::notifications {

boost::asio::awaitable<void> LogChannel::deliver(const Notification& notification,
                                                 const Recipient& recipient) {
  log::info("notifications", "notification delivered",
            {{"channel", kName},
             {"notificationId", notification.id},
             {"recipientId", recipient.user_id},
             {"eventType", notification.event_type},
             {"eventId", notification.event_id},
             {"subject", notification.subject}});
  co_return;
}

}  // namespace ordo::services::notifications
