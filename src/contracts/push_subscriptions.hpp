// A browser's Web Push subscription (the PushSubscription a browser hands out: endpoint and keys),
// as the users service keeps it (POST|GET|DELETE /users/me/push-subscriptions) and carries it in
// user.registered / user.updated to the notifications service, which sends to it.
#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace ordo::contracts {

struct PushSubscription {
  std::string id;
  std::string endpoint;  // the push service's URL for this browser
  std::string p256dh;    // base64url of the browser's 65-byte P-256 public point
  std::string auth;      // base64url of its 16-byte auth secret
  std::string created_at;
  bool operator==(const PushSubscription&) const = default;
};

// The API's form: {id, endpoint, createdAt} (the keys stay out of answers: nobody needs them back).
boost::json::value to_public_json(const PushSubscription& subscription);
// Reads the API's form back (keys left empty). Throws std::exception on a bad shape.
PushSubscription push_subscription_from_public_json(const boost::json::value& value);
// The events' form: {id, endpoint, keys: {p256dh, auth}, createdAt}.
boost::json::value to_json(const std::vector<PushSubscription>& subscriptions);
// Throws std::exception when the value is not such a list.
std::vector<PushSubscription> push_subscriptions_from_json(const boost::json::value& value);

}  // namespace ordo::contracts
