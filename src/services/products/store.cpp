#include "services/products/store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/http/conditional.hpp"
#include "platform/sql/bindings.hpp"
#include "services/products/emits.hpp"

namespace ordo::services::products {
namespace {

// Rounds of read, decide, conditional write in one transaction (PostgreSQL, read committed: each
// round's read sees what other writers committed meanwhile). Past them, the write is `raced`.
constexpr int kWriteAttempts = 3;

constexpr std::string_view kColumns =
    "id, sku, name, description, price_cents, currency, category, attributes, status, version, "
    "created_at, updated_at, created_at_ms";

struct StoredProduct {
  contracts::Product product;
  std::int64_t created_at_ms = 0;
};

StoredProduct from_row(const sql::Row& row) {
  auto attributes = boost::json::parse(row.text(7));
  contracts::Product product{row.text(0),    row.text(1),    row.text(2),  row.text(3),
                             row.integer(4), row.text(5),    row.text(6),  attributes.as_object(),
                             row.text(8),    row.integer(9), row.text(10), row.text(11)};
  return StoredProduct{std::move(product), row.integer(12)};
}

std::string select_products(std::string_view rest) {
  return "SELECT " + std::string(kColumns) + " FROM products " + std::string(rest);
}

ListPosition position_of(const StoredProduct& stored, Sort sort) {
  ListPosition position{sort, stored.product.id, 0, {}};
  switch (sort.key) {
    case SortKey::created_at:
      position.integer = stored.created_at_ms;
      break;
    case SortKey::price_cents:
      position.integer = stored.product.price_cents;
      break;
    case SortKey::name:
      position.text = name_key(stored.product.name);
      break;
  }
  return position;
}

std::string_view sort_column(SortKey key) {
  switch (key) {
    case SortKey::created_at:
      return "created_at_ms";
    case SortKey::name:
      return "name_key";
    case SortKey::price_cents:
      return "price_cents";
  }
  return "created_at_ms";
}

// The client's If-Match names another version than the stored one.
bool stale_copy(const std::optional<std::string>& if_match, std::int64_t version) {
  return if_match && !http::if_match_satisfied(*if_match, etag(version));
}

// The list query with its parameters, numbered as they are added.
struct ListQuery {
  std::string sql;
  sql::Bindings params;
};

ListQuery list_query(const ListFilter& filter, const std::optional<ListPosition>& after,
                     int limit) {
  ListQuery query;
  std::string where = "WHERE status = 'active'";
  if (filter.q) {
    // Both sides folded by the same lower(), so the match is case-insensitive in every dialect.
    auto q = query.params.bind(*filter.q);
    where += " AND (lower(name) LIKE lower(" + q +
             ") ESCAPE '\\' OR lower(description) LIKE lower(" + q + ") ESCAPE '\\')";
  }
  if (filter.category)
    where += " AND category = " + query.params.bind(*filter.category);
  if (filter.min_price_cents)
    where += " AND price_cents >= " + query.params.bind(*filter.min_price_cents);
  if (filter.max_price_cents)
    where += " AND price_cents <= " + query.params.bind(*filter.max_price_cents);
  std::string column(sort_column(filter.sort.key));
  const char* beyond = filter.sort.descending ? " < " : " > ";
  if (after) {
    // Keyset: strictly after the last row seen in (key, id) order; rows inserted meanwhile
    // land wherever their key puts them and never shift the rows not yet seen.
    sql::Value value =
        filter.sort.key == SortKey::name ? sql::Value(after->text) : sql::Value(after->integer);
    auto v = query.params.bind(value);
    auto id = query.params.bind(after->id);
    where += " AND (" + column + beyond + v + " OR (" + column + " = " + v + " AND id" + beyond +
             id + "))";
  }
  const char* direction = filter.sort.descending ? " DESC" : " ASC";
  // One row more than asked tells whether another page follows.
  auto count = query.params.bind(limit + 1);
  query.sql = select_products(where + " ORDER BY " + column + direction + ", id" + direction +
                              " LIMIT " + count);
  return query;
}

}  // namespace

boost::asio::awaitable<std::optional<contracts::Product>> ProductStore::create(
    const NewProduct& input, const std::string& traceparent) {
  auto now = core::Clock::now();
  auto now_text = core::rfc3339(now);
  contracts::Product product{core::uuid_v7(),
                             input.sku,
                             input.name,
                             input.description,
                             input.price_cents,
                             input.currency,
                             input.category,
                             input.attributes,
                             std::string(contracts::kProductActive),
                             1,
                             now_text,
                             now_text};
  try {
    co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
      co_await tx.exec(
          "INSERT INTO products (id, sku, name, name_key, description, price_cents, currency, "
          "category, attributes, status, version, created_at, created_at_ms, updated_at) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', 1, $10, $11, $10)",
          sql::params(product.id, product.sku, product.name, name_key(product.name),
                      product.description, product.price_cents, product.currency, product.category,
                      boost::json::serialize(product.attributes), now_text,
                      core::unix_millis(now)));
      co_await bus::enqueue(tx, product_created(product, input.initial_stock, traceparent));
    });
  } catch (const sql::Error& e) {
    if (e.kind() == sql::Error::Kind::unique_violation)
      co_return std::nullopt;
    throw;
  }
  co_return product;
}

