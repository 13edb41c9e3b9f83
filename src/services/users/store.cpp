#include "services/users/store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "services/users/emits.hpp"

namespace ordo::services::users {
namespace {

constexpr std::string_view kUserColumns =
    "id, email, name, role, active, created_at, updated_at, password_hash, token_version, phone, "
    "notification_preferences";

contracts::User user_from_row(const sql::Row& row) {
  return contracts::User{row.text(0),    row.text(1), row.text(2), row.text(3),
                         row.boolean(4), row.text(5), row.text(6), row.optional_text(9)};
}

// NULL (never set) is the defaults.
contracts::NotificationPreferences preferences_from_row(const sql::Row& row) {
  auto text = row.optional_text(10);
  if (!text)
    return {};
  return contracts::notification_preferences_from_json(boost::json::parse(*text));
}

std::string select_users(std::string_view where) {
  return "SELECT " + std::string(kUserColumns) + " FROM users " + std::string(where);
}

UserRecord record_from_row(const sql::Row& row) {
  return UserRecord{user_from_row(row), row.text(7), row.integer(8), preferences_from_row(row)};
}

// Revokes the family's refresh tokens and tells every service to refuse its access tokens.
boost::asio::awaitable<void> end_family(sql::Transaction& tx, const std::string& user_id,
                                        const std::string& family_id,
                                        const UserStore::SessionEnd& end) {
  co_await tx.exec(
      "UPDATE refresh_tokens SET status = 'revoked' WHERE family_id = $1 AND user_id = $2",
      sql::params(family_id, user_id));
  co_await bus::enqueue(tx, session_ended(user_id, family_id, end.until_s, end.traceparent));
}

constexpr std::string_view kSubscriptionColumns = "id, endpoint, p256dh, auth, created_at";

contracts::PushSubscription subscription_from_row(const sql::Row& row) {
  return {row.text(0), row.text(1), row.text(2), row.text(3), row.text(4)};
}

boost::asio::awaitable<std::vector<contracts::PushSubscription>> subscriptions_of(
    sql::Transaction& tx, const std::string& user_id) {
  auto rows = co_await tx.exec("SELECT " + std::string(kSubscriptionColumns) +
                                   " FROM push_subscriptions WHERE user_id = $1 ORDER BY id",
                               sql::params(user_id));
  std::vector<contracts::PushSubscription> out;
  for (const auto& row : rows.rows)
    out.push_back(subscription_from_row(row));
  co_return out;
}

// The user as it is now, with the user.updated event that says so (push subscriptions included:
// the notifications service keeps the whole list from each event).
boost::asio::awaitable<UserRecord> announce_update(sql::Transaction& tx, const std::string& id,
                                                   const std::string& traceparent) {
  auto row = co_await tx.exec(select_users("WHERE id = $1"), sql::params(id));
  auto record = record_from_row(row.one());
  auto subscriptions = co_await subscriptions_of(tx, id);
  co_await bus::enqueue(tx, user_updated(record.user, record.token_version, record.preferences,
                                         subscriptions, traceparent));
  co_return record;
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
  co_return record_from_row(result.rows.front());
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
    // The right-hand sides see the row as it was: the version rises only on a real change.
    auto changed = co_await tx.exec(
        "UPDATE users SET role = COALESCE($2, role), active = COALESCE($3, active), "
        "token_version = token_version + CASE WHEN role <> COALESCE($2, role) OR "
        "active <> COALESCE($3, active) THEN 1 ELSE 0 END, updated_at = $4 WHERE id = $1",
        sql::params(id, role, active, now));
    if (changed.affected_rows == 0)
      co_return;
    if (active && !*active) {
      co_await tx.exec("UPDATE refresh_tokens SET status = 'revoked' WHERE user_id = $1",
                       sql::params(id));
    }
    auto record = co_await announce_update(tx, id, traceparent);
    updated = std::move(record.user);
  });
  co_return updated;
}

boost::asio::awaitable<std::optional<contracts::User>> UserStore::update_profile(
    const std::string& id, const ProfilePatch& patch, const std::string& traceparent) {
  std::optional<contracts::User> updated;
  // Bound as values: whether the phone was given, and what it becomes (NULL clears it).
  bool phone_given = patch.phone.has_value();
  std::optional<std::string> phone = phone_given ? *patch.phone : std::nullopt;
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    auto changed = co_await tx.exec(
        "UPDATE users SET name = COALESCE($2, name), "
        "phone = CASE WHEN $3 = 1 THEN $4 ELSE phone END, updated_at = $5 "
        "WHERE id = $1 AND active = 1",
        sql::params(id, patch.name, phone_given ? 1 : 0, phone, core::rfc3339()));
    if (changed.affected_rows == 0)
      co_return;
    auto record = co_await announce_update(tx, id, traceparent);
    updated = std::move(record.user);
  });
  co_return updated;
}

boost::asio::awaitable<std::optional<contracts::NotificationPreferences>> UserStore::preferences(
    const std::string& id) {
  auto result = co_await db_.query(select_users("WHERE id = $1 AND active = 1"), sql::params(id));
  if (result.empty())
    co_return std::nullopt;
  co_return preferences_from_row(result.rows.front());
}

