#include "services/inventory/store.hpp"

#include <map>
#include <set>
#include <stdexcept>

#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/http/conditional.hpp"
#include "services/inventory/emits.hpp"

namespace ordo::services::inventory {
namespace {

using boost::asio::awaitable;
namespace events = contracts::events;

constexpr std::string_view kStockColumns =
    "product_id, available, reserved, low_stock_threshold, below_threshold, product_active, "
    "updated_at";

StockRow stock_from_row(const sql::Row& row) {
  return StockRow{row.text(0),    row.integer(1), row.integer(2), row.integer(3),
                  row.boolean(4), row.boolean(5), row.text(6)};
}

std::string select_stock(std::string_view where) {
  return "SELECT " + std::string(kStockColumns) + " FROM stock " + std::string(where);
}

contracts::LedgerEntry ledger_from_row(const sql::Row& row) {
  return contracts::LedgerEntry{row.text(0),          row.text(1),          row.integer(2),
                                row.integer(3),       row.integer(4),       row.integer(5),
                                row.text(6),          row.optional_text(7), row.text(8),
                                row.optional_text(9), row.text(10)};
}

sql::Statement ledger_statement(const Change& change, const StockRow& after) {
  return sql::Statement{
      "INSERT INTO ledger (id, product_id, delta_available, delta_reserved, available_after, "
      "reserved_after, reason, order_id, actor, note, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      sql::params(core::uuid_v7(), change.product_id, change.delta_available, change.delta_reserved,
                  after.available, after.reserved, change.reason, change.order_id, change.actor,
                  change.note, core::rfc3339())};
}

// Statements that record changes already applied to stock rows, sent together
// (Transaction::exec_all: one round trip on PostgreSQL).
class ChangeBatch {
 public:
  explicit ChangeBatch(sql::Transaction& tx) : tx_(tx) {}

  void add(sql::Statement statement) { statements_.push_back(std::move(statement)); }
  void add_event(const bus::CloudEvent& event) {
    statements_.push_back(bus::enqueue_statement(tx_, event));
  }

  // The change's ledger row and the low-stock rule. `row` is the stock row as the change left it,
  // locked by this transaction (the change updated or inserted it), so its flag is current: the
  // flag flips with a conditional update all the same, and a crossing of an active product is
  // announced once (inventory.low_stock).
  void add_change(const Change& change, StockRow& row, const std::string& traceparent) {
    add(ledger_statement(change, row));
    auto flip = low_stock_change(row.available, row.threshold, row.below_threshold);
    if (flip == LowStockChange::none)
      return;
    bool crossed = flip == LowStockChange::crossed;
    flips_.push_back(statements_.size());
    add(sql::Statement{
        "UPDATE stock SET below_threshold = $2 WHERE product_id = $1 AND below_threshold = $3",
        sql::params(row.product_id, crossed ? 1 : 0, crossed ? 0 : 1)});
    row.below_threshold = crossed;
    if (crossed && row.active)
      add_event(
          low_stock(events::LowStock{row.product_id, row.available, row.threshold}, traceparent));
  }

  awaitable<void> run() {
    std::vector<sql::Result> results = co_await tx_.exec_all(std::move(statements_));
    for (std::size_t i : flips_) {
      if (results[i].affected_rows != 1)
        throw std::logic_error("inventory: the low-stock flag of a locked stock row moved");
    }
  }

 private:
  sql::Transaction& tx_;
  std::vector<sql::Statement> statements_;
  std::vector<std::size_t> flips_;
};

sql::Statement outcome_statement(const std::string& order_id, std::string_view outcome) {
  return sql::Statement{"INSERT INTO order_outcomes (order_id, outcome, at) VALUES ($1, $2, $3)",
                        sql::params(order_id, outcome, core::rfc3339())};
}

// What there is now of each line's product (products without a stock row are absent): its
// available quantity, and whether it is archived.
struct StockNow {
  std::map<std::string, std::int64_t> available;
  std::set<std::string> archived;
};

awaitable<StockNow> current_stock(sql::Transaction& tx, const std::vector<Line>& lines) {
  std::vector<sql::Statement> reads;
  for (const auto& line : lines) {
    reads.push_back(
        sql::Statement{"SELECT available, product_active FROM stock WHERE product_id = $1",
                       sql::params(line.product_id)});
  }
  std::vector<sql::Result> found = co_await tx.exec_all(std::move(reads));
  StockNow now;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (found[i].empty())
      continue;
    const auto& row = found[i].one();
    now.available[lines[i].product_id] = row.integer(0);
    if (!row.boolean(1))
      now.archived.insert(lines[i].product_id);
  }
  co_return now;
}

