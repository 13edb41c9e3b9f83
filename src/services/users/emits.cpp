#include "services/users/emits.hpp"

#include "contracts/events.hpp"

namespace ordo::services::users {
namespace {

bus::CloudEvent user_event(std::string_view type, const contracts::User& user,
                           std::int64_t token_version,
                           const contracts::NotificationPreferences& preferences,
                           const std::vector<contracts::PushSubscription>& push_subscriptions,
                           const std::string& traceparent) {
  contracts::events::UserRegistered data{user.id,    user.email,  user.name,
                                         user.role,  user.active, token_version,
                                         user.phone, preferences, push_subscriptions};
  return bus::make_event(std::string(kEventSource), std::string(type), user.id,
                         contracts::events::to_json(data), traceparent);
}

}  // namespace

bus::CloudEvent user_registered(const contracts::User& user, const std::string& traceparent) {
  return user_event(contracts::events::kUserRegistered, user, 1, {}, {}, traceparent);
}

bus::CloudEvent user_updated(const contracts::User& user, std::int64_t token_version,
                             const contracts::NotificationPreferences& preferences,
                             const std::vector<contracts::PushSubscription>& push_subscriptions,
                             const std::string& traceparent) {
  return user_event(contracts::events::kUserUpdated, user, token_version, preferences,
                    push_subscriptions, traceparent);
}

bus::CloudEvent session_ended(const std::string& user_id, const std::string& session_id,
                              std::int64_t until_s, const std::string& traceparent) {
  contracts::events::SessionEnded data{user_id, session_id, until_s};
  // The user is the subject: the session's end is ordered with the user's other events.
  return bus::make_event(std::string(kEventSource),
                         std::string(contracts::events::kUserSessionEnded), user_id,
                         contracts::events::to_json(data), traceparent);
}

}  // namespace ordo::services::users
