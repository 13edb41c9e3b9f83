// GET /notifications/stream: the caller's new notifications as Server-Sent Events, as they are
// stored (docs/streams.md).
//
// Notifications are stored by the consumer of whichever instance the broker hands an event to, so
// the stream polls the store (streams.poll_ms) rather than waiting for an in-process signal. Ids
// are UUIDv7, ordered by the time the consumer made them; a transaction may commit a little after
// a later one, so each poll looks back kLookback behind its cursor and skips the ids it already
// sent: nothing stored is missed, nothing is sent twice.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "contracts/notifications.hpp"
#include "platform/http/event_stream.hpp"
#include "services/notifications/store.hpp"

namespace ordo::services::notifications {

struct NotificationStreamSettings {
  std::chrono::milliseconds heartbeat{15'000};
  std::chrono::milliseconds poll{250};
};

// The smallest UUIDv7 of a unix millisecond (a keyset bound: every id made at or after it is
// greater).
std::string uuid_v7_floor(std::int64_t unix_ms);

// Which ids to read and send: those above a lower bound (the Last-Event-ID a client resumes
// after, or the stream's start) and within the look-back window, minus those already sent.
class NotificationCursor {
 public:
  // after: the notification id the client resumes after, if any; else only notifications
  // stored from now_ms on are sent.
  NotificationCursor(std::optional<std::string> after, std::int64_t now_ms);
  // The id to read after at this time.
  std::string read_after(std::int64_t now_ms) const;
  // True when the id is to be sent (then it is remembered as sent).
  bool take(const std::string& id);
  // Forgets sent ids that fell out of the look-back window.
  void prune(std::int64_t now_ms);

  static constexpr std::int64_t kLookbackMs = 10'000;

 private:
  std::string lower_;   // exclusive
  std::string newest_;  // the newest id sent (lower_ before any)
  std::set<std::string> sent_;
};

// The notification as GET /notifications/{id} shows it.
contracts::Notification to_contract(const Notification& notification);

boost::asio::awaitable<void> stream_notifications(NotificationStore& store,
                                                  std::string recipient_id,
                                                  std::optional<std::string> last_event_id,
                                                  NotificationStreamSettings settings,
                                                  http::sse::StreamSlots::Ticket ticket,
                                                  http::StreamWriter& writer);

}  // namespace ordo::services::notifications