// Takes every line or none, and returns each line's stock row as the take left it (nullopt, with
// nothing taken, when a line is short or its product archived: an archived product's stock is
// never reserved, whatever the orders service's catalog view still believed). Each take is
// conditional, so concurrent reservations can never oversell. The takes go out together; several
// lines are taken under a savepoint, undone together when one is short.
awaitable<std::optional<std::vector<StockRow>>> take_all(sql::Transaction& tx,
                                                         const std::vector<Line>& lines) {
  const bool several = lines.size() > 1;
  auto now = core::rfc3339();
  std::vector<sql::Statement> takes;
  if (several)
    takes.push_back(sql::Statement{"SAVEPOINT reserve_lines", {}});
  for (const auto& line : lines) {
    takes.push_back(sql::Statement{
        "UPDATE stock SET available = available - $2, reserved = reserved + $2, updated_at = $3 "
        "WHERE product_id = $1 AND available >= $2 AND product_active = 1 RETURNING " +
            std::string(kStockColumns),
        sql::params(line.product_id, line.quantity, now)});
  }
  std::vector<sql::Result> taken = co_await tx.exec_all(std::move(takes));
  std::vector<StockRow> rows;
  bool short_of_one = false;
  for (std::size_t i = several ? 1 : 0; i < taken.size(); ++i) {
    if (taken[i].rows.size() != 1) {
      short_of_one = true;
      break;
    }
    rows.push_back(stock_from_row(taken[i].one()));
  }
  if (!short_of_one)
    co_return rows;
  if (several) {
    std::vector<sql::Statement> undo;
    undo.push_back(sql::Statement{"ROLLBACK TO SAVEPOINT reserve_lines", {}});
    undo.push_back(sql::Statement{"RELEASE SAVEPOINT reserve_lines", {}});
    co_await tx.exec_all(std::move(undo));
  }
  co_return std::nullopt;
}

}  // namespace

contracts::Stock to_contract(const StockRow& row) {
  return contracts::Stock{row.product_id, row.available, row.reserved, row.threshold,
                          row.updated_at};
}

awaitable<std::optional<StockRow>> load_stock(sql::Transaction& tx, const std::string& product_id) {
  auto found = co_await tx.exec(select_stock("WHERE product_id = $1"), sql::params(product_id));
  if (found.empty())
    co_return std::nullopt;
  co_return stock_from_row(found.one());
}

awaitable<StockRow> record_change(sql::Transaction& tx, const Change& change,
                                  const std::string& traceparent) {
  auto row = co_await load_stock(tx, change.product_id);
  if (!row)
    throw std::logic_error("inventory: a change to a missing stock row " + change.product_id);
  ChangeBatch batch(tx);
  batch.add_change(change, *row, traceparent);
  co_await batch.run();
  co_return *row;
}

awaitable<bool> create_stock(sql::Transaction& tx, const std::string& product_id,
                             std::int64_t initial_stock, std::int64_t threshold, bool active,
                             const std::string& traceparent) {
  auto inserted = co_await tx.exec(
      "INSERT INTO stock (product_id, available, reserved, low_stock_threshold, below_threshold, "
      "product_active, updated_at) VALUES ($1, $2, 0, $3, 0, $4, $5) "
      "ON CONFLICT (product_id) DO NOTHING RETURNING " +
          std::string(kStockColumns),
      sql::params(product_id, initial_stock, threshold, active, core::rfc3339()));
  if (inserted.rows.size() != 1)
    co_return false;
  StockRow row = stock_from_row(inserted.one());
  Change change{product_id,  initial_stock, 0, "initial", std::nullopt, std::string(kActorSystem),
                std::nullopt};
  ChangeBatch batch(tx);
  batch.add_change(change, row, traceparent);
  co_await batch.run();
  co_return true;
}

awaitable<void> deactivate_stock(sql::Transaction& tx, const std::string& product_id) {
  co_await tx.exec("UPDATE stock SET product_active = 0, updated_at = $2 WHERE product_id = $1",
                   sql::params(product_id, core::rfc3339()));
}

