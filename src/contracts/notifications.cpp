#include "contracts/notifications.hpp"

#include "contracts/json_fields.hpp"

#include <boost/json.hpp>

namespace ordo::contracts {
namespace json = boost::json;
namespace {
using namespace fields;  // text, integer, optional_text, nullable

json::value optional_text(const std::optional<std::string>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

}  // namespace

json::value to_json(const Notification& n) {
  return json::object{{"id", n.id},
                      {"recipientId", n.recipient_id},
                      {"eventType", n.event_type},
                      {"channel", n.channel},
                      {"subject", n.subject},
                      {"body", n.body},
                      {"status", n.status},
                      {"attempts", n.attempts},
                      {"lastError", optional_text(n.last_error)},
                      {"createdAt", n.created_at},
                      {"deliveredAt", optional_text(n.delivered_at)}};
}

Notification notification_from_json(const json::value& value) {
  const auto& o = value.as_object();
  return Notification{text(o, "id"),
                      text(o, "recipientId"),
                      text(o, "eventType"),
                      text(o, "channel"),
                      text(o, "subject"),
                      text(o, "body"),
                      text(o, "status"),
                      o.at("attempts").to_number<std::int64_t>(),
                      optional_text(o, "lastError"),
                      text(o, "createdAt"),
                      optional_text(o, "deliveredAt")};
}

}  // namespace ordo::contracts
