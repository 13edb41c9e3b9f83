#include "platform/auth/revocations.hpp"

#include <mutex>

namespace ordo::auth {

std::optional<std::string_view> TokenRevocations::refusal(const Claims& claims,
                                                          std::int64_t now_s) const {
  std::shared_lock lock(mutex_);
  if (auto user = users_.find(claims.sub); user != users_.end()) {
    if (!user->second.active)
      return "the account is deactivated";
    if (claims.ver < user->second.token_version)
      return "revoked: the account's role or status changed; sign in again";
  }
  if (auto session = ended_sessions_.find(claims.sid);
      session != ended_sessions_.end() && session->second > now_s) {
    return "revoked: the session has ended";
  }
  return std::nullopt;
}

void TokenRevocations::user_changed(const std::string& user_id, UserStanding standing) {
  std::unique_lock lock(mutex_);
  auto [it, added] = users_.try_emplace(user_id, standing);
  if (!added && standing.token_version >= it->second.token_version)
    it->second = standing;
}

void TokenRevocations::session_ended(const std::string& session_id, std::int64_t until_s) {
  std::unique_lock lock(mutex_);
  auto [it, added] = ended_sessions_.try_emplace(session_id, until_s);
  if (!added && until_s > it->second)
    it->second = until_s;
}

void TokenRevocations::forget_expired(std::int64_t now_s) {
  std::unique_lock lock(mutex_);
  std::erase_if(ended_sessions_, [now_s](const auto& entry) { return entry.second <= now_s; });
}

std::size_t TokenRevocations::users() const {
  std::shared_lock lock(mutex_);
  return users_.size();
}

std::size_t TokenRevocations::sessions() const {
  std::shared_lock lock(mutex_);
  return ended_sessions_.size();
}

}  // namespace ordo::auth
