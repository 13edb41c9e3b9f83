// The notifications service's tables: the recipients view and the notifications with their
// delivery state. Consumer-side writes take the inbox transaction; the rest open their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/sql/database.hpp"
#include "services/notifications/domain.hpp"

namespace ordo::services::notifications {

struct NewNotification {
  std::string recipient_id;
  std::string event_id;
  std::string event_type;
  std::string channel;
  Message message;
};

// A notification due for delivery, with what the view knows of its recipient (only the id when
// the user is not in the view).
struct Delivery {
  Notification notification;
  Recipient recipient;
};

struct ListFilter {
  std::optional<std::string> recipient_id;
  std::optional<std::string> status;
};

struct NotificationPage {
  std::vector<Notification> items;
  std::optional<std::string> next_after_id;  // the last id of this page when more follow
};

class NotificationStore {
 public:
  explicit NotificationStore(sql::Database& db) : db_(db) {}

  // Within the consumer's transaction. add_recipient keeps what the view already knows (a later
  // user.updated may have arrived first); put_recipient replaces it.
  static boost::asio::awaitable<void> add_recipient(sql::Transaction& tx, const Recipient& r);
  static boost::asio::awaitable<void> put_recipient(sql::Transaction& tx, const Recipient& r);
  static boost::asio::awaitable<std::vector<Recipient>> admins(sql::Transaction& tx);
  static boost::asio::awaitable<std::optional<Recipient>> recipient(sql::Transaction& tx,
                                                                    const std::string& user_id);
  // False when this recipient already has this event on this channel.
  static boost::asio::awaitable<bool> add_notification(sql::Transaction& tx,
                                                       const NewNotification& notification,
                                                       std::int64_t now_ms);

  // Pending notifications whose next attempt is due, oldest first.
  boost::asio::awaitable<std::vector<Delivery>> due(std::int64_t now_ms, std::size_t limit);
  // When the earliest pending notification falls due, if any is pending.
  boost::asio::awaitable<std::optional<std::int64_t>> next_due_ms();
  // Records these pending notifications as delivered, in one statement.
  boost::asio::awaitable<void> record_delivered(const std::vector<std::string>& ids);
  // One more failed attempt: retried at retry_at_ms, or 'failed' for good when nullopt.
  boost::asio::awaitable<void> record_failure(const std::string& id, const std::string& error,
                                              std::optional<std::int64_t> retry_at_ms);

  boost::asio::awaitable<NotificationPage> list(const ListFilter& filter,
                                                std::optional<std::string> before_id, int limit);
  boost::asio::awaitable<std::optional<Notification>> find(const std::string& id);
  boost::asio::awaitable<std::optional<Recipient>> recipient(const std::string& user_id);

 private:
  sql::Database& db_;
};

}  // namespace ordo::services::notifications
