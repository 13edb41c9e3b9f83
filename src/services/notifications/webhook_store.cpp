#include "services/notifications/webhook_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "services/notifications/log_channel.hpp"
#include "services/notifications/store.hpp"
#include "services/notifications/webhook_domain.hpp"

namespace ordo::services::notifications {
namespace {
using boost::asio::awaitable;
namespace json = boost::json;

constexpr std::string_view kWebhookColumns =
    "id, url, events, description, secret, status, created_by, failing_since_ms, created_at, "
    "updated_at";
constexpr std::string_view kDeliveryColumns =
    "d.id, d.webhook_id, d.event_id, d.event_type, d.body, d.status, d.attempts, "
    "d.last_response_code, d.last_error, d.next_attempt_at_ms, d.created_at, d.delivered_at, "
    "d.claimed_by";

std::string events_text(const std::vector<std::string>& events) {
  json::array array;
  for (const auto& event : events)
    array.emplace_back(event);
  return json::serialize(array);
}

std::vector<std::string> events_from_text(const std::string& text) {
  std::vector<std::string> out;
  auto parsed = json::parse(text);
  for (const auto& event : parsed.as_array())
    out.emplace_back(event.as_string());
  return out;
}

Webhook webhook_from_row(const sql::Row& row) {
  return Webhook{row.text(0), row.text(1), events_from_text(row.text(2)), row.text(3), row.text(4),
                 row.text(5), row.text(6), row.optional_integer(7),       row.text(8), row.text(9)};
}

WebhookDelivery delivery_from_row(const sql::Row& row) {
  return WebhookDelivery{
      row.text(0),          row.text(1),    row.text(2),    row.text(3),
      row.text(4),          row.text(5),    row.integer(6), row.optional_integer(7),
      row.optional_text(8), row.integer(9), row.text(10),   row.optional_text(11),
      row.optional_text(12)};
}

// Newest first by UUIDv7 id; one row more than asked tells whether another page follows.
template <typename Item, typename FromRow>
WebhookPage<Item> page_of(const sql::Result& result, int limit, FromRow from_row) {
  WebhookPage<Item> page;
  for (const auto& row : result.rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_after_id = page.items.back().id;
      break;
    }
    page.items.push_back(from_row(row));
  }
  return page;
}

}  // namespace

awaitable<void> WebhookStore::add(const Webhook& w) {
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    co_await tx.exec(
        "INSERT INTO webhooks (" + std::string(kWebhookColumns) +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        sql::params(w.id, w.url, events_text(w.events), w.description, w.secret, w.status,
                    w.created_by, w.failing_since_ms, w.created_at, w.updated_at));
  });
}

awaitable<std::optional<Webhook>> WebhookStore::find(const std::string& id) {
  auto result = co_await db_.query(
      "SELECT " + std::string(kWebhookColumns) + " FROM webhooks WHERE id = $1", sql::params(id));
  if (result.empty())
    co_return std::nullopt;
  co_return webhook_from_row(result.rows.front());
}

awaitable<WebhookPage<Webhook>> WebhookStore::list(std::optional<std::string> after_id, int limit) {
  auto result = co_await db_.query(
      "SELECT " + std::string(kWebhookColumns) +
          " FROM webhooks WHERE (CAST($1 AS TEXT) IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
      sql::params(after_id, limit + 1));
  co_return page_of<Webhook>(result, limit, webhook_from_row);
}

awaitable<void> WebhookStore::update(const Webhook& w) {
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    co_await tx.exec(
        "UPDATE webhooks SET url = $2, events = $3, description = $4, status = $5, "
        "failing_since_ms = $6, updated_at = $7 WHERE id = $1",
        sql::params(w.id, w.url, events_text(w.events), w.description, w.status, w.failing_since_ms,
                    w.updated_at));
  });
}

awaitable<bool> WebhookStore::remove(const std::string& id) {
  bool removed = false;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    // Explicitly, not only by the foreign key: PostgreSQL and SQLite agree on this either way.
    co_await tx.exec("DELETE FROM webhook_deliveries WHERE webhook_id = $1", sql::params(id));
    auto result = co_await tx.exec("DELETE FROM webhooks WHERE id = $1", sql::params(id));
    removed = result.affected_rows == 1;
  });
  co_return removed;
}

