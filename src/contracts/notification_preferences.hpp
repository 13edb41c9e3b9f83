// A user's notification preferences: per kind of notification, which channels may carry it.
// The users service keeps them (GET|PUT /users/me/notification-preferences) and carries them in
// user.registered / user.updated, so the notifications service decides without a call.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace ordo::contracts {

// The kinds of notification a user receives: welcome, orderConfirmed, orderRejected,
// orderCancelled, lowStock (admins).
const std::vector<std::string>& notification_kinds();
// The channels a preference names, in the order the JSON shows them.
const std::vector<std::string>& preference_channels();  // email, sms, push

struct ChannelChoice {
  bool email = true;  // the defaults: e-mail on, SMS and push off
  bool sms = false;
  bool push = false;
  bool operator==(const ChannelChoice&) const = default;
};

struct NotificationPreferences {
  std::map<std::string, ChannelChoice, std::less<>> by_kind;  // a kind not here: the defaults
  ChannelChoice of(std::string_view kind) const;
  bool operator==(const NotificationPreferences&) const = default;
};

// Every kind, with its choice (defaults filled in): {"welcome": {"email": true, ...}, ...}.
boost::json::value to_json(const NotificationPreferences& preferences);
// Lenient, for events: unknown kinds and channels are ignored, missing ones take the defaults.
// Throws std::exception when the value is not an object of objects of booleans.
NotificationPreferences notification_preferences_from_json(const boost::json::value& value);

}  // namespace ordo::contracts
