#include "services/users/requests.hpp"

#include <algorithm>

#include "platform/auth/p256.hpp"
#include "platform/core/encoding.hpp"
#include "platform/http/json_body.hpp"

namespace ordo::services::users {

Registration parse_registration(const boost::json::object& body) {
  http::FieldReader fields(body);
  auto email_text = fields.required_string("email", 3, 254);
  auto password = fields.required_string("password", 1, 1024);
  auto name = fields.required_string("name", 1, 100);
  std::optional<std::string> email;
  if (email_text) {
    email = normalize_email(*email_text);
    if (!email)
      fields.add_error("email", "is not an e-mail address");
  }
  if (password) {
    if (auto problem = password_problem(*password))
      fields.add_error("password", *problem);
  }
  fields.throw_if_invalid();
  return Registration{*email, *password, *name};
}

Credentials parse_credentials(const boost::json::object& body) {
  http::FieldReader fields(body);
  auto email_text = fields.required_string("email", 1, 254);
  auto password = fields.required_string("password", 1, 1024);
  fields.throw_if_invalid();
  return Credentials{normalize_email(*email_text).value_or(*email_text), *password};
}

std::string parse_refresh_token_field(const boost::json::object& body) {
  http::FieldReader fields(body);
  auto token_text = fields.required_string("refresh_token", 1, 512);
  fields.throw_if_invalid();
  return *token_text;
}

UserPatch parse_user_patch(const boost::json::object& body) {
  http::FieldReader fields(body);
  UserPatch patch{fields.optional_string("role", 16), fields.optional_bool("active")};
  if (patch.role && !is_role(*patch.role))
    fields.add_error("role", "must be \"admin\" or \"user\"");
  // Values, not members: {"role": null} changes nothing either, and is refused like {}.
  if (fields.ok() && !patch.role && !patch.active)
    fields.add_error("role", "role or active is required");
  fields.throw_if_invalid();
  return patch;
}

ProfilePatch parse_profile_patch(const boost::json::object& body) {
  http::FieldReader fields(body);
  ProfilePatch patch;
  if (fields.has("name")) {
    patch.name = fields.required_string("name", 1, 100);
  }
  if (auto it = body.find("phone"); it != body.end()) {
    if (it->value().is_null()) {
      patch.phone = std::optional<std::string>();
    } else if (!it->value().is_string() || !is_e164_phone(it->value().as_string())) {
      fields.add_error("phone", "must be an E.164 number (+ then 8 to 15 digits) or null");
    } else {
      patch.phone = std::string(it->value().as_string());
    }
  }
  for (const auto& [key, value] : body) {
    if (key != "name" && key != "phone")
      fields.add_error(std::string(key), "is not a field of the profile (name, phone)");
  }
  if (fields.ok() && !patch.name && !patch.phone)
    fields.add_error("name", "name or phone is required");
  fields.throw_if_invalid();
  return patch;
}

namespace {

constexpr std::size_t kMaxEndpointLength = 2048;

bool is_push_endpoint(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://"))
    rest = url.substr(8);
  else if (url.starts_with("http://"))
    rest = url.substr(7);
  else
    return false;
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  bool printable = std::all_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  return printable && !authority.empty() && authority.find('@') == std::string_view::npos &&
         url.find('#') == std::string_view::npos;
}

}  // namespace

NewPushSubscription parse_push_subscription(const boost::json::object& body) {
  http::FieldReader fields(body);
  NewPushSubscription subscription;
  if (auto endpoint = fields.required_string("endpoint", 1, kMaxEndpointLength)) {
    if (is_push_endpoint(*endpoint))
      subscription.endpoint = std::move(*endpoint);
    else
      fields.add_error("endpoint", "must be an absolute http:// or https:// URL");
  }
  const auto* keys = body.if_contains("keys");
  if (!keys || !keys->is_object()) {
    fields.add_error("keys", "is required: an object with p256dh and auth");
  } else {
    const auto& o = keys->as_object();
    auto decoded = [&](std::string_view name) -> std::optional<std::string> {
      const auto* value = o.if_contains(name);
      if (!value || !value->is_string() || value->as_string().size() > 200)
        return std::nullopt;
      // Browsers send base64url without padding; some libraries pad it.
      std::string_view text(value->as_string());
      while (text.ends_with('='))
        text.remove_suffix(1);
      return core::base64url_decode(text);
    };
    auto p256dh = decoded("p256dh");
    if (!p256dh || !auth::is_p256_point(*p256dh))
      fields.add_error("keys.p256dh",
                       "must be base64url of an uncompressed P-256 point (65 bytes)");
    else
      subscription.p256dh = core::base64url_encode(*p256dh);
    auto secret = decoded("auth");
    if (!secret || secret->size() != 16)
      fields.add_error("keys.auth", "must be base64url of 16 bytes");
    else
      subscription.auth = core::base64url_encode(*secret);
  }
  fields.throw_if_invalid();
  return subscription;
}

contracts::NotificationPreferences parse_notification_preferences(const boost::json::object& body) {
  http::FieldReader fields(body);
  const auto& kinds = contracts::notification_kinds();
  contracts::NotificationPreferences preferences;
  for (const auto& [kind_key, choice_value] : body) {
    std::string kind(kind_key);
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      fields.add_error(kind, "is not a kind of notification");
      continue;
    }
    if (!choice_value.is_object()) {
      fields.add_error(kind, "must be an object of email, sms and push booleans");
      continue;
    }
    contracts::ChannelChoice choice;
    for (const auto& [channel_key, flag] : choice_value.as_object()) {
      std::string field = kind + "." + std::string(channel_key);
      if (!flag.is_bool()) {
        fields.add_error(field, "must be true or false");
      } else if (channel_key == "email") {
        choice.email = flag.as_bool();
      } else if (channel_key == "sms") {
        choice.sms = flag.as_bool();
      } else if (channel_key == "push") {
        choice.push = flag.as_bool();
      } else {
        fields.add_error(field, "is not a channel (email, sms, push)");
      }
    }
    preferences.by_kind[kind] = choice;
  }
  fields.throw_if_invalid();
  return preferences;
}

}  // namespace ordo::services::users
