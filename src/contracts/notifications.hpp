// The notifications API's public shapes: a notification as its recipient (or an admin) sees it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

namespace ordo::contracts {

struct Notification {
  std::string id;
  std::string recipient_id;
  std::string event_type;  // the event that caused it: "order.confirmed"
  std::string channel;     // how it is delivered: "log" (later "email", "webhook")
  std::string subject;
  std::string body;
  std::string status;  // "pending" (also while retrying) | "delivered" | "failed" (gave up)
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
  std::string created_at;  // RFC 3339
  std::optional<std::string> delivered_at;
};
boost::json::value to_json(const Notification& notification);
// Throws std::exception on a bad shape.
Notification notification_from_json(const boost::json::value& json);

}  // namespace ordo::contracts