awaitable<ReserveOutcome> reserve_order(sql::Transaction& tx, const std::string& order_id,
                                        const std::vector<Line>& lines, bool may_wait,
                                        const std::string& traceparent) {
  ReserveOutcome outcome;
  auto known = co_await tx.exec("SELECT outcome FROM order_outcomes WHERE order_id = $1",
                                sql::params(order_id));
  if (!known.empty()) {
    outcome.kind = ReserveOutcome::Kind::already_known;
    co_return outcome;
  }
  auto taken = co_await take_all(tx, lines);
  if (!taken) {
    StockNow now = co_await current_stock(tx, lines);
    outcome.rejection = build_rejection(order_id, lines, now.available, now.archived);
    if (!outcome.rejection) {
      // Only possible if the numbers moved between the failed take and the read.
      throw std::runtime_error("inventory: stock changed while reserving order " + order_id);
    }
    if (outcome.rejection->reason == kReasonUnknownProduct && may_wait) {
      outcome.kind = ReserveOutcome::Kind::unknown_yet;
      outcome.rejection.reset();
      co_return outcome;
    }
    ChangeBatch rejected(tx);
    rejected.add(outcome_statement(order_id, "rejected"));
    rejected.add_event(inventory_rejected(*outcome.rejection, traceparent));
    co_await rejected.run();
    outcome.kind = ReserveOutcome::Kind::rejected;
    co_return outcome;
  }
  // Everything else the reservation writes goes out in one batch.
  auto now = core::rfc3339();
  ChangeBatch reserved(tx);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    reserved.add(sql::Statement{
        "INSERT INTO reservations (order_id, product_id, quantity, status, created_at, "
        "updated_at) VALUES ($1, $2, $3, 'held', $4, $4)",
        sql::params(order_id, line.product_id, line.quantity, now)});
    Change change{line.product_id,           -line.quantity, line.quantity, "reservation", order_id,
                  std::string(kActorSystem), std::nullopt};
    reserved.add_change(change, (*taken)[i], traceparent);
  }
  reserved.add(outcome_statement(order_id, "reserved"));
  reserved.add_event(
      inventory_reserved(events::StockMovement{order_id, to_order_lines(lines)}, traceparent));
  co_await reserved.run();
  outcome.kind = ReserveOutcome::Kind::reserved;
  co_return outcome;
}

awaitable<std::vector<Line>> cancel_order(sql::Transaction& tx, const std::string& order_id,
                                          const std::string& traceparent) {
  std::vector<Line> released;
  auto now = core::rfc3339();
  // Not seen yet: remember the cancellation so a late order.created never reserves.
  auto first = co_await tx.exec(
      "INSERT INTO order_outcomes (order_id, outcome, at) VALUES ($1, 'cancelled', $2) "
      "ON CONFLICT (order_id) DO NOTHING",
      sql::params(order_id, now));
  if (first.affected_rows == 1)
    co_return released;
  // Only a reserved order has something to give back, and only once.
  auto claimed = co_await tx.exec(
      "UPDATE order_outcomes SET outcome = 'cancelled', at = $2 "
      "WHERE order_id = $1 AND outcome = 'reserved'",
      sql::params(order_id, now));
  if (claimed.affected_rows != 1)
    co_return released;
  auto held = co_await tx.exec(
      "SELECT product_id, quantity FROM reservations WHERE order_id = $1 AND status = 'held' "
      "ORDER BY product_id",
      sql::params(order_id));
  for (const auto& row : held.rows) {
    Line line{row.text(0), row.integer(1)};
    auto marked = co_await tx.exec(
        "UPDATE reservations SET status = 'released', updated_at = $3 "
        "WHERE order_id = $1 AND product_id = $2 AND status = 'held'",
        sql::params(order_id, line.product_id, now));
    if (marked.affected_rows != 1)
      continue;
    auto given = co_await tx.exec(
        "UPDATE stock SET available = available + $2, reserved = reserved - $2, updated_at = $3 "
        "WHERE product_id = $1 AND reserved >= $2",
        sql::params(line.product_id, line.quantity, now));
    if (given.affected_rows != 1) {
      throw std::logic_error("inventory: order " + order_id + " holds more of " + line.product_id +
                             " than is reserved");
    }
    Change change{line.product_id,           line.quantity, -line.quantity, "release", order_id,
                  std::string(kActorSystem), std::nullopt};
    co_await record_change(tx, change, traceparent);
    released.push_back(line);
  }
  if (!released.empty()) {
    events::StockMovement data{order_id, to_order_lines(released)};
    co_await bus::enqueue(tx, inventory_released(data, traceparent));
  }
  co_return released;
}

