// Reading the users service's request bodies: each reader throws one 400 problem listing every bad
// field; the account rules they apply are domain.hpp.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "contracts/notification_preferences.hpp"
#include "services/users/domain.hpp"

namespace ordo::services::users {

// POST /users/register: the e-mail normalized, the password acceptable. A "role" in the body is
// ignored on purpose: only an admin grants roles.
Registration parse_registration(const boost::json::object& body);
// POST /users/login: the e-mail normalized when it looks like an address, else as given (an
// unknown account is then found to be unknown, like any other).
Credentials parse_credentials(const boost::json::object& body);
// POST /users/refresh and /users/logout: the refresh token's text, not yet checked.
std::string parse_refresh_token_field(const boost::json::object& body);
// PATCH /users/{id}: role and/or active, at least one of them.
UserPatch parse_user_patch(const boost::json::object& body);
// PATCH /users/me: the caller's own name and/or phone, at least one; "phone": null clears it.
ProfilePatch parse_profile_patch(const boost::json::object& body);
// POST /users/me/push-subscriptions: a browser's PushSubscription.toJSON() — endpoint (an
// http(s) URL), keys.p256dh (base64url of a P-256 point, 65 bytes uncompressed) and keys.auth
// (base64url of 16 bytes); expirationTime and other fields are ignored. 400 naming each bad field.
NewPushSubscription parse_push_subscription(const boost::json::object& body);
// PUT /users/me/notification-preferences: every kind may be given (those left out take the
// defaults), each with email, sms and push as booleans (those left out take the defaults).
// Unknown kinds or channels and non-boolean values are 400, naming the field
// ("orderConfirmed.sms").
contracts::NotificationPreferences parse_notification_preferences(const boost::json::object& body);

}  // namespace ordo::services::users
