#include "services/users/domain.hpp"

#include <algorithm>
#include <cctype>

#include "platform/auth/p256.hpp"
#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"
#include "platform/http/json_body.hpp"

namespace ordo::services::users {
namespace {

bool valid_email_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) ||
         std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) {
    return false;
  }
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(domain.begin(), domain.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '-' || c == '.';
  });
}

}  // namespace

std::optional<std::string> normalize_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) {
    email.remove_prefix(1);
  }
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) {
    email.remove_suffix(1);
  }
  if (email.size() > 254)
    return std::nullopt;
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 ||
      email.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto local = email.substr(0, at);
  if (!std::all_of(local.begin(), local.end(), valid_email_char) || local.front() == '.' ||
      local.back() == '.' || local.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  if (!valid_domain(email.substr(at + 1)))
    return std::nullopt;
  std::string normalized(email);
  std::transform(normalized.begin(), normalized.end(), normalized.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return normalized;
}

// NIST SP 800-63B asks for 8 at least; 10 keeps the shortest guessable ones out of reach.
constexpr std::size_t kMinPasswordCharacters = 10;

std::optional<std::string> password_problem(std::string_view password) {
  std::size_t characters = 0;
  for (unsigned char c : password) {
    if ((c & 0xC0) != 0x80)
      ++characters;
  }
  if (characters < kMinPasswordCharacters)
    return "must be at least " + std::to_string(kMinPasswordCharacters) + " characters long";
  if (characters > 128)
    return "must be at most 128 characters long";
  if (std::all_of(password.begin(), password.end(),
                  [](unsigned char c) { return std::isspace(c); })) {
    return "must not be only whitespace";
  }
  if (password.find('\0') != std::string_view::npos)
    return "must not contain NUL characters";
  if (password.find_first_not_of(password.front()) == std::string_view::npos)
    return "must not be one character repeated";
  if (is_common_password(password))
    return "is one of the most common passwords; choose another";
  return std::nullopt;
}

bool is_role(std::string_view role) {
  return role == kRoleAdmin || role == kRoleUser;
}

RefreshTokenParts new_refresh_token() {
  return {core::uuid_v7(), core::random_hex(32)};
}

std::string refresh_token_text(const RefreshTokenParts& parts) {
  return parts.id + "." + parts.secret;
}

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

bool is_e164_phone(std::string_view text) {
  if (text.size() < 9 || text.size() > 16 || text.front() != '+' || text[1] == '0')
    return false;
  return std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; });
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

