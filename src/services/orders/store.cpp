#include "services/orders/store.hpp"

#include <boost/json.hpp>

#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/bindings.hpp"
#include "platform/sql/query_runner.hpp"
#include "services/orders/emits.hpp"

namespace ordo::services::orders {
namespace {

using boost::asio::awaitable;
namespace json = boost::json;

// The recorded first answer in columns (status, body) from `first`; nullopt until recorded.
std::optional<std::pair<int, std::string>> stored_answer(const sql::Row& row, std::size_t first) {
  auto status = row.optional_integer(first);
  auto body = row.optional_text(first + 1);
  if (!status || !body)
    return std::nullopt;
  return std::pair<int, std::string>(static_cast<int>(*status), std::move(*body));
}

constexpr std::string_view kService = "orders";
constexpr std::string_view kOrderColumns =
    "id, user_id, status, total_cents, currency, note, rejection, created_at, updated_at";

contracts::Order order_from_row(const sql::Row& row) {
  contracts::Order order;
  order.id = row.text(0);
  order.user_id = row.text(1);
  order.status = row.text(2);
  order.total_cents = row.integer(3);
  order.currency = row.text(4);
  order.note = row.optional_text(5);
  if (auto rejection = row.optional_text(6)) {
    try {
      order.rejection = contracts::order_rejection_from_json(json::parse(*rejection));
    } catch (const std::exception&) {
      order.rejection = contracts::OrderRejection{"unknown", {}};  // never fail a read over it
    }
  }
  order.created_at = row.text(7);
  order.updated_at = row.text(8);
  return order;
}

// An order's items and history: two reads, sent together.
std::vector<sql::Statement> details_statements(const std::string& order_id) {
  std::vector<sql::Statement> reads;
  reads.push_back(sql::Statement{
      "SELECT product_id, sku, name, quantity, unit_price_cents, line_total_cents FROM "
      "order_items WHERE order_id = $1 ORDER BY line_no",
      sql::params(order_id)});
  reads.push_back(sql::Statement{
      "SELECT status, reason, at FROM order_history WHERE order_id = $1 ORDER BY seq",
      sql::params(order_id)});
  return reads;
}

void fill_details(contracts::Order& order, const sql::Result& items, const sql::Result& history) {
  for (const auto& row : items.rows) {
    order.items.push_back(
        {row.text(0), row.text(1), row.text(2), row.integer(3), row.integer(4), row.integer(5)});
  }
  for (const auto& row : history.rows)
    order.history.push_back({row.text(0), row.optional_text(1), row.text(2)});
}

awaitable<void> load_details(sql::Transaction& tx, contracts::Order& order) {
  std::vector<sql::Result> found = co_await tx.exec_all(details_statements(order.id));
  fill_details(order, found[0], found[1]);
}

awaitable<std::optional<contracts::Order>> load_order(sql::Transaction& tx, const std::string& id) {
  auto found = co_await tx.exec(
      "SELECT " + std::string(kOrderColumns) + " FROM orders WHERE id = $1", sql::params(id));
  if (found.empty())
    co_return std::nullopt;
  auto order = order_from_row(found.rows.front());
  co_await load_details(tx, order);
  co_return order;
}

// The order's row and its details are separate reads outside a transaction (on SQLite a read
// transaction would queue behind the writers), so a status change committing between them shows a
// status its history does not end with, or the reverse. Such a read is repeated: an order changes
// status a few times in its life, so a round or two are enough.
constexpr int kConsistentReadAttempts = 20;

bool consistent(const contracts::Order& order) {
  return order.history.empty() || order.history.back().status == order.status;
}

awaitable<std::optional<contracts::Order>> load_consistent_order(sql::Transaction& reader,
                                                                 const std::string& id) {
  std::optional<contracts::Order> order;
  for (int attempt = 0; attempt < kConsistentReadAttempts; ++attempt) {
    order = co_await load_order(reader, id);
    if (!order || consistent(*order))
      break;
  }
  co_return order;
}

sql::Statement history_statement(const std::string& order_id, std::string_view status,
                                 const std::optional<std::string>& reason, const std::string& at) {
  return sql::Statement{
      "INSERT INTO order_history (order_id, seq, status, reason, at) "
      "SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM order_history WHERE order_id = $1",
      sql::params(order_id, status, reason, at)};
}

awaitable<void> append_history(sql::Transaction& tx, const std::string& order_id,
                               std::string_view status, const std::optional<std::string>& reason,
                               const std::string& at) {
  sql::Statement statement = history_statement(order_id, status, reason, at);
  co_await tx.exec(statement.sql, std::move(statement.params));
}

// Moves a pending order to `to` (conditional update: of two racing events only one wins) and
// emits the matching event. Returns false, changing nothing, when the order is not pending.
// Two round trips on PostgreSQL: the update with the order's details, then its history entry
// with the event (the details read before the entry is written, which is then added in memory).
awaitable<std::optional<contracts::Order>> settle(sql::Transaction& tx, const std::string& order_id,
                                                  OrderStatus to,
                                                  const std::optional<std::string>& rejection_json,
                                                  const std::optional<std::string>& reason,
                                                  const std::string& traceparent) {
  auto now = core::rfc3339();
  std::vector<sql::Statement> first;
  first.push_back(sql::Statement{
      "UPDATE orders SET status = $2, rejection = COALESCE($3, rejection), updated_at = $4 "
      "WHERE id = $1 AND status = 'pending' RETURNING " +
          std::string(kOrderColumns),
      sql::params(order_id, to_string(to), rejection_json, now)});
  for (sql::Statement& read : details_statements(order_id))
    first.push_back(std::move(read));
  std::vector<sql::Result> found = co_await tx.exec_all(std::move(first));
  if (found[0].empty()) {
    auto exists =
        co_await tx.exec("SELECT status FROM orders WHERE id = $1", sql::params(order_id));
    if (exists.empty()) {
      log::warn(kService, "stock outcome for an unknown order ignored", {{"orderId", order_id}});
    } else {
      log::info(kService, "stock outcome for an order no longer pending ignored",
                {{"orderId", order_id}, {"status", exists.rows.front().text(0)}});
    }
    co_return std::nullopt;
  }
  contracts::Order order = order_from_row(found[0].one());
  fill_details(order, found[1], found[2]);
  order.history.push_back({std::string(to_string(to)), reason, now});
  std::vector<sql::Statement> second;
  second.push_back(history_statement(order_id, to_string(to), reason, now));
  second.push_back(bus::enqueue_statement(tx, order_status_changed(order, "pending", traceparent)));
  co_await tx.exec_all(std::move(second));
  co_return order;
}

}  // namespace

awaitable<std::map<std::string, CatalogEntry>> OrderStore::catalog_entries(
    const std::vector<std::string>& product_ids) {
  std::map<std::string, CatalogEntry> entries;
  if (product_ids.empty())
    co_return entries;
  sql::Bindings params;
  auto ids = params.bind_each(product_ids);
  auto result = co_await db_.query(
      "SELECT product_id, sku, name, price_cents, currency, category, active, version FROM "
      "catalog WHERE product_id IN (" +
          ids + ")",
      std::move(params.values()));
  for (const auto& row : result.rows) {
    CatalogEntry entry{row.text(0), row.text(1), row.text(2),    row.integer(3),
                       row.text(4), row.text(5), row.boolean(6), row.integer(7)};
    entries.emplace(entry.product_id, std::move(entry));
  }
  co_return entries;
}

awaitable<void> OrderStore::remember_product(const CatalogEntry& entry) {
  co_await db_.transact(
      [&](sql::Transaction& tx) -> awaitable<void> { co_await upsert_catalog(tx, entry); });
}

awaitable<bool> OrderStore::upsert_catalog(sql::Transaction& tx, const CatalogEntry& entry) {
  auto result = co_await tx.exec(
      "INSERT INTO catalog (product_id, sku, name, price_cents, currency, category, active, "
      "version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (product_id) DO UPDATE SET "
      "sku = excluded.sku, name = excluded.name, price_cents = excluded.price_cents, "
      "currency = excluded.currency, category = excluded.category, active = excluded.active, "
      "version = excluded.version WHERE excluded.version > catalog.version",
      sql::params(entry.product_id, entry.sku, entry.name, entry.price_cents, entry.currency,
                  entry.category, entry.active, entry.version));
  co_return result.affected_rows > 0;
}

awaitable<PlaceOutcome> OrderStore::place(const NewOrder& input, const std::string& traceparent) {
  auto now_ms = core::unix_millis();
  auto now = core::rfc3339_from_millis(now_ms);
  contracts::Order order;
  order.id = core::uuid_v7();
  order.user_id = input.user_id;
  order.status = std::string(to_string(OrderStatus::pending));
  order.items = input.priced.items;
  order.total_cents = input.priced.total_cents;
  order.currency = input.priced.currency;
  order.note = input.note;
  order.created_at = now;
  order.updated_at = now;
  order.history.push_back({order.status, std::nullopt, now});

  // The key's earlier order when the key was seen before (then nothing is written).
  std::optional<std::pair<std::string, std::string>> earlier;  // request hash, order id
  std::optional<std::pair<int, std::string>> earlier_answer;
  auto find_key = [&](sql::Transaction& tx) -> awaitable<void> {
    auto found = co_await tx.exec(
        "SELECT request_hash, order_id, response_status, response_body FROM idempotency_keys "
        "WHERE user_id = $1 AND key = $2",
        sql::params(input.user_id, *input.idempotency_key));
    if (found.empty())
      co_return;
    const auto& row = found.rows.front();
    earlier.emplace(row.text(0), row.text(1));
    earlier_answer = stored_answer(row, 2);
  };
  bool lost_race = true;
  try {
    co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
      // The key, the order, its lines, its history and its event go out together.
      std::vector<sql::Statement> writes;
      if (input.idempotency_key) {
        // Opportunistic clean-up: keys live 48 h (the promise is 24 h).
        co_await tx.exec("DELETE FROM idempotency_keys WHERE created_at_ms < $1",
                         sql::params(now_ms - kIdempotencyKeyLifetimeMs));
        co_await find_key(tx);
        if (earlier)
          co_return;
        writes.push_back(sql::Statement{
            "INSERT INTO idempotency_keys (user_id, key, request_hash, order_id, created_at_ms) "
            "VALUES ($1, $2, $3, $4, $5)",
            sql::params(input.user_id, *input.idempotency_key, input.request_hash, order.id,
                        now_ms)});
      }
      writes.push_back(sql::Statement{
          "INSERT INTO orders (id, user_id, status, total_cents, currency, note, rejection, "
          "idempotency_key, created_at, created_at_ms, updated_at) VALUES ($1, $2, 'pending', $3, "
          "$4, $5, NULL, $6, $7, $8, $7)",
          sql::params(order.id, order.user_id, order.total_cents, order.currency, order.note,
                      input.idempotency_key, now, now_ms)});
      for (std::size_t i = 0; i < order.items.size(); ++i) {
        const auto& item = order.items[i];
        writes.push_back(sql::Statement{
            "INSERT INTO order_items (order_id, line_no, product_id, sku, name, quantity, "
            "unit_price_cents, line_total_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            sql::params(order.id, static_cast<std::int64_t>(i + 1), item.product_id, item.sku,
                        item.name, item.quantity, item.unit_price_cents, item.line_total_cents)});
      }
      writes.push_back(history_statement(order.id, order.status, std::nullopt, now));
      writes.push_back(bus::enqueue_statement(tx, order_created(order, traceparent)));
      co_await tx.exec_all(std::move(writes));
    });
    lost_race = false;
  } catch (const sql::Error& e) {
    // A concurrent request with the same key committed first (a database that runs writers in
    // parallel): this one replays that one.
    if (e.kind() != sql::Error::Kind::unique_violation || !input.idempotency_key)
      throw;
  }
  if (lost_race) {  // no co_await inside a catch handler
    sql::QueryRunner reader(db_);
    co_await find_key(reader);
    if (!earlier)
      throw std::runtime_error("idempotency key vanished after a unique violation");
  }
  PlaceOutcome outcome;
  if (!earlier) {
    outcome.order = std::move(order);
    co_return outcome;
  }
  if (earlier->first != input.request_hash) {
    outcome.kind = PlaceOutcome::Kind::key_reused;
    co_return outcome;
  }
  outcome.kind = PlaceOutcome::Kind::replayed;
  outcome.order = co_await find(earlier->second);
  outcome.first_answer = std::move(earlier_answer);
  co_return outcome;
}

