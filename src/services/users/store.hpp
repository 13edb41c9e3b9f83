// The users service's tables: accounts and refresh tokens. Every write that others must hear of
// enqueues its event in the same transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "contracts/notification_preferences.hpp"
#include "contracts/push_subscriptions.hpp"
#include "contracts/users.hpp"
#include "platform/sql/database.hpp"
#include "services/users/domain.hpp"

namespace ordo::services::users {

struct UserRecord {
  contracts::User user;
  std::string password_hash;
  std::int64_t token_version = 1;  // access tokens carry it (auth::Claims::ver)
  contracts::NotificationPreferences preferences{};
};

struct NewUser {
  std::string email;
  std::string name;
  std::string password_hash;
  std::string role;
};

struct UserPage {
  std::vector<contracts::User> items;
  std::optional<std::string> next_after_id;  // the last id of this page when more follow
};

class UserStore {
 public:
  explicit UserStore(sql::Database& db) : db_(db) {}

  // Inserts the user and its user.registered event. nullopt when the email is taken.
  boost::asio::awaitable<std::optional<contracts::User>> create(const NewUser& user,
                                                                const std::string& traceparent);
  boost::asio::awaitable<std::optional<UserRecord>> find_by_email(const std::string& email);
  boost::asio::awaitable<std::optional<contracts::User>> find_by_id(const std::string& id);
  boost::asio::awaitable<UserPage> list(std::optional<std::string> after_id, int limit);
  // Changes role and/or active and emits user.updated. A real change raises the token version
  // (the user's access tokens die everywhere); deactivation also revokes every refresh token.
  boost::asio::awaitable<std::optional<contracts::User>> update(const std::string& id,
                                                                std::optional<std::string> role,
                                                                std::optional<bool> active,
                                                                const std::string& traceparent);

  // The user's own name and/or phone (PATCH /users/me), announced in user.updated. nullopt when
  // there is no such active user. The token version stays: nothing about access changed.
  boost::asio::awaitable<std::optional<contracts::User>> update_profile(
      const std::string& id, const ProfilePatch& patch, const std::string& traceparent);
  // An active user's notification preferences (the defaults until set), or nullopt.
  boost::asio::awaitable<std::optional<contracts::NotificationPreferences>> preferences(
      const std::string& id);
  // Replaces them and announces them in user.updated; false when there is no such active user.
  boost::asio::awaitable<bool> set_preferences(
      const std::string& id, const contracts::NotificationPreferences& preferences,
      const std::string& traceparent);

  // Web Push subscriptions (POST|GET|DELETE /users/me/push-subscriptions). Adding or removing
  // one announces the user's whole list in user.updated.
  struct AddedSubscription {
    enum class Outcome { created, existing, over_limit, no_user } outcome = Outcome::no_user;
    contracts::PushSubscription subscription;  // created or existing
  };
  // The same endpoint with the same keys again is the existing subscription; with other keys, or
  // from another user, it replaces the old one (an endpoint is one browser profile).
  boost::asio::awaitable<AddedSubscription> add_push_subscription(
      const std::string& user_id, const NewPushSubscription& subscription, std::size_t max_per_user,
      const std::string& traceparent);
  boost::asio::awaitable<std::vector<contracts::PushSubscription>> push_subscriptions(
      const std::string& user_id);
  // False when the user has no subscription with this id.
  boost::asio::awaitable<bool> remove_push_subscription(const std::string& user_id,
                                                        const std::string& id,
                                                        const std::string& traceparent);

  // A password reset: every session of the user ends (refresh tokens revoked, version raised).
  boost::asio::awaitable<void> set_password(const std::string& id, const std::string& hash,
                                            const std::string& traceparent);

  // Starts a session family with its first token.
  boost::asio::awaitable<void> insert_refresh_token(const RefreshTokenParts& token,
                                                    const std::string& family_id,
                                                    const std::string& user_id,
                                                    std::int64_t expires_at_ms);

  struct RotateOutcome {
    enum class Kind { rotated, rejected, family_revoked } kind = Kind::rejected;
    std::optional<UserRecord> user;  // when rotated
    std::string session_id;          // the family, when rotated
  };
  // What ending a session tells the other services: refuse its access tokens until until_s.
  struct SessionEnd {
    std::int64_t until_s = 0;
    std::string traceparent;
  };
  // Checks the presented token and, in one transaction, either issues `next` in its family,
  // revokes the family (reuse: the session ends, see SessionEnd), or changes nothing.
  boost::asio::awaitable<RotateOutcome> rotate_refresh_token(const RefreshTokenParts& presented,
                                                             const RefreshTokenParts& next,
                                                             std::int64_t now_ms,
                                                             std::int64_t next_expires_at_ms,
                                                             const SessionEnd& end);
  // Logout: ends the session of the caller's access token and the session `token` belongs to
  // when it is user_id's; their refresh tokens are revoked and user.session_ended emitted.
  boost::asio::awaitable<void> end_sessions(const std::string& user_id,
                                            const std::string& session_id,
                                            const std::optional<RefreshTokenParts>& token,
                                            const SessionEnd& end);

 private:
  sql::Database& db_;
};

}  // namespace ordo::services::users
