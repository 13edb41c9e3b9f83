// What the users service emits (it consumes nothing): user.registered, user.updated.
#pragma once

#include <string>

#include "contracts/users.hpp"
#include "platform/bus/cloud_event.hpp"

namespace ordo::services::users {

inline constexpr std::string_view kEventSource = "/ordo/users";

bus::CloudEvent user_registered(const contracts::User& user, const std::string& traceparent);
// A role or active change, so that others (notifications: who is an admin) keep up.
bus::CloudEvent user_updated(const contracts::User& user, const std::string& traceparent);

}  // namespace ordo::services::users