awaitable<std::optional<PlaceOutcome>> OrderStore::replay(const std::string& user_id,
                                                          const std::string& key,
                                                          const std::string& request_hash) {
  auto found = co_await db_.query(
      "SELECT request_hash, order_id, response_status, response_body FROM idempotency_keys "
      "WHERE user_id = $1 AND key = $2 AND created_at_ms >= $3",
      sql::params(user_id, key, core::unix_millis() - kIdempotencyKeyLifetimeMs));
  if (found.empty())
    co_return std::nullopt;
  PlaceOutcome outcome;
  if (found.rows.front().text(0) != request_hash) {
    outcome.kind = PlaceOutcome::Kind::key_reused;
    co_return outcome;
  }
  outcome.kind = PlaceOutcome::Kind::replayed;
  outcome.order = co_await find(found.rows.front().text(1));
  outcome.first_answer = stored_answer(found.rows.front(), 2);
  co_return outcome;
}

awaitable<void> OrderStore::record_answer(const std::string& user_id, const std::string& key,
                                          int status, const std::string& body) {
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    co_await tx.exec(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4 "
        "WHERE user_id = $1 AND key = $2 AND response_status IS NULL",
        sql::params(user_id, key, static_cast<std::int64_t>(status), body));
  });
}

awaitable<std::optional<contracts::Order>> OrderStore::find(const std::string& id) {
  sql::QueryRunner reader(db_);
  co_return co_await load_consistent_order(reader, id);
}

