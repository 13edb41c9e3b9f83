// Which valid-looking access tokens must be refused anyway: those of a user whose role or active
// flag changed since the token was issued (a higher token version), of a deactivated user, and of
// a session that ended (logout, a replayed refresh token). Every service keeps one, fed from the
// users service's events (app/access_view), and consults it on every authenticated request:
// a signature alone cannot say that the facts it vouched for are no longer true.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "platform/auth/jwt.hpp"

namespace ordo::auth {

struct UserStanding {
  std::int64_t token_version = 0;  // tokens issued with an older version are refused
  bool active = true;
};

class TokenRevocations {
 public:
  // Why the token must be refused ("revoked", "account deactivated"), or nullopt when it stands.
  std::optional<std::string_view> refusal(const Claims& claims, std::int64_t now_s) const;

  // Newer versions replace older ones; an older one arriving late changes nothing.
  void user_changed(const std::string& user_id, UserStanding standing);
  // Tokens of the session are refused until `until_s`, after which none of them is valid anyway.
  void session_ended(const std::string& session_id, std::int64_t until_s);
  // Drops sessions whose tokens have all expired.
  void forget_expired(std::int64_t now_s);

  std::size_t users() const;
  std::size_t sessions() const;

 private:
  mutable std::shared_mutex mutex_;  // many readers (every request), rare writers (events)
  std::unordered_map<std::string, UserStanding> users_;
  std::unordered_map<std::string, std::int64_t> ended_sessions_;  // session id -> until_s
};

}  // namespace ordo::auth
