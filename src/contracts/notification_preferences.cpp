#include "contracts/notification_preferences.hpp"

#include <boost/json.hpp>

namespace ordo::contracts {
namespace json = boost::json;

const std::vector<std::string>& notification_kinds() {
  static const std::vector<std::string> kinds{"welcome", "orderConfirmed", "orderRejected",
                                              "orderCancelled", "lowStock"};
  return kinds;
}

const std::vector<std::string>& preference_channels() {
  static const std::vector<std::string> channels{"email", "sms", "push"};
  return channels;
}

ChannelChoice NotificationPreferences::of(std::string_view kind) const {
  auto it = by_kind.find(kind);
  return it == by_kind.end() ? ChannelChoice{} : it->second;
}

json::value to_json(const NotificationPreferences& preferences) {
  json::object out;
  for (const auto& kind : notification_kinds()) {
    auto choice = preferences.of(kind);
    out[kind] = json::object{{"email", choice.email}, {"sms", choice.sms}, {"push", choice.push}};
  }
  return out;
}

NotificationPreferences notification_preferences_from_json(const json::value& value) {
  NotificationPreferences preferences;
  for (const auto& [kind, choice_value] : value.as_object()) {
    const auto& o = choice_value.as_object();
    ChannelChoice choice;
    if (auto it = o.find("email"); it != o.end())
      choice.email = it->value().as_bool();
    if (auto it = o.find("sms"); it != o.end())
      choice.sms = it->value().as_bool();
    if (auto it = o.find("push"); it != o.end())
      choice.push = it->value().as_bool();
    preferences.by_kind[std::string(kind)] = choice;
  }
  return preferences;
}

}  // namespace ordo::contracts
