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
// the user is not in the view), claimed by one dispatcher pass.
struct Delivery {
  Notification notification;
  Recipient recipient;
};

// What one dispatcher pass claimed: only `id` may record these rows' outcomes, and only while no
// other pass has taken them over (after until_ms).
struct ClaimedDeliveries {
  std::string id;
  std::int64_t until_ms = 0;
  std::vector<Delivery> deliveries;
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

  // Claims up to `limit` pending notifications whose next attempt is due and that no other
  // pass holds (oldest first) until now_ms + lease_ms, so that instances sharing the database
  // never send one at the same time.
  boost::asio::awaitable<ClaimedDeliveries> claim_due(std::int64_t now_ms, std::size_t limit,
                                                      std::int64_t lease_ms);
  // When the earliest pending notification falls due (or its claim ends), if any is pending.
  boost::asio::awaitable<std::optional<std::int64_t>> next_due_ms();
  // Records these notifications as delivered, in one statement, as far as `claim_id` still holds
  // them. Returns how many it recorded.
  boost::asio::awaitable<std::int64_t> record_delivered(const std::string& claim_id,
                                                        const std::vector<std::string>& ids);
  // One more failed attempt: retried at retry_at_ms, or 'failed' for good when nullopt. Only
  // while `claim_id` still holds it.
  boost::asio::awaitable<void> record_failure(const std::string& claim_id, const std::string& id,
                                              const std::string& error,
                                              std::optional<std::int64_t> retry_at_ms);

  // Ends the lease on what `claim_id` claimed but did not record (a pass that stopped early), so
  // any instance may take it at once rather than after the lease.
  boost::asio::awaitable<void> release(const std::string& claim_id);

  boost::asio::awaitable<NotificationPage> list(const ListFilter& filter,
                                                std::optional<std::string> before_id, int limit);
  boost::asio::awaitable<std::optional<Notification>> find(const std::string& id);
  boost::asio::awaitable<std::optional<Recipient>> recipient(const std::string& user_id);
  // A push service said the subscription at `endpoint` is gone (404/410): the view forgets it.
  // False when the view did not have it (or a newer list arrived meanwhile).
  boost::asio::awaitable<bool> remove_push_subscription(std::string user_id, std::string endpoint);

 private:
  sql::Database& db_;
};

}  // namespace ordo::services::notifications