std::optional<RefreshTokenParts> parse_refresh_token(std::string_view text) {
  auto dot = text.find('.');
  if (dot == std::string_view::npos || text.size() > 200)
    return std::nullopt;
  RefreshTokenParts parts{std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
  if (!core::is_uuid(parts.id) || parts.secret.size() != 64)
    return std::nullopt;
  return parts;
}

std::string secret_hash(std::string_view secret) {
  return core::hex_encode(core::sha256(secret));
}

std::optional<RefreshStatus> parse_refresh_status(std::string_view text) {
  if (text == "active")
    return RefreshStatus::active;
  if (text == "used")
    return RefreshStatus::used;
  if (text == "revoked")
    return RefreshStatus::revoked;
  return std::nullopt;
}

RefreshDecision decide_refresh(const StoredRefreshToken& stored, std::string_view presented_secret,
                               std::int64_t now_ms) {
  // The secret check comes first: without the secret, a caller learns nothing and changes nothing.
  if (secret_hash(presented_secret) != stored.secret_hash)
    return RefreshDecision::reject;
  if (stored.status != RefreshStatus::active)
    return RefreshDecision::revoke_family;
  if (now_ms >= stored.expires_at_ms)
    return RefreshDecision::reject;
  return RefreshDecision::rotate;
}

LoginThrottle::Window& LoginThrottle::window_of(Windows& windows, const std::string& key,
                                                std::int64_t now_s) {
  // Only a new key needs room: making room must never drop the key being counted.
  if (!windows.contains(key) && windows.size() >= policy_.max_tracked_keys) {
    // Forget windows that no longer matter before refusing to track more.
    std::erase_if(windows, [&](const auto& entry) {
      return entry.second.locked_until_s <= now_s &&
             entry.second.started_s + policy_.window.count() <= now_s;
    });
    if (windows.size() >= policy_.max_tracked_keys)
      windows.erase(windows.begin());
  }
  auto& window = windows[key];
  if (window.locked_until_s <= now_s && window.started_s + policy_.window.count() <= now_s)
    window = Window{now_s, 0, 0, 0};
  return window;
}

std::int64_t LoginThrottle::lockout_after(int lockouts) const {
  std::int64_t seconds = policy_.lockout.count();
  for (int i = 1; i < lockouts && seconds < policy_.max_lockout.count(); ++i)
    seconds *= 2;
  return std::min<std::int64_t>(seconds, policy_.max_lockout.count());
}

std::optional<std::int64_t> LoginThrottle::refusal(Windows& windows, const std::string& key,
                                                   int max_attempts, std::int64_t now_s) {
  auto& window = window_of(windows, key, now_s);
  if (window.locked_until_s > now_s)
    return window.locked_until_s - now_s;
  if (window.attempts < max_attempts)
    return std::nullopt;
  // The budget is spent: lock, and start counting afresh once the lockout has passed. The
  // lockouts in a row are kept (window_of forgets them once a whole window passes quietly).
  auto lockout = lockout_after(++window.lockouts);
  window.locked_until_s = now_s + lockout;
  window.started_s = window.locked_until_s;
  window.attempts = 0;
  return lockout;
}

std::optional<std::int64_t> LoginThrottle::reserve(const std::string& account,
                                                   const std::string& address, std::int64_t now_s) {
  auto pair = account + "|" + address;
  auto by_pair = refusal(pairs_, pair, policy_.max_failures_per_account_address, now_s);
  auto by_account = refusal(accounts_, account, policy_.max_failures_per_account, now_s);
  auto by_address = refusal(addresses_, address, policy_.max_failures_per_address, now_s);
  if (by_pair || by_account || by_address) {
    return std::max({by_pair.value_or(0), by_account.value_or(0), by_address.value_or(0)});
  }
  ++pairs_[pair].attempts;
  ++accounts_[account].attempts;
  ++addresses_[address].attempts;
  return std::nullopt;
}

void LoginThrottle::give_back(Windows& windows, const std::string& key, std::int64_t now_s) {
  auto it = windows.find(key);
  if (it == windows.end())
    return;
  // A lockout that began meanwhile stands: the success of one attempt says nothing of the others.
  if (it->second.attempts > 0)
    --it->second.attempts;
  if (it->second.attempts == 0 && it->second.locked_until_s <= now_s)
    windows.erase(it);
}

void LoginThrottle::release(const std::string& account, const std::string& address,
                            std::int64_t now_s) {
  give_back(pairs_, account + "|" + address, now_s);
  give_back(accounts_, account, now_s);
  give_back(addresses_, address, now_s);
}

std::optional<std::int64_t> RegistrationBudget::take(const std::string& address,
                                                     std::int64_t now_s) {
  auto window_s = policy_.window.count();
  if (!addresses_.contains(address) && addresses_.size() >= policy_.max_tracked_keys) {
    std::erase_if(addresses_,
                  [&](const auto& entry) { return entry.second.started_s + window_s <= now_s; });
    if (addresses_.size() >= policy_.max_tracked_keys)
      addresses_.erase(addresses_.begin());
  }
  auto& window = addresses_[address];
  if (window.started_s + window_s <= now_s)
    window = Window{now_s, 0};
  if (window.used >= policy_.max_per_address)
    return window.started_s + window_s - now_s;
  ++window.used;
  return std::nullopt;
}

}  // namespace ordo::services::users