awaitable<std::optional<contracts::Stock>> InventoryStore::find(const std::string& product_id) {
  auto found = co_await db_.query(select_stock("WHERE product_id = $1"), sql::params(product_id));
  if (found.empty())
    co_return std::nullopt;
  co_return to_contract(stock_from_row(found.one()));
}

awaitable<WriteResult> InventoryStore::replenish(const std::string& product_id,
                                                 std::int64_t quantity,
                                                 std::optional<std::string> note,
                                                 const std::string& actor,
                                                 const std::string& traceparent) {
  WriteResult result;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    auto added = co_await tx.exec(
        "UPDATE stock SET available = available + $2, updated_at = $3 "
        "WHERE product_id = $1 AND available <= $4",
        sql::params(product_id, quantity, core::rfc3339(), kMaxStock - quantity));
    if (added.affected_rows != 1) {
      auto exists = co_await load_stock(tx, product_id);
      result.status = exists ? WriteStatus::too_large : WriteStatus::not_found;
      co_return;
    }
    Change change{product_id, quantity, 0, "replenish", std::nullopt, actor, note};
    auto row = co_await record_change(tx, change, traceparent);
    result.status = WriteStatus::ok;
    result.stock = to_contract(row);
  });
  co_return result;
}

awaitable<WriteResult> InventoryStore::count(const std::string& product_id, std::int64_t available,
                                             std::optional<std::int64_t> threshold,
                                             std::optional<std::string> note,
                                             const std::string& actor,
                                             const std::string& traceparent,
                                             std::optional<std::string> if_match) {
  WriteResult result;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    // Compare-and-set on the counted-over number: the ledger's delta is exactly what changed,
    // even if a reservation slipped in between (then the loop reads again, and a count that
    // named the earlier state is stale).
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto before = co_await load_stock(tx, product_id);
      if (!before) {
        result.status = WriteStatus::not_found;
        co_return;
      }
      if (if_match && !http::if_match_satisfied(*if_match, stock_etag(to_contract(*before)))) {
        result.status = WriteStatus::stale;
        result.stock = to_contract(*before);
        co_return;
      }
      auto set = co_await tx.exec(
          "UPDATE stock SET available = $2, low_stock_threshold = COALESCE($3, "
          "low_stock_threshold), updated_at = $4 WHERE product_id = $1 AND available = $5",
          sql::params(product_id, available, threshold, core::rfc3339(), before->available));
      if (set.affected_rows != 1)
        continue;
      Change change{
          product_id, available - before->available, 0, "stock_count", std::nullopt, actor, note};
      auto row = co_await record_change(tx, change, traceparent);
      result.status = WriteStatus::ok;
      result.stock = to_contract(row);
      co_return;
    }
    throw std::runtime_error("inventory: stock of " + product_id + " kept changing during a count");
  });
  co_return result;
}

awaitable<std::optional<Page<contracts::LedgerEntry>>> InventoryStore::movements(
    const std::string& product_id, std::optional<std::string> before_id, int limit) {
  auto exists =
      co_await db_.query("SELECT 1 FROM stock WHERE product_id = $1", sql::params(product_id));
  if (exists.empty())
    co_return std::nullopt;
  // One row more than asked tells whether another page follows; ids are time-ordered.
  auto found = co_await db_.query(
      "SELECT id, product_id, delta_available, delta_reserved, available_after, reserved_after, "
      "reason, order_id, actor, note, created_at FROM ledger "
      "WHERE product_id = $1 AND (CAST($2 AS TEXT) IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
      sql::params(product_id, before_id, limit + 1));
  Page<contracts::LedgerEntry> page;
  for (const auto& row : found.rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_after = page.items.back().id;
      break;
    }
    page.items.push_back(ledger_from_row(row));
  }
  co_return page;
}

awaitable<Page<contracts::Stock>> InventoryStore::low_stock(std::optional<std::string> after_id,
                                                            int limit) {
  auto found = co_await db_.query(
      select_stock(
          "WHERE available <= low_stock_threshold AND product_active = 1 "
          "AND (CAST($1 AS TEXT) IS NULL OR product_id > $1) ORDER BY product_id LIMIT $2"),
      sql::params(after_id, limit + 1));
  Page<contracts::Stock> page;
  for (const auto& row : found.rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_after = page.items.back().product_id;
      break;
    }
    page.items.push_back(to_contract(stock_from_row(row)));
  }
  co_return page;
}

}  // namespace ordo::services::inventory
