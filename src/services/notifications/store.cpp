#include "services/notifications/store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/sql/bindings.hpp"

namespace ordo::services::notifications {
namespace {
using boost::asio::awaitable;

constexpr std::string_view kColumns =
    "n.id, n.recipient_id, n.event_id, n.event_type, n.channel, n.subject, n.body, n.data, "
    "n.status, n.attempts, n.last_error, n.created_at, n.delivered_at";
constexpr std::size_t kColumnCount = 13;

Notification notification_from_row(const sql::Row& row) {
  return Notification{row.text(0),          row.text(1),    row.text(2),           row.text(3),
                      row.text(4),          row.text(5),    row.text(6),           row.text(7),
                      row.text(8),          row.integer(9), row.optional_text(10), row.text(11),
                      row.optional_text(12)};
}

constexpr std::string_view kRecipientColumns =
    "r.user_id, r.email, r.name, r.role, r.active, r.phone, r.preferences, r.push_subscriptions";

Recipient recipient_from_row(const sql::Row& row, std::size_t first) {
  Recipient recipient{row.text(first),        row.text(first + 1),
                      row.text(first + 2),    row.text(first + 3),
                      row.boolean(first + 4), row.optional_text(first + 5).value_or("")};
  if (auto preferences = row.optional_text(first + 6))
    recipient.preferences =
        contracts::notification_preferences_from_json(boost::json::parse(*preferences));
  if (auto subscriptions = row.optional_text(first + 7))
    recipient.push_subscriptions =
        contracts::push_subscriptions_from_json(boost::json::parse(*subscriptions));
  return recipient;
}

std::optional<std::string> push_subscriptions_text(
    const std::vector<contracts::PushSubscription>& subscriptions) {
  if (subscriptions.empty())
    return std::nullopt;
  return boost::json::serialize(contracts::to_json(subscriptions));
}

std::optional<std::string> preferences_text(const Recipient& r) {
  if (r.preferences.by_kind.empty())
    return std::nullopt;
  return boost::json::serialize(contracts::to_json(r.preferences));
}

std::optional<std::string> phone_value(const Recipient& r) {
  if (r.phone.empty())
    return std::nullopt;
  return r.phone;
}

std::string select_notifications(std::string_view rest) {
  return "SELECT " + std::string(kColumns) + " FROM notifications n " + std::string(rest);
}

}  // namespace

awaitable<void> NotificationStore::add_recipient(sql::Transaction& tx, const Recipient& r) {
  co_await tx.exec(
      "INSERT INTO recipients (user_id, email, name, role, active, updated_at, phone, "
      "preferences, push_subscriptions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "ON CONFLICT (user_id) DO NOTHING",
      sql::params(r.user_id, r.email, r.name, r.role, r.active, core::rfc3339(), phone_value(r),
                  preferences_text(r), push_subscriptions_text(r.push_subscriptions)));
}

awaitable<void> NotificationStore::put_recipient(sql::Transaction& tx, const Recipient& r) {
  co_await tx.exec(
      "INSERT INTO recipients (user_id, email, name, role, active, updated_at, phone, "
      "preferences, push_subscriptions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "ON CONFLICT (user_id) DO UPDATE SET "
      "email = excluded.email, name = excluded.name, role = excluded.role, "
      "active = excluded.active, updated_at = excluded.updated_at, phone = excluded.phone, "
      "preferences = excluded.preferences, push_subscriptions = excluded.push_subscriptions",
      sql::params(r.user_id, r.email, r.name, r.role, r.active, core::rfc3339(), phone_value(r),
                  preferences_text(r), push_subscriptions_text(r.push_subscriptions)));
}

awaitable<std::vector<Recipient>> NotificationStore::admins(sql::Transaction& tx) {
  auto result = co_await tx.exec("SELECT " + std::string(kRecipientColumns) +
                                 " FROM recipients r WHERE r.role = 'admin' ORDER BY r.user_id");
  std::vector<Recipient> out;
  for (const auto& row : result.rows)
    out.push_back(recipient_from_row(row, 0));
  co_return out;
}

awaitable<std::optional<Recipient>> NotificationStore::recipient(sql::Transaction& tx,
                                                                 const std::string& user_id) {
  auto result = co_await tx.exec(
      "SELECT " + std::string(kRecipientColumns) + " FROM recipients r WHERE r.user_id = $1",
      sql::params(user_id));
  if (result.empty())
    co_return std::nullopt;
  co_return recipient_from_row(result.rows.front(), 0);
}

awaitable<bool> NotificationStore::add_notification(sql::Transaction& tx, const NewNotification& n,
                                                    std::int64_t now_ms) {
  auto now = core::rfc3339_from_millis(now_ms);
  auto inserted = co_await tx.exec(
      "INSERT INTO notifications (id, recipient_id, event_id, event_type, channel, subject, "
      "body, data, status, attempts, next_attempt_at_ms, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10, $10) "
      "ON CONFLICT (event_id, recipient_id, channel) DO NOTHING",
      sql::params(core::uuid_v7(), n.recipient_id, n.event_id, n.event_type, n.channel,
                  n.message.subject, n.message.body, boost::json::serialize(n.message.data), now_ms,
                  now));
  co_return inserted.affected_rows == 1;
}

awaitable<ClaimedDeliveries> NotificationStore::claim_due(std::int64_t now_ms, std::size_t limit,
                                                          std::int64_t lease_ms) {
  ClaimedDeliveries claim{core::uuid_v7(), now_ms + lease_ms, {}};
  // PostgreSQL: rows another instance's claim is locking are skipped rather than waited for
  // (and re-checked once committed); SQLite runs one writer at a time anyway.
  std::string_view skip_locked =
      db_.dialect() == sql::Dialect::postgres ? " FOR UPDATE SKIP LOCKED" : "";
  std::string claim_statement =
      "UPDATE notifications SET claimed_by = $1, claimed_until_ms = $2 WHERE id IN ("
      "SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at_ms <= $3 "
      "AND (claimed_until_ms IS NULL OR claimed_until_ms <= $3) "
      "ORDER BY next_attempt_at_ms, id LIMIT $4" +
      std::string(skip_locked) + ")";
  std::string claimed_statement = "SELECT " + std::string(kColumns) + ", " +
                                  std::string(kRecipientColumns) +
                                  " FROM notifications n "
                                  "LEFT JOIN recipients r ON r.user_id = n.recipient_id "
                                  "WHERE n.claimed_by = $1 ORDER BY n.next_attempt_at_ms, n.id";
  sql::Result result;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    co_await tx.exec(claim_statement, sql::params(claim.id, claim.until_ms, now_ms, limit));
    result = co_await tx.exec(claimed_statement, sql::params(claim.id));
  });
  for (const auto& row : result.rows) {
    Delivery delivery{notification_from_row(row), Recipient{}};
    // Not in the view (an order of a user whose registration we never saw): the id is enough.
    if (row.is_null(kColumnCount)) {
      delivery.recipient.user_id = delivery.notification.recipient_id;
    } else {
      delivery.recipient = recipient_from_row(row, kColumnCount);
    }
    claim.deliveries.push_back(std::move(delivery));
  }
  co_return claim;
}

