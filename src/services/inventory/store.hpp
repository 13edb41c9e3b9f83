// The inventory service's tables (stock, reservations, order_outcomes, ledger) and the statements
// on them. Every stock change writes its ledger row and applies the low-stock rule in the same
// transaction; events it causes are enqueued in that transaction too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "contracts/events.hpp"
#include "contracts/inventory.hpp"
#include "platform/sql/database.hpp"
#include "services/inventory/domain.hpp"

namespace ordo::services::inventory {

struct StockRow {
  std::string product_id;
  std::int64_t available = 0;
  std::int64_t reserved = 0;
  std::int64_t threshold = 0;
  bool below_threshold = false;
  bool active = true;
  std::string updated_at;
};
contracts::Stock to_contract(const StockRow& row);

// A change already applied to a stock row, as the ledger records it.
struct Change {
  std::string product_id;
  std::int64_t delta_available = 0;
  std::int64_t delta_reserved = 0;
  std::string reason;  // initial | reservation | release | replenish | stock_count
  std::optional<std::string> order_id;
  std::string actor;
  std::optional<std::string> note;
};

// ---- Within a caller's transaction (the event handlers and the API both use these) ----

boost::asio::awaitable<std::optional<StockRow>> load_stock(sql::Transaction& tx,
                                                           const std::string& product_id);

// Writes the ledger row of a change just applied and applies the low-stock rule (which may
// enqueue inventory.low_stock). Returns the row as the change left it.
boost::asio::awaitable<StockRow> record_change(sql::Transaction& tx, const Change& change,
                                               const std::string& traceparent);

// A stock row for a new product. false (and no change) when the product already has one.
boost::asio::awaitable<bool> create_stock(sql::Transaction& tx, const std::string& product_id,
                                          std::int64_t initial_stock, std::int64_t threshold,
                                          bool active, const std::string& traceparent);

// Archived products keep their stock row (and their history) but no longer warn of low stock.
boost::asio::awaitable<void> deactivate_stock(sql::Transaction& tx, const std::string& product_id);

struct ReserveOutcome {
  enum class Kind {
    reserved,       // every line is held; inventory.reserved enqueued
    rejected,       // nothing is held; inventory.rejected enqueued
    already_known,  // the order was reserved, rejected or cancelled before: nothing changed
    unknown_yet,    // a product has no stock row and may still arrive: nothing changed
  } kind = Kind::already_known;
  std::optional<contracts::events::InventoryRejected> rejection;
};
// Reserves every line or none, with conditional updates only. may_wait: an unknown product
// gives unknown_yet instead of a rejection (the caller retries later).
boost::asio::awaitable<ReserveOutcome> reserve_order(sql::Transaction& tx,
                                                     const std::string& order_id,
                                                     const std::vector<Line>& lines, bool may_wait,
                                                     const std::string& traceparent);

// Gives back what the order holds, once; an order not seen yet is remembered as cancelled so it
// is never reserved. Returns the lines released (empty when there was nothing to release).
boost::asio::awaitable<std::vector<Line>> cancel_order(sql::Transaction& tx,
                                                       const std::string& order_id,
                                                       const std::string& traceparent);

// ---- The API's reads and writes, each its own transaction ----

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_after;  // the keyset position of the last item, when more follow
};

enum class WriteStatus { ok, not_found, too_large, stale };
struct WriteResult {
  WriteStatus status = WriteStatus::not_found;
  std::optional<contracts::Stock> stock;
};

class InventoryStore {
 public:
  explicit InventoryStore(sql::Database& db) : db_(db) {}

  boost::asio::awaitable<std::optional<contracts::Stock>> find(const std::string& product_id);
  boost::asio::awaitable<WriteResult> replenish(const std::string& product_id,
                                                std::int64_t quantity,
                                                std::optional<std::string> note,
                                                const std::string& actor,
                                                const std::string& traceparent);
  // A stock count: sets available (and optionally the threshold); reserved is untouched. With
  // if_match, only while the stock's tag (stock_etag) still satisfies it, else stale.
  boost::asio::awaitable<WriteResult> count(const std::string& product_id, std::int64_t available,
                                            std::optional<std::int64_t> threshold,
                                            std::optional<std::string> note,
                                            const std::string& actor,
                                            const std::string& traceparent,
                                            std::optional<std::string> if_match = std::nullopt);
  // The ledger of a product, newest first; nullopt when the product has no stock row.
  boost::asio::awaitable<std::optional<Page<contracts::LedgerEntry>>> movements(
      const std::string& product_id, std::optional<std::string> before_id, int limit);
  // Active products at or under their threshold, by product id.
  boost::asio::awaitable<Page<contracts::Stock>> low_stock(std::optional<std::string> after_id,
                                                           int limit);

 private:
  sql::Database& db_;
};

}  // namespace ordo::services::inventory
