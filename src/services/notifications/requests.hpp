// Reading the notifications service's requests: the filters of GET /notifications and the bodies
// of POST and PATCH /webhooks. Each throws one 400 problem naming every bad field or parameter.
#pragma once

#include <boost/json/object.hpp>

#include "platform/http/message.hpp"
#include "services/notifications/store.hpp"
#include "services/notifications/webhook_domain.hpp"

namespace ordo::services::notifications {

// GET /notifications: ?userId= (a UUID) and ?status= (pending, delivered, failed). Who may see
// whose notifications is the api's to decide.
ListFilter parse_list_filter(const http::Request& request);

// POST /webhooks: url, events and an optional description; nothing else.
WebhookRegistration parse_webhook_registration(const boost::json::object& body);
// PATCH /webhooks/{id}: any of url, events, description and status; nothing else.
WebhookPatch parse_webhook_patch(const boost::json::object& body);

}  // namespace ordo::services::notifications