awaitable<std::optional<std::int64_t>> NotificationStore::next_due_ms() {
  auto result = co_await db_.query(
      "SELECT MIN(CASE WHEN claimed_until_ms > next_attempt_at_ms THEN claimed_until_ms "
      "ELSE next_attempt_at_ms END) FROM notifications WHERE status = 'pending'");
  co_return result.one().optional_integer(0);
}

awaitable<std::int64_t> NotificationStore::record_delivered(const std::string& claim_id,
                                                            const std::vector<std::string>& ids) {
  sql::Bindings params;
  params.bind(core::rfc3339());  // $1
  params.bind(claim_id);         // $2
  auto in = params.bind_each(ids);
  std::int64_t recorded = 0;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    auto result = co_await tx.exec(
        "UPDATE notifications SET status = 'delivered', attempts = attempts + 1, "
        "delivered_at = $1, updated_at = $1, claimed_until_ms = NULL "
        "WHERE status = 'pending' AND claimed_by = $2 AND id IN (" +
            in + ")",
        std::move(params.values()));
    recorded = result.affected_rows;
  });
  co_return recorded;
}

awaitable<void> NotificationStore::record_failure(const std::string& claim_id,
                                                  const std::string& id, const std::string& error,
                                                  std::optional<std::int64_t> retry_at_ms) {
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    auto now = core::rfc3339();
    std::string status(retry_at_ms ? kStatusPending : kStatusFailed);
    co_await tx.exec(
        "UPDATE notifications SET status = $2, attempts = attempts + 1, last_error = $3, "
        "next_attempt_at_ms = COALESCE($4, next_attempt_at_ms), updated_at = $5, "
        "claimed_until_ms = NULL WHERE id = $1 AND status = 'pending' AND claimed_by = $6",
        sql::params(id, status, error.substr(0, 500), retry_at_ms, now, claim_id));
  });
}

