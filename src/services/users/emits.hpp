// What the users service emits: user.registered, user.updated, user.session_ended.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "contracts/notification_preferences.hpp"
#include "contracts/push_subscriptions.hpp"
#include "contracts/users.hpp"
#include "platform/bus/cloud_event.hpp"

namespace ordo::services::users {

inline constexpr std::string_view kEventSource = "/ordo/users";

bus::CloudEvent user_registered(const contracts::User& user, const std::string& traceparent);
// A role or active change or a password reset, so that others keep up: notifications (who is an
// admin) and every service's access view (tokens older than token_version are refused).
// Also a phone or notification-preferences change: the notifications service keeps both.
// Also a push subscription added or removed: the event carries all of the user's subscriptions.
bus::CloudEvent user_updated(const contracts::User& user, std::int64_t token_version,
                             const contracts::NotificationPreferences& preferences,
                             const std::vector<contracts::PushSubscription>& push_subscriptions,
                             const std::string& traceparent);
// A session ended (logout, a replayed refresh token): its access tokens are refused until_s.
bus::CloudEvent session_ended(const std::string& user_id, const std::string& session_id,
                              std::int64_t until_s, const std::string& traceparent);

}  // namespace ordo::services::users
