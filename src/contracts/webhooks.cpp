#include "contracts/webhooks.hpp"

#include <boost/json.hpp>

#include "contracts/json_fields.hpp"

namespace ordo::contracts {
namespace json = boost::json;
using namespace fields;  // text, integer, optional_text

json::value to_json(const WebhookRegistration& registration) {
  json::array events;
  for (const auto& type : registration.events)
    events.emplace_back(type);
  return json::object{{"url", registration.url},
                      {"events", std::move(events)},
                      {"description", registration.description}};
}

Webhook webhook_from_json(const json::value& value) {
  const auto& o = value.as_object();
  Webhook webhook{text(o, "id"),          text(o, "url"),      {},
                  text(o, "description"), text(o, "status"),   optional_text(o, "secret"),
                  text(o, "createdAt"),   text(o, "updatedAt")};
  for (const auto& type : o.at("events").as_array())
    webhook.events.emplace_back(type.as_string());
  return webhook;
}

WebhookDelivery webhook_delivery_from_json(const json::value& value) {
  const auto& o = value.as_object();
  std::optional<std::int64_t> code;
  if (const auto& field = o.at("lastResponseCode"); !field.is_null())
    code = field.to_number<std::int64_t>();
  return WebhookDelivery{text(o, "id"),
                         text(o, "webhookId"),
                         text(o, "eventId"),
                         text(o, "eventType"),
                         text(o, "status"),
                         integer(o, "attempts"),
                         code,
                         optional_text(o, "lastError"),
                         optional_text(o, "nextAttemptAt"),
                         text(o, "createdAt"),
                         optional_text(o, "deliveredAt")};
}

}  // namespace ordo::contracts
