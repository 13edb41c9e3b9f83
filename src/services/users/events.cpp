#include "services/users/events.hpp"

#include "contracts/events.hpp"

namespace ordo::services::users {
namespace {

bus::CloudEvent user_event(std::string_view type, const contracts::User& user,
                           const std::string& traceparent) {
  contracts::events::UserRegistered data{user.id, user.email, user.name, user.role, user.active};
  return bus::make_event(std::string(kEventSource), std::string(type), user.id,
                         contracts::events::to_json(data), traceparent);
}

}  // namespace

bus::CloudEvent user_registered(const contracts::User& user, const std::string& traceparent) {
  return user_event(contracts::events::kUserRegistered, user, traceparent);
}

bus::CloudEvent user_updated(const contracts::User& user, const std::string& traceparent) {
  return user_event(contracts::events::kUserUpdated, user, traceparent);
}

}  // namespace ordo::services::users
