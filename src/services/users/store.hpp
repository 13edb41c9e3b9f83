// The users service's tables: accounts and refresh tokens. Every write that others must hear of
// enqueues its event in the same transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "contracts/users.hpp"
#include "platform/sql/database.hpp"
#include "services/users/domain.hpp"

namespace ordo::services::users {

struct UserRecord {
  contracts::User user;
  std::string password_hash;
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
  // Changes role and/or active and emits user.updated; deactivation revokes every refresh token
  // of the user.
  boost::asio::awaitable<std::optional<contracts::User>> update(const std::string& id,
                                                                std::optional<std::string> role,
                                                                std::optional<bool> active,
                                                                const std::string& traceparent);

  boost::asio::awaitable<void> set_password(const std::string& id, const std::string& hash);

  // Starts a session family with its first token.
  boost::asio::awaitable<void> insert_refresh_token(const RefreshTokenParts& token,
                                                    const std::string& family_id,
                                                    const std::string& user_id,
                                                    std::int64_t expires_at_ms);

  struct RotateOutcome {
    enum class Kind { rotated, rejected, family_revoked } kind = Kind::rejected;
    std::optional<contracts::User> user;  // when rotated
  };
  // Checks the presented token and, in one transaction, either issues `next` in its family,
  // revokes the family (reuse), or changes nothing.
  boost::asio::awaitable<RotateOutcome> rotate_refresh_token(const RefreshTokenParts& presented,
                                                             const RefreshTokenParts& next,
                                                             std::int64_t now_ms,
                                                             std::int64_t next_expires_at_ms);
  // Ends the session the token belongs to, when it belongs to user_id.
  boost::asio::awaitable<void> revoke_family_of(const RefreshTokenParts& token,
                                                const std::string& user_id);

 private:
  sql::Database& db_;
};

}  // namespace ordo::services::users