awaitable<std::int64_t> OrderStore::version(const std::string& id) {
  auto found =
      co_await db_.query("SELECT COUNT(*) FROM order_history WHERE order_id = $1", sql::params(id));
  co_return found.empty() ? 0 : found.rows.front().integer(0);
}

awaitable<OrderPage> OrderStore::list(const OrderFilter& filter,
                                      std::optional<std::string> before_id, int limit) {
  std::string where;
  sql::Bindings params;
  auto add = [&](std::string_view clause, std::string value) {
    where += where.empty() ? " WHERE " : " AND ";
    where += std::string(clause) + " " + params.bind(std::move(value));
  };
  if (filter.user_id)
    add("user_id =", *filter.user_id);
  if (filter.status)
    add("status =", *filter.status);
  if (before_id)
    add("id <", *before_id);
  // One row more than asked tells whether another page follows.
  auto count = params.bind(static_cast<std::int64_t>(limit + 1));
  auto sql = "SELECT " + std::string(kOrderColumns) + " FROM orders" + where +
             " ORDER BY id DESC LIMIT " + count;
  auto result = co_await db_.query(sql, std::move(params.values()));
  OrderPage page;
  sql::QueryRunner reader(db_);
  for (const auto& row : result.rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_before_id = page.items.back().id;
      break;
    }
    page.items.push_back(order_from_row(row));
    co_await load_details(reader, page.items.back());
    if (!consistent(page.items.back())) {
      if (auto fresh = co_await load_consistent_order(reader, page.items.back().id))
        page.items.back() = std::move(*fresh);
    }
  }
  co_return page;
}