awaitable<void> NotificationStore::release(const std::string& claim_id) {
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    co_await tx.exec(
        "UPDATE notifications SET claimed_until_ms = NULL "
        "WHERE claimed_by = $1 AND status = 'pending' AND claimed_until_ms IS NOT NULL",
        sql::params(claim_id));
  });
}

awaitable<NotificationPage> NotificationStore::list(const ListFilter& filter,
                                                    std::optional<std::string> before_id,
                                                    int limit) {
  // Newest first: UUIDv7 ids are time-ordered, so the id is the keyset. One row more than asked
  // tells whether another page follows.
  auto result = co_await db_.query(
      select_notifications(
          "WHERE (CAST($1 AS TEXT) IS NULL OR n.recipient_id = $1) "
          "AND (CAST($2 AS TEXT) IS NULL OR n.status = $2) "
          "AND (CAST($3 AS TEXT) IS NULL OR n.id < $3) ORDER BY n.id DESC LIMIT $4"),
      sql::params(filter.recipient_id, filter.status, before_id, limit + 1));
  NotificationPage page;
  for (const auto& row : result.rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_after_id = page.items.back().id;
      break;
    }
    page.items.push_back(notification_from_row(row));
  }
  co_return page;
}

awaitable<std::vector<Notification>> NotificationStore::newer_than(const std::string& recipient_id,
                                                                   const std::string& after_id,
                                                                   int limit) {
  auto result = co_await db_.query(
      select_notifications("WHERE n.recipient_id = $1 AND n.id > $2 ORDER BY n.id LIMIT $3"),
      sql::params(recipient_id, after_id, limit));
  std::vector<Notification> out;
  for (const auto& row : result.rows)
    out.push_back(notification_from_row(row));
  co_return out;
}

awaitable<std::optional<Notification>> NotificationStore::find(const std::string& id) {
  auto result = co_await db_.query(select_notifications("WHERE n.id = $1"), sql::params(id));
  if (result.empty())
    co_return std::nullopt;
  co_return notification_from_row(result.rows.front());
}

awaitable<std::optional<Recipient>> NotificationStore::recipient(const std::string& user_id) {
  auto result = co_await db_.query(
      "SELECT " + std::string(kRecipientColumns) + " FROM recipients r WHERE r.user_id = $1",
      sql::params(user_id));
  if (result.empty())
    co_return std::nullopt;
  co_return recipient_from_row(result.rows.front(), 0);
}

awaitable<bool> NotificationStore::remove_push_subscription(std::string user_id,
                                                            std::string endpoint) {
  bool removed = false;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    auto found = co_await tx.exec("SELECT push_subscriptions FROM recipients WHERE user_id = $1",
                                  sql::params(user_id));
    if (found.empty())
      co_return;
    auto before = found.rows.front().optional_text(0);
    if (!before)
      co_return;
    auto subscriptions = contracts::push_subscriptions_from_json(boost::json::parse(*before));
    auto gone = std::erase_if(subscriptions, [&](const contracts::PushSubscription& s) {
      return s.endpoint == endpoint;
    });
    if (gone == 0)
      co_return;
    // Only over the list just read: a user.updated consumed meanwhile carries the users
    // service's newer list, which wins.
    auto changed = co_await tx.exec(
        "UPDATE recipients SET push_subscriptions = $2 WHERE user_id = $1 AND "
        "push_subscriptions = $3",
        sql::params(user_id, push_subscriptions_text(subscriptions), *before));
    removed = changed.affected_rows == 1;
  });
  co_return removed;
}

}  // namespace ordo::services::notifications