awaitable<int> WebhookStore::add_deliveries(sql::Transaction& tx, const std::string& event_id,
                                            const std::string& type, const std::string& body,
                                            std::int64_t now_ms) {
  auto webhooks =
      co_await tx.exec("SELECT id, events FROM webhooks WHERE status = 'active' ORDER BY id");
  int added = 0;
  auto now = core::rfc3339_from_millis(now_ms);
  for (const auto& row : webhooks.rows) {
    if (!subscribes_to(events_from_text(row.text(1)), type))
      continue;
    auto inserted = co_await tx.exec(
        "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, body, status, "
        "attempts, next_attempt_at_ms, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $7) "
        "ON CONFLICT (webhook_id, event_id) DO NOTHING",
        sql::params(core::uuid_v7(), row.text(0), event_id, type, body, now_ms, now));
    added += static_cast<int>(inserted.affected_rows);
  }
  co_return added;
}

awaitable<WebhookPage<WebhookDelivery>> WebhookStore::deliveries(
    const std::string& webhook_id, std::optional<std::string> after_id, int limit) {
  auto result = co_await db_.query(
      "SELECT " + std::string(kDeliveryColumns) +
          " FROM webhook_deliveries d WHERE d.webhook_id = $1 "
          "AND (CAST($2 AS TEXT) IS NULL OR d.id < $2) ORDER BY d.id DESC LIMIT $3",
      sql::params(webhook_id, after_id, limit + 1));
  co_return page_of<WebhookDelivery>(result, limit, delivery_from_row);
}

awaitable<std::optional<WebhookDelivery>> WebhookStore::delivery(const std::string& webhook_id,
                                                                 const std::string& id) {
  auto result = co_await db_.query("SELECT " + std::string(kDeliveryColumns) +
                                       " FROM webhook_deliveries d WHERE d.webhook_id = $1 "
                                       "AND d.id = $2",
                                   sql::params(webhook_id, id));
  if (result.empty())
    co_return std::nullopt;
  co_return delivery_from_row(result.rows.front());
}

awaitable<std::vector<WebhookDelivery>> WebhookStore::claim_due(std::int64_t now_ms,
                                                                std::size_t limit,
                                                                std::int64_t lease_ms) {
  auto claim_id = core::uuid_v7();
  // PostgreSQL: rows another instance's claim is locking are skipped rather than waited for
  // (and re-checked once committed); SQLite runs one writer at a time anyway.
  std::string_view skip_locked =
      db_.dialect() == sql::Dialect::postgres ? " FOR UPDATE OF d SKIP LOCKED" : "";
  std::string claim_statement =
      "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until_ms = $2 WHERE id IN ("
      "SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
      "WHERE d.status = 'pending' AND w.status = 'active' AND d.next_attempt_at_ms <= $3 "
      "AND (d.claimed_until_ms IS NULL OR d.claimed_until_ms <= $3) "
      "ORDER BY d.next_attempt_at_ms, d.id LIMIT $4" +
      std::string(skip_locked) + ")";
  std::string claimed_statement = "SELECT " + std::string(kDeliveryColumns) +
                                  " FROM webhook_deliveries d WHERE d.claimed_by = $1 "
                                  "ORDER BY d.next_attempt_at_ms, d.id";
  sql::Result result;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    co_await tx.exec(claim_statement, sql::params(claim_id, now_ms + lease_ms, now_ms,
                                                  static_cast<std::int64_t>(limit)));
    result = co_await tx.exec(claimed_statement, sql::params(claim_id));
  });
  std::vector<WebhookDelivery> out;
  for (const auto& row : result.rows)
    out.push_back(delivery_from_row(row));
  co_return out;
}

awaitable<std::optional<std::int64_t>> WebhookStore::next_due_ms() {
  auto result = co_await db_.query(
      "SELECT MIN(CASE WHEN d.claimed_until_ms > d.next_attempt_at_ms THEN d.claimed_until_ms "
      "ELSE d.next_attempt_at_ms END) FROM webhook_deliveries d "
      "JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND w.status = 'active'");
  co_return result.one().optional_integer(0);
}