awaitable<CancelOutcome> OrderStore::cancel(const std::string& id, const std::string& reason,
                                            const std::string& traceparent) {
  CancelOutcome outcome;
  co_await db_.transact([&](sql::Transaction& tx) -> awaitable<void> {
    // The saga may settle the order between the read and the update (pending -> confirmed):
    // then the status is read again and the cancel decided on the new one.
    for (int attempt = 0; attempt < 4; ++attempt) {
      auto found = co_await tx.exec("SELECT status FROM orders WHERE id = $1", sql::params(id));
      if (found.empty())
        co_return;
      auto previous = found.rows.front().text(0);
      auto status = parse_status(previous);
      if (!status || !can_transition(*status, OrderStatus::cancelled)) {
        outcome.kind = CancelOutcome::Kind::conflict;
        outcome.order = co_await load_order(tx, id);
        co_return;
      }
      auto now = core::rfc3339();
      auto changed = co_await tx.exec(
          "UPDATE orders SET status = 'cancelled', updated_at = $3 WHERE id = $1 AND status = $2",
          sql::params(id, previous, now));
      if (changed.affected_rows != 1)
        continue;
      std::optional<std::string> why(reason);
      co_await append_history(tx, id, to_string(OrderStatus::cancelled), why, now);
      outcome.order = co_await load_order(tx, id);
      auto event = order_status_changed(*outcome.order, previous, traceparent);
      co_await bus::enqueue(tx, event);
      outcome.kind = CancelOutcome::Kind::cancelled;
      co_return;
    }
    throw std::runtime_error("orders: the status of order " + id +
                             " kept changing during a cancel");
  });
  co_return outcome;
}

awaitable<std::optional<contracts::Order>> OrderStore::confirm(sql::Transaction& tx,
                                                               const std::string& order_id,
                                                               const std::string& traceparent) {
  std::optional<std::string> no_rejection;
  std::optional<std::string> reason("stock reserved");
  co_return co_await settle(tx, order_id, OrderStatus::confirmed, no_rejection, reason,
                            traceparent);
}

awaitable<std::optional<contracts::Order>> OrderStore::reject(
    sql::Transaction& tx, const contracts::events::InventoryRejected& rejection,
    const std::string& traceparent) {
  contracts::OrderRejection stored{rejection.reason, {}};
  for (const auto& line : rejection.lines)
    stored.lines.push_back({line.product_id, line.requested, line.available});
  std::optional<std::string> rejection_json(json::serialize(contracts::to_json(stored)));
  std::optional<std::string> reason(rejection.reason);
  co_return co_await settle(tx, rejection.order_id, OrderStatus::rejected, rejection_json, reason,
                            traceparent);
}

}  // namespace ordo::services::orders