boost::asio::awaitable<bool> UserStore::set_preferences(
    const std::string& id, const contracts::NotificationPreferences& preferences,
    const std::string& traceparent) {
  bool found = false;
  auto text = boost::json::serialize(contracts::to_json(preferences));
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    auto changed = co_await tx.exec(
        "UPDATE users SET notification_preferences = $2, updated_at = $3 "
        "WHERE id = $1 AND active = 1",
        sql::params(id, text, core::rfc3339()));
    if (changed.affected_rows == 0)
      co_return;
    co_await announce_update(tx, id, traceparent);
    found = true;
  });
  co_return found;
}

boost::asio::awaitable<UserStore::AddedSubscription> UserStore::add_push_subscription(
    const std::string& user_id, const NewPushSubscription& input, std::size_t max_per_user,
    const std::string& traceparent) {
  AddedSubscription added;
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    auto user =
        co_await tx.exec("SELECT id FROM users WHERE id = $1 AND active = 1", sql::params(user_id));
    if (user.empty()) {
      added.outcome = AddedSubscription::Outcome::no_user;
      co_return;
    }
    auto existing = co_await tx.exec("SELECT " + std::string(kSubscriptionColumns) +
                                         ", user_id FROM push_subscriptions WHERE endpoint = $1",
                                     sql::params(input.endpoint));
    if (!existing.empty()) {
      const auto& row = existing.rows.front();
      if (row.text(5) == user_id && row.text(2) == input.p256dh && row.text(3) == input.auth) {
        added.subscription = subscription_from_row(row);
        added.outcome = AddedSubscription::Outcome::existing;
        co_return;
      }
      // The browser subscribed again (new keys) or for someone else who signed in on it: the
      // endpoint is theirs now, and its previous owner stops hearing through it.
      auto previous_owner = row.text(5);
      co_await tx.exec("DELETE FROM push_subscriptions WHERE endpoint = $1",
                       sql::params(input.endpoint));
      if (previous_owner != user_id)
        co_await announce_update(tx, previous_owner, traceparent);
    }
    auto count = co_await tx.exec("SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1",
                                  sql::params(user_id));
    if (static_cast<std::size_t>(count.rows.front().integer(0)) >= max_per_user) {
      added.outcome = AddedSubscription::Outcome::over_limit;
      co_return;
    }
    contracts::PushSubscription subscription{core::uuid_v7(), input.endpoint, input.p256dh,
                                             input.auth, core::rfc3339()};
    co_await tx.exec(
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        sql::params(subscription.id, user_id, subscription.endpoint, subscription.p256dh,
                    subscription.auth, subscription.created_at));
    co_await announce_update(tx, user_id, traceparent);
    added.subscription = std::move(subscription);
    added.outcome = AddedSubscription::Outcome::created;
  });
  co_return added;
}

boost::asio::awaitable<std::vector<contracts::PushSubscription>> UserStore::push_subscriptions(
    const std::string& user_id) {
  auto rows = co_await db_.query("SELECT " + std::string(kSubscriptionColumns) +
                                     " FROM push_subscriptions WHERE user_id = $1 ORDER BY id",
                                 sql::params(user_id));
  std::vector<contracts::PushSubscription> out;
  for (const auto& row : rows.rows)
    out.push_back(subscription_from_row(row));
  co_return out;
}

boost::asio::awaitable<bool> UserStore::remove_push_subscription(const std::string& user_id,
                                                                 const std::string& id,
                                                                 const std::string& traceparent) {
  bool removed = false;
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    auto deleted = co_await tx.exec("DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2",
                                    sql::params(id, user_id));
    if (deleted.affected_rows == 0)
      co_return;
    co_await announce_update(tx, user_id, traceparent);
    removed = true;
  });
  co_return removed;
}

boost::asio::awaitable<void> UserStore::set_password(const std::string& id, const std::string& hash,
                                                     const std::string& traceparent) {
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    auto changed = co_await tx.exec(
        "UPDATE users SET password_hash = $2, token_version = token_version + 1, "
        "updated_at = $3 WHERE id = $1",
        sql::params(id, hash, core::rfc3339()));
    if (changed.affected_rows == 0)
      co_return;
    co_await tx.exec("UPDATE refresh_tokens SET status = 'revoked' WHERE user_id = $1",
                     sql::params(id));
    co_await announce_update(tx, id, traceparent);
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
    std::int64_t next_expires_at_ms, const SessionEnd& end) {
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
      // Someone replayed a used token: whoever holds the family's access tokens loses them too.
      co_await end_family(tx, stored.user_id, stored.family_id, end);
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
    outcome.user = record_from_row(user.rows.front());
    outcome.session_id = stored.family_id;
  });
  co_return outcome;
}

boost::asio::awaitable<void> UserStore::end_sessions(const std::string& user_id,
                                                     const std::string& session_id,
                                                     const std::optional<RefreshTokenParts>& token,
                                                     const SessionEnd& end) {
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    co_await end_family(tx, user_id, session_id, end);
    if (!token)
      co_return;
    auto found = co_await tx.exec(
        "SELECT family_id, secret_hash FROM refresh_tokens WHERE id = $1 AND user_id = $2",
        sql::params(token->id, user_id));
    if (found.empty() || found.rows.front().text(1) != secret_hash(token->secret))
      co_return;
    const auto& family_id = found.rows.front().text(0);
    if (family_id != session_id)
      co_await end_family(tx, user_id, family_id, end);
  });
}

}  // namespace ordo::services::users