awaitable<bool> WebhookStore::record_attempt(const WebhookDelivery& delivery,
                                             const AttemptOutcome& outcome, std::int64_t now_ms) {
  auto now = core::rfc3339_from_millis(now_ms);
  std::string status(outcome.succeeded     ? kDeliverySucceeded
                     : outcome.retry_at_ms ? kDeliveryPending
                                           : kDeliveryFailed);
  std::optional<std::string> delivered_at;
  if (outcome.succeeded)
    delivered_at = now;
  std::optional<std::string> error;
  if (outcome.error)
    error = outcome.error->substr(0, 500);
  bool recorded = false;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    auto result = co_await tx.exec(
        "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, "
        "last_response_code = $3, last_error = $4, "
        "next_attempt_at_ms = COALESCE($5, next_attempt_at_ms), delivered_at = $6, "
        "updated_at = $7, claimed_until_ms = NULL "
        "WHERE id = $1 AND status = 'pending' AND claimed_by = $8",
        sql::params(delivery.id, status, outcome.response_code, error, outcome.retry_at_ms,
                    delivered_at, now, delivery.claimed_by));
    recorded = result.affected_rows == 1;
    if (!recorded)
      co_return;  // another instance's attempt, whose outcome is the one to keep
    if (outcome.succeeded) {
      co_await tx.exec("UPDATE webhooks SET failing_since_ms = NULL WHERE id = $1",
                       sql::params(delivery.webhook_id));
    } else {
      co_await tx.exec(
          "UPDATE webhooks SET failing_since_ms = $2 WHERE id = $1 AND failing_since_ms IS NULL",
          sql::params(delivery.webhook_id, now_ms));
    }
  });
  co_return recorded;
}

awaitable<void> WebhookStore::release(const std::string& claim_id) {
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    co_await tx.exec(
        "UPDATE webhook_deliveries SET claimed_until_ms = NULL "
        "WHERE claimed_by = $1 AND status = 'pending' AND claimed_until_ms IS NOT NULL",
        sql::params(claim_id));
  });
}

awaitable<bool> WebhookStore::disable(const Webhook& webhook, std::int64_t now_ms) {
  bool disabled = false;
  auto now = core::rfc3339_from_millis(now_ms);
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    auto result = co_await tx.exec(
        "UPDATE webhooks SET status = 'disabled', updated_at = $2 "
        "WHERE id = $1 AND status = 'active'",
        sql::params(webhook.id, now));
    disabled = result.affected_rows == 1;
    co_await tx.exec(
        "UPDATE webhook_deliveries SET status = 'failed', updated_at = $2 "
        "WHERE webhook_id = $1 AND status = 'pending'",
        sql::params(webhook.id, now));
    if (!disabled)
      co_return;
    Message message;
    message.subject = "Webhook disabled";
    message.body = "The webhook " + webhook.id + " (" + webhook.url +
                   ") kept failing and was disabled. PATCH it with {\"status\": \"active\"} to "
                   "enable it again.";
    message.data["webhookId"] = webhook.id;
    message.data["url"] = webhook.url;
    NewNotification notification{webhook.created_by, "webhook.disabled:" + webhook.id + ":" + now,
                                 "webhook.disabled", std::string(LogChannel::kName), message};
    co_await NotificationStore::add_notification(tx, notification, now_ms);
  });
  co_return disabled;
}

awaitable<void> WebhookStore::retry_now(const std::string& id, std::int64_t now_ms) {
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    co_await tx.exec(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at_ms = $2, "
        "updated_at = $3 WHERE id = $1",
        sql::params(id, now_ms, core::rfc3339_from_millis(now_ms)));
  });
}

awaitable<void> add_webhook_deliveries(sql::Transaction& tx, const bus::CloudEvent& event) {
  auto type = webhook_event_type(event.type);
  if (!type)
    co_return;
  auto now_ms = core::unix_millis();
  auto timestamp = event.time.empty() ? core::rfc3339_from_millis(now_ms) : event.time;
  // tokenVersion is the platform's revocation bookkeeping, nothing a receiver should see; push
  // subscriptions are a browser's keys, for this service's push channel only.
  auto data = event.data;
  if (auto* fields = data.if_object()) {
    fields->erase("tokenVersion");
    fields->erase("pushSubscriptions");
  }
  auto body = webhook_body(*type, timestamp, data);
  co_await WebhookStore::add_deliveries(tx, event.id, *type, body, now_ms);
}

}  // namespace ordo::services::notifications
