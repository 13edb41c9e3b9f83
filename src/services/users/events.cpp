#include "services/users/events.hpp"

#include "contracts/events.hpp"

namespace ordo::services::users {

bus::CloudEvent user_registered(const contracts::User& user, const std::string& traceparent) {
  contracts::events::UserRegistered data{user.id, user.email, user.name, user.role};
  return bus::make_event(std::string(kEventSource), std::string(contracts::events::kUserRegistered),
                         user.id, contracts::events::to_json(data), traceparent);
}

}  // namespace ordo::services::users