boost::asio::awaitable<std::optional<contracts::Product>> ProductStore::find(
    const std::string& id) {
  auto result = co_await db_.query(select_products("WHERE id = $1"), sql::params(id));
  if (result.empty())
    co_return std::nullopt;
  co_return from_row(result.rows.front()).product;
}

boost::asio::awaitable<std::optional<PatchOutcome>> ProductStore::patch(
    const std::string& id, const ProductPatch& patch, const std::optional<std::string>& if_match,
    const std::string& traceparent) {
  std::optional<PatchOutcome> outcome;
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
      auto found = co_await tx.exec(select_products("WHERE id = $1"), sql::params(id));
      if (found.empty())
        co_return;
      auto current = from_row(found.rows.front()).product;
      auto decision = decide_patch(current, patch, stale_copy(if_match, current.version));
      if (decision != WriteDecision::proceed) {
        outcome = PatchOutcome{decision, std::move(current)};
        co_return;
      }
      auto updated = apply_patch(current, patch, core::rfc3339());
      // Conditional on the version read above: a writer that slipped in between is not
      // overwritten; the next round reads its version and decides again.
      auto changed = co_await tx.exec(
          "UPDATE products SET name = $3, name_key = $4, description = $5, price_cents = $6, "
          "currency = $7, category = $8, attributes = $9, version = $10, updated_at = $11 "
          "WHERE id = $1 AND version = $2 AND status = 'active'",
          sql::params(id, current.version, updated.name, name_key(updated.name),
                      updated.description, updated.price_cents, updated.currency, updated.category,
                      boost::json::serialize(updated.attributes), updated.version,
                      updated.updated_at));
      if (changed.affected_rows == 1) {
        co_await bus::enqueue(tx, product_updated(updated, traceparent));
        outcome = PatchOutcome{decision, std::move(updated)};
        co_return;
      }
      outcome = PatchOutcome{WriteDecision::raced, std::move(current)};
    }
  });
  co_return outcome;
}

boost::asio::awaitable<std::optional<ArchiveOutcome>> ProductStore::archive(
    const std::string& id, const std::optional<std::string>& if_match,
    const std::string& traceparent) {
  std::optional<ArchiveOutcome> outcome;
  co_await db_.transact([&](sql::Transaction& tx) -> boost::asio::awaitable<void> {
    for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
      auto found = co_await tx.exec(select_products("WHERE id = $1"), sql::params(id));
      if (found.empty())
        co_return;
      auto product = from_row(found.rows.front()).product;
      // Two DELETEs at once: the later one reads the archived row in its next round, and
      // already_archived is the idempotent 204, not a conflict.
      auto decision = decide_archive(product, stale_copy(if_match, product.version));
      if (decision != ArchiveDecision::archive) {
        outcome = ArchiveOutcome{decision, std::move(product)};
        co_return;
      }
      auto archived = product;
      archived.status = std::string(contracts::kProductArchived);
      archived.version += 1;
      archived.updated_at = core::rfc3339();
      auto changed = co_await tx.exec(
          "UPDATE products SET status = 'archived', version = $3, updated_at = $4 "
          "WHERE id = $1 AND version = $2 AND status = 'active'",
          sql::params(id, product.version, archived.version, archived.updated_at));
      if (changed.affected_rows == 1) {
        co_await bus::enqueue(tx, product_deleted(archived, traceparent));
        outcome = ArchiveOutcome{decision, std::move(archived)};
        co_return;
      }
      outcome = ArchiveOutcome{ArchiveDecision::raced, std::move(product)};
    }
  });
  co_return outcome;
}

boost::asio::awaitable<ProductPage> ProductStore::list(const ListFilter& filter,
                                                       const std::optional<ListPosition>& after,
                                                       int limit) {
  auto query = list_query(filter, after, limit);
  auto result = co_await db_.query(query.sql, std::move(query.params.values()));
  ProductPage page;
  std::optional<StoredProduct> last;
  for (const auto& row : result.rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next = position_of(*last, filter.sort);
      break;
    }
    last = from_row(row);
    page.items.push_back(last->product);
  }
  co_return page;
}

}  // namespace ordo::services::products
