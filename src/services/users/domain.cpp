#include "services/users/domain.hpp"

#include <algorithm>
#include <cctype>

#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"

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

bool is_e164_phone(std::string_view text) {
  if (text.size() < 9 || text.size() > 16 || text.front() != '+' || text[1] == '0')
    return false;
  return std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; });
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
