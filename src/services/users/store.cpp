#include "services/users/store.hpp"

#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "services/users/events.hpp"

namespace ordo::services::users {
namespace {

constexpr std::string_view kUserColumns =
    "id, email, name, role, active, created_at, updated_at, password_hash";

contracts::User user_from_row(const sql::Row& row) {
  return contracts::User{row.text(0),    row.text(1), row.text(2), row.text(3),
                         row.boolean(4), row.text(5), row.text(6)};
}

std::string select_users(std::string_view where) {
  return "SELECT " + std::string(kUserColumns) + " FROM users " + std::string(where);
}

}  // namespace

boost::asio::awaitable<std::optional<contracts::User>> UserStore::create(
    const NewUser& input, const std::string& traceparent) {
  auto now = core::rfc3339();
  contracts::User user{core::uuid_v7(), input.email, input.name, input.role, true, now, now};
  try {
    co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
      co_await tx.exec(
          "INSERT INTO users (id, email, name, password_hash, role, active, created_at, "
          "updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
          sql::params(user.id, user.email, user.name, input.password_hash, user.role, now));
      co_await bus::enqueue(tx, user_registered(user, traceparent));
    });
  } catch (const sql::Error& e) {
    if (e.kind() == sql::Error::Kind::unique_violation)
      co_return std::nullopt;
    throw;
  }
  co_return user;
}

boost::asio::awaitable<std::optional<UserRecord>> UserStore::find_by_email(
    const std::string& email) {
  auto result = co_await db_.query(select_users("WHERE email = $1"), sql::params(email));
  if (result.empty())
    co_return std::nullopt;
  const auto& row = result.rows.front();
  co_return UserRecord{user_from_row(row), row.text(7)};
}

boost::asio::awaitable<std::optional<contracts::User>> UserStore::find_by_id(
    const std::string& id) {
  auto result = co_await db_.query(select_users("WHERE id = $1"), sql::params(id));
  if (result.empty())
    co_return std::nullopt;
  co_return user_from_row(result.rows.front());
}

boost::asio::awaitable<UserPage> UserStore::list(std::optional<std::string> after_id, int limit) {
  // One row more than asked tells whether another page follows.
  auto result = co_await db_.query(
      select_users("WHERE (CAST($1 AS TEXT) IS NULL OR id > $1) ORDER BY id LIMIT $2"),
      sql::params(after_id, limit + 1));
  UserPage page;
  for (const auto& row : result.rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_after_id = page.items.back().id;
      break;
    }
    page.items.push_back(user_from_row(row));
  }
  co_return page;
}

boost::asio::awaitable<std::optional<contracts::User>> UserStore::update(
    const std::string& id, std::optional<std::string> role, std::optional<bool> active,
    const std::string& traceparent) {
  std::optional<contracts::User> updated;
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    auto now = core::rfc3339();
    auto changed = co_await tx.exec(
        "UPDATE users SET role = COALESCE($2, role), active = COALESCE($3, active), "
        "updated_at = $4 WHERE id = $1",
        sql::params(id, role, active, now));
    if (changed.affected_rows == 0)
      co_return;
    if (active && !*active) {
      co_await tx.exec("UPDATE refresh_tokens SET status = 'revoked' WHERE user_id = $1",
                       sql::params(id));
    }
    auto row = co_await tx.exec(select_users("WHERE id = $1"), sql::params(id));
    updated = user_from_row(row.one());
    co_await bus::enqueue(tx, user_updated(*updated, traceparent));
  });
  co_return updated;
}

boost::asio::awaitable<void> UserStore::set_password(const std::string& id,
                                                     const std::string& hash) {
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    co_await tx.exec("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
                     sql::params(id, hash, core::rfc3339()));
  });
}

boost::asio::awaitable<void> UserStore::insert_refresh_token(const RefreshTokenParts& token,
                                                             const std::string& family_id,
                                                             const std::string& user_id,
                                                             std::int64_t expires_at_ms) {
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    co_await tx.exec(
        "INSERT INTO refresh_tokens (id, family_id, user_id, secret_hash, status, created_at_ms, "
        "expires_at_ms) VALUES ($1, $2, $3, $4, 'active', $5, $6)",
        sql::params(token.id, family_id, user_id, secret_hash(token.secret), core::unix_millis(),
                    expires_at_ms));
  });
}

boost::asio::awaitable<UserStore::RotateOutcome> UserStore::rotate_refresh_token(
    const RefreshTokenParts& presented, const RefreshTokenParts& next, std::int64_t now_ms,
    std::int64_t next_expires_at_ms) {
  RotateOutcome outcome;
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    auto found = co_await tx.exec(
        "SELECT id, family_id, user_id, secret_hash, status, expires_at_ms FROM refresh_tokens "
        "WHERE id = $1",
        sql::params(presented.id));
    if (found.empty())
      co_return;
    const auto& row = found.rows.front();
    StoredRefreshToken stored{row.text(0),
                              row.text(1),
                              row.text(2),
                              row.text(3),
                              parse_refresh_status(row.text(4)).value_or(RefreshStatus::revoked),
                              row.integer(5)};
    auto decision = decide_refresh(stored, presented.secret, now_ms);
    if (decision == RefreshDecision::reject)
      co_return;
    if (decision == RefreshDecision::revoke_family) {
      co_await tx.exec("UPDATE refresh_tokens SET status = 'revoked' WHERE family_id = $1",
                       sql::params(stored.family_id));
      outcome.kind = RotateOutcome::Kind::family_revoked;
      co_return;
    }
    auto user =
        co_await tx.exec(select_users("WHERE id = $1 AND active = 1"), sql::params(stored.user_id));
    if (user.empty())
      co_return;
    // Conditional: of two concurrent refreshes with the same token, exactly one rotates.
    auto used = co_await tx.exec(
        "UPDATE refresh_tokens SET status = 'used' WHERE id = $1 AND status = 'active'",
        sql::params(stored.id));
    if (used.affected_rows != 1)
      co_return;
    co_await tx.exec(
        "INSERT INTO refresh_tokens (id, family_id, user_id, secret_hash, status, created_at_ms, "
        "expires_at_ms) VALUES ($1, $2, $3, $4, 'active', $5, $6)",
        sql::params(next.id, stored.family_id, stored.user_id, secret_hash(next.secret), now_ms,
                    next_expires_at_ms));
    outcome.kind = RotateOutcome::Kind::rotated;
    outcome.user = user_from_row(user.rows.front());
  });
  co_return outcome;
}

boost::asio::awaitable<void> UserStore::revoke_family_of(const RefreshTokenParts& token,
                                                         const std::string& user_id) {
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    auto found = co_await tx.exec(
        "SELECT family_id, secret_hash FROM refresh_tokens WHERE id = $1 AND user_id = $2",
        sql::params(token.id, user_id));
    if (found.empty() || found.rows.front().text(1) != secret_hash(token.secret))
      co_return;
    co_await tx.exec("UPDATE refresh_tokens SET status = 'revoked' WHERE family_id = $1",
                     sql::params(found.rows.front().text(0)));
  });
}

}  // namespace ordo::services::users
