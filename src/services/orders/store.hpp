// The orders service's tables: the catalog view, orders with lines and history, idempotency
// keys. Every change others must hear of enqueues its event in the same transaction.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "contracts/events.hpp"
#include "contracts/orders.hpp"
#include "platform/sql/database.hpp"
#include "services/orders/domain.hpp"

namespace ordo::services::orders {

struct NewOrder {
  std::string user_id;
  PricedOrder priced;
  std::optional<std::string> note;
  std::optional<std::string> idempotency_key;
  std::string request_hash;
};

struct PlaceOutcome {
  enum class Kind {
    created,    // a new order (and its order.created event)
    replayed,   // the key was used before with the same body: that order, as it is now
    key_reused  // the key was used before with another body: 422
  } kind = Kind::created;
  std::optional<contracts::Order> order;  // unless key_reused
  // replayed: the first answer the key got, once it was made (status, JSON body).
  std::optional<std::pair<int, std::string>> first_answer;
};

struct CancelOutcome {
  enum class Kind { cancelled, not_found, conflict } kind = Kind::not_found;
  std::optional<contracts::Order> order;  // cancelled: the order now; conflict: as it is
};

struct OrderFilter {
  std::optional<std::string> user_id;
  std::optional<std::string> status;
};

struct OrderPage {
  std::vector<contracts::Order> items;
  std::optional<std::string> next_before_id;  // the last id of this page when more follow
};

inline constexpr std::int64_t kIdempotencyKeyLifetimeMs = 48LL * 3600 * 1000;

class OrderStore {
 public:
  explicit OrderStore(sql::Database& db) : db_(db) {}

  // The catalog view's entries for these product ids (missing ids are absent).
  boost::asio::awaitable<std::map<std::string, CatalogEntry>> catalog_entries(
      const std::vector<std::string>& product_ids);
  // Stores a product fetched from the products service, unless the view has a newer version.
  boost::asio::awaitable<void> remember_product(const CatalogEntry& entry);

  // Inserts the order (pending), its lines, its first history row, the idempotency key and the
  // order.created event in one transaction; or finds the order the key already names.
  boost::asio::awaitable<PlaceOutcome> place(const NewOrder& order, const std::string& traceparent);
  // What a live (under 48 h old) idempotency key of the user says about a request with this
  // hash: replayed (with the order) or key_reused; nullopt when the key is new.
  boost::asio::awaitable<std::optional<PlaceOutcome>> replay(const std::string& user_id,
                                                             const std::string& key,
                                                             const std::string& request_hash);
  // Keeps the answer the key's request got, for its replays (the first one recorded stays).
  boost::asio::awaitable<void> record_answer(const std::string& user_id, const std::string& key,
                                             int status, const std::string& body);
  // The order with its items and history, read so that the history ends with the order's status
  // (a change committing mid-read is read again).
  boost::asio::awaitable<std::optional<contracts::Order>> find(const std::string& id);
  // The order's version (its history's length) in one small read, for streams that poll; 0 when
  // there is no such order.
  boost::asio::awaitable<std::int64_t> version(const std::string& id);
  // Newest first; before_id: the last id of the previous page.
  boost::asio::awaitable<OrderPage> list(const OrderFilter& filter,
                                         std::optional<std::string> before_id, int limit);
  // pending | confirmed -> cancelled with a history row and order.cancelled.
  boost::asio::awaitable<CancelOutcome> cancel(const std::string& id, const std::string& reason,
                                               const std::string& traceparent);

  // Consumer effects, run inside the inbox transaction (no other I/O).
  // The snapshot replaces the stored one only when its version is newer; true when it did.
  static boost::asio::awaitable<bool> upsert_catalog(sql::Transaction& tx,
                                                     const CatalogEntry& entry);
  // pending -> confirmed and order.confirmed: the order now; nullopt (nothing changes) unless
  // pending.
  static boost::asio::awaitable<std::optional<contracts::Order>> confirm(
      sql::Transaction& tx, const std::string& order_id, const std::string& traceparent);
  // pending -> rejected with the reason, and order.rejected: the order now; nullopt unless
  // pending.
  static boost::asio::awaitable<std::optional<contracts::Order>> reject(
      sql::Transaction& tx, const contracts::events::InventoryRejected& rejection,
      const std::string& traceparent);

 private:
  sql::Database& db_;
};

}  // namespace ordo::services::orders
