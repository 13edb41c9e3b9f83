// The notifications domain: who is told about an event, what the message says, and when a failed
// delivery is tried again. No I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "contracts/events.hpp"
#include "contracts/notification_preferences.hpp"
#include "contracts/push_subscriptions.hpp"

namespace ordo::services::notifications {

inline constexpr std::string_view kStatusPending = "pending";
inline constexpr std::string_view kStatusDelivered = "delivered";
inline constexpr std::string_view kStatusFailed = "failed";
bool is_status(std::string_view text);

// The service's view of a user, kept from user.registered and user.updated.
struct Recipient {
  std::string user_id;
  std::string email;  // empty when the user is not in the view yet
  std::string name;
  std::string role;
  bool active = true;
  std::string phone{};  // E.164; empty when the user has set none
  contracts::NotificationPreferences preferences{};
  std::vector<contracts::PushSubscription> push_subscriptions{};  // the user's browsers
};

// A stored notification: one recipient, one event, one channel.
struct Notification {
  std::string id;
  std::string recipient_id;
  std::string event_id;
  std::string event_type;
  std::string channel;
  std::string subject;
  std::string body;
  std::string data;  // JSON object text (Message::data)
  std::string status;
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
  std::string created_at;
  std::optional<std::string> delivered_at;
};

// What a notification says. data holds the event's facts for channels that want structure
// (a webhook body later); subject and body are for people.
struct Message {
  std::string subject;
  std::string body;
  boost::json::object data;
};

// "123.45 EUR": minor units shown with the currency's decimals (ISO 4217 exponent).
std::string format_money(std::int64_t minor_units, std::string_view currency);

Message welcome_message(const contracts::events::UserRegistered& user);
// event_type: order.confirmed, order.rejected or order.cancelled.
Message order_message(std::string_view event_type,
                      const contracts::events::OrderStatusChanged& order);
Message low_stock_message(const contracts::events::LowStock& low_stock);

// The preference kind of a bus event type (user.registered: "welcome", order.confirmed:
// "orderConfirmed", ...), or empty when it has none.
std::string_view notification_kind(std::string_view event_type);
// Whether a notification of this event goes out on this channel to this recipient: the log
// channel always (it is the audit trail); "email", "sms" and "push" as the recipient's
// preferences say (defaults: e-mail on, SMS and push off), "sms" only to a recipient with a phone
// and "push" only to one with a push subscription. Any other channel always.
bool wants_channel(const Recipient& recipient, std::string_view event_type,
                   std::string_view channel);

// Every active admin of the view, in the order given: inventory.low_stock goes to each of them.
std::vector<Recipient> low_stock_recipients(const std::vector<Recipient>& view);

// Retries: a delivery is tried at most max_attempts times, waiting base, 2*base, 4*base ...
// (capped) between attempts.
struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds base_delay{1'000};
  std::chrono::milliseconds max_delay{60'000};
};
// The wait before the next attempt after `attempts` failed ones, or nullopt when it gives up.
std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy, int attempts);

}  // namespace ordo::services::notifications
