#include "contracts/push_subscriptions.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace ordo::contracts {
namespace json = boost::json;

json::value to_public_json(const PushSubscription& s) {
  return json::object{{"id", s.id}, {"endpoint", s.endpoint}, {"createdAt", s.created_at}};
}

json::value to_json(const std::vector<PushSubscription>& subscriptions) {
  json::array out;
  for (const auto& s : subscriptions) {
    out.push_back(json::object{{"id", s.id},
                               {"endpoint", s.endpoint},
                               {"keys", json::object{{"p256dh", s.p256dh}, {"auth", s.auth}}},
                               {"createdAt", s.created_at}});
  }
  return out;
}

PushSubscription push_subscription_from_public_json(const json::value& value) {
  const auto& o = value.as_object();
  return PushSubscription{std::string(o.at("id").as_string()),
                          std::string(o.at("endpoint").as_string()), "", "",
                          std::string(o.at("createdAt").as_string())};
}

std::vector<PushSubscription> push_subscriptions_from_json(const json::value& value) {
  std::vector<PushSubscription> out;
  for (const auto& item : value.as_array()) {
    const auto& o = item.as_object();
    const auto& keys = o.at("keys").as_object();
    PushSubscription s{
        std::string(o.at("id").as_string()), std::string(o.at("endpoint").as_string()),
        std::string(keys.at("p256dh").as_string()), std::string(keys.at("auth").as_string()), ""};
    if (auto it = o.find("createdAt"); it != o.end() && it->value().is_string())
      s.created_at = std::string(it->value().as_string());
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ordo::contracts
