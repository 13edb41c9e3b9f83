// The webhooks and their deliveries in the notifications database. Deliveries are added inside
// the consumer's transaction; the rest open their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/bus/cloud_event.hpp"
#include "platform/sql/database.hpp"

namespace ordo::services::notifications {

struct Webhook {
  std::string id;
  std::string url;
  std::vector<std::string> events;
  std::string description;
  std::string secret;  // never leaves the service after the 201 of its registration
  std::string status;
  std::string created_by;
  std::optional<std::int64_t> failing_since_ms;
  std::string created_at;
  std::string updated_at;
};

struct WebhookDelivery {
  std::string id;  // the webhook-id header
  std::string webhook_id;
  std::string event_id;
  std::string event_type;
  std::string body;
  std::string status;
  std::int64_t attempts = 0;
  std::optional<std::int64_t> last_response_code;
  std::optional<std::string> last_error;
  std::int64_t next_attempt_at_ms = 0;
  std::string created_at;
  std::optional<std::string> delivered_at;
  // The dispatcher pass that claimed it last: only that pass records its attempt.
  std::optional<std::string> claimed_by;
};

template <typename Item>
struct WebhookPage {
  std::vector<Item> items;
  std::optional<std::string> next_after_id;
};

// What one attempt came to, for record_attempt.
struct AttemptOutcome {
  bool succeeded = false;
  std::optional<std::int64_t> response_code;
  std::optional<std::string> error;
  std::optional<std::int64_t> retry_at_ms;  // failed: when to try again; nullopt gives up
};

class WebhookStore {
 public:
  explicit WebhookStore(sql::Database& db) : db_(db) {}

  boost::asio::awaitable<void> add(const Webhook& webhook);
  boost::asio::awaitable<std::optional<Webhook>> find(const std::string& id);
  boost::asio::awaitable<WebhookPage<Webhook>> list(std::optional<std::string> after_id, int limit);
  boost::asio::awaitable<void> update(const Webhook& webhook);
  boost::asio::awaitable<bool> remove(const std::string& id);

  // Within the consumer's transaction: one pending delivery per active webhook subscribed to
  // `type`. Returns how many it added (a redelivered event adds none).
  static boost::asio::awaitable<int> add_deliveries(sql::Transaction& tx,
                                                    const std::string& event_id,
                                                    const std::string& type,
                                                    const std::string& body, std::int64_t now_ms);

  boost::asio::awaitable<WebhookPage<WebhookDelivery>> deliveries(
      const std::string& webhook_id, std::optional<std::string> after_id, int limit);
  boost::asio::awaitable<std::optional<WebhookDelivery>> delivery(const std::string& webhook_id,
                                                                  const std::string& id);
  // Claims up to `limit` pending deliveries of active webhooks whose attempt is due and that no
  // other pass holds (oldest first) until now_ms + lease_ms: instances sharing the database
  // never send one at the same time. Each comes back with its claimed_by.
  boost::asio::awaitable<std::vector<WebhookDelivery>> claim_due(std::int64_t now_ms,
                                                                 std::size_t limit,
                                                                 std::int64_t lease_ms);
  // When the earliest pending delivery falls due (or its claim ends), if any is pending.
  boost::asio::awaitable<std::optional<std::int64_t>> next_due_ms();
  // Records the attempt on the delivery, and on its webhook when its failing streak starts or
  // ends (a success clears failing_since_ms); nothing when delivery.claimed_by no longer holds it
  // (another instance took it over). False then.
  boost::asio::awaitable<bool> record_attempt(const WebhookDelivery& delivery,
                                              const AttemptOutcome& outcome, std::int64_t now_ms);
  // Ends the lease on what `claim_id` claimed but did not record (a pass that stopped early), so
  // any instance may take it at once rather than after the lease.
  boost::asio::awaitable<void> release(const std::string& claim_id);
  // Disables the webhook, fails its pending deliveries and, in the same transaction, stores a
  // log-channel notification for the admin who registered it. False when it was not active.
  boost::asio::awaitable<bool> disable(const Webhook& webhook, std::int64_t now_ms);
  // Makes a delivery pending and due now again (the admin's manual retry).
  boost::asio::awaitable<void> retry_now(const std::string& id, std::int64_t now_ms);

 private:
  sql::Database& db_;
};

// Within the consumer's transaction: the deliveries of this event to every active webhook that
// subscribes to its public type (none when webhooks never carry it).
boost::asio::awaitable<void> add_webhook_deliveries(sql::Transaction& tx,
                                                    const bus::CloudEvent& event);

}  // namespace ordo::services::notifications
