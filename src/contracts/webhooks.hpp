// The webhook endpoints an admin registers and the deliveries made to them, as the API shows
// them (/webhooks). The notifications service owns them; this is the reading side for clients.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace ordo::contracts {

// POST /webhooks
struct WebhookRegistration {
  std::string url{};                  // https, a public address
  std::vector<std::string> events{};  // event types ("order.confirmed"), or "*"
  std::string description{};
};
boost::json::value to_json(const WebhookRegistration& registration);

struct Webhook {
  std::string id;
  std::string url;
  std::vector<std::string> events;
  std::string description;
  std::string status;                 // "active" | "disabled"
  std::optional<std::string> secret;  // "whsec_...": only in the answer to the registration
  std::string created_at;
  std::string updated_at;
};
Webhook webhook_from_json(const boost::json::value& json);  // throws std::exception on a bad shape

// One event's delivery to one endpoint, with its attempts so far.
struct WebhookDelivery {
  std::string id;
  std::string webhook_id;
  std::string event_id;
  std::string event_type;
  std::string status;  // "pending" | "succeeded" | "failed"
  std::int64_t attempts = 0;
  std::optional<std::int64_t> last_response_code;
  std::optional<std::string> last_error;
  std::optional<std::string> next_attempt_at;  // while pending
  std::string created_at;
  std::optional<std::string> delivered_at;
};
WebhookDelivery webhook_delivery_from_json(const boost::json::value& json);

}  // namespace ordo::contracts
