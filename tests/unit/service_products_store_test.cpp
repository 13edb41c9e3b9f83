// The products store against a real SQLite file: events written with their changes (and only
// then), conditional writes, and keyset lists whose ties are broken by id.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "contracts/events.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "postgres_test_support.hpp"
#include "services/products/service.hpp"
#include "services/products/store.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::products {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ordo::testing::run_async;

// A concurrent writer on another connection: gives the product a newer version (named
// "Slipped in") and holds the row's lock for a moment before committing. `holding` turns true
// once the row is locked, `done` once it committed.
// Another writer on another connection: its update of the product, held uncommitted for 1.5 s
// (the store's conditional write waits on its row lock), then committed.
asio::awaitable<void> slip_in(sql::Database& db, std::string id, std::string update, bool& holding,
                              bool& done) {
  co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
    co_await tx.exec(update, sql::params(id));
    holding = true;
    asio::steady_timer hold(co_await asio::this_coro::executor, std::chrono::milliseconds(1'500));
    co_await hold.async_wait(asio::use_awaitable);
  });
  done = true;
}

asio::awaitable<void> until(const bool& flag) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  while (!flag) {
    tick.expires_after(std::chrono::milliseconds(2));
    co_await tick.async_wait(asio::use_awaitable);
  }
}

class ProductsStore : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // migration lines only
    auto schema = migrations();
    auto bus_tables = bus::bus_migrations();
    schema.insert(schema.end(), bus_tables.begin(), bus_tables.end());
    run_async(ctx_, sql::migrate(*db_, schema));
  }

  static NewProduct product(const std::string& sku, std::int64_t price,
                            const std::string& name = "Thing") {
    return NewProduct{sku, name, "", price, "EUR", "general", json::object{}, 7};
  }

  contracts::Product create(const NewProduct& input) {
    auto created = run_async(ctx_, store_.create(input, ""));
    EXPECT_TRUE(created);
    return *created;
  }

  // The outbox's events, oldest first.
  std::vector<bus::CloudEvent> events() {
    auto result = run_async(ctx_, db_->query("SELECT payload FROM outbox ORDER BY seq"));
    std::vector<bus::CloudEvent> out;
    for (const auto& row : result.rows)
      out.push_back(*bus::parse_event(row.text(0)));
    return out;
  }

  std::vector<std::string> walk(ListFilter filter, int limit) {
    std::vector<std::string> ids;
    std::optional<ListPosition> after;
    for (int pages = 0; pages < 50; ++pages) {
      auto page = run_async(ctx_, store_.list(filter, after, limit));
      for (const auto& item : page.items)
        ids.push_back(item.id);
      if (!page.next)
        break;
      // Through the text form, as a client's cursor travels.
      after = decode_position(encode_position(*page.next), filter.sort);
    }
    return ids;
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_ =
      ordo::testing::open_test_database(GetParam(), ctx_, dir_, "products");
  ProductStore store_{*db_};
};

TEST_P(ProductsStore, CreateEmitsProductCreatedWithTheInitialStock) {
  auto created = create(product("SKU-1", 1999));
  ASSERT_EQ(events().size(), 1u);
  auto event = events().front();
  EXPECT_EQ(event.type, contracts::events::kProductCreated);
  EXPECT_EQ(event.subject, created.id);
  auto data = contracts::events::product_created_from_json(event.data);
  EXPECT_EQ(data.product.product_id, created.id);
  EXPECT_EQ(data.product.sku, "SKU-1");
  EXPECT_EQ(data.product.price_cents, 1999);
  EXPECT_EQ(data.product.currency, "EUR");
  EXPECT_TRUE(data.product.active);
  EXPECT_EQ(data.product.version, 1);
  EXPECT_EQ(data.initial_stock, 7);

  // A duplicate SKU writes neither a row nor an event.
  EXPECT_FALSE(run_async(ctx_, store_.create(product("SKU-1", 5), "")));
  EXPECT_EQ(events().size(), 1u);
}

TEST_P(ProductsStore, PatchWritesAndEmitsOnlyWhenItProceeds) {
  auto created = create(product("SKU-1", 100));
  ProductPatch patch;
  patch.price_cents = 250;
  auto stale = run_async(ctx_, store_.patch(created.id, patch, std::string("\"9\""), ""));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->decision, WriteDecision::stale);
  EXPECT_EQ(events().size(), 1u);

  auto done = run_async(ctx_, store_.patch(created.id, patch, std::string("\"1\""), ""));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->decision, WriteDecision::proceed);
  EXPECT_EQ(done->product.version, 2);
  auto stored = run_async(ctx_, store_.find(created.id));
  EXPECT_EQ(stored->price_cents, 250);
  EXPECT_EQ(stored->version, 2);
  ASSERT_EQ(events().size(), 2u);
  auto snapshot = contracts::events::product_snapshot_from_json(events()[1].data);
  EXPECT_EQ(events()[1].type, contracts::events::kProductUpdated);
  EXPECT_EQ(snapshot.price_cents, 250);
  EXPECT_EQ(snapshot.version, 2);

  EXPECT_FALSE(run_async(
      ctx_, store_.patch("0190a0a0-0000-7000-8000-000000000009", patch, std::nullopt, "")));
}

TEST_P(ProductsStore, ArchiveEmitsOnceAndKeepsTheRow) {
  auto created = create(product("SKU-1", 100));
  auto first = run_async(ctx_, store_.archive(created.id, std::nullopt, ""));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->decision, ArchiveDecision::archive);
  auto again = run_async(ctx_, store_.archive(created.id, std::nullopt, ""));
  EXPECT_EQ(again->decision, ArchiveDecision::already_archived);
  ASSERT_EQ(events().size(), 2u);
  EXPECT_EQ(events()[1].type, contracts::events::kProductDeleted);
  auto snapshot = contracts::events::product_snapshot_from_json(events()[1].data);
  EXPECT_FALSE(snapshot.active);
  EXPECT_EQ(snapshot.version, 2);
  auto stored = run_async(ctx_, store_.find(created.id));
  EXPECT_EQ(stored->status, "archived");

  ProductPatch patch;
  patch.name = "Back";
  EXPECT_EQ(run_async(ctx_, store_.patch(created.id, patch, std::nullopt, ""))->decision,
            WriteDecision::archived);
  EXPECT_TRUE(walk(ListFilter{}, 10).empty());
}

TEST_P(ProductsStore, KeysetPagesBreakTiesById) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(create(product("SAME-" + std::to_string(i), 500, "Same")).id);
  auto cheap = create(product("CHEAP", 100, "same")).id;
  std::vector<std::string> ascending{cheap};
  ascending.insert(ascending.end(), ids.begin(), ids.end());  // uuid v7: creation order
  ListFilter by_price;
  by_price.sort = {SortKey::price_cents, false};
  EXPECT_EQ(walk(by_price, 2), ascending);
  by_price.sort.descending = true;
  EXPECT_EQ(walk(by_price, 2), std::vector<std::string>(ascending.rbegin(), ascending.rend()));
  ListFilter by_name;
  by_name.sort = {SortKey::name, false};
  // "Same" and "same" fold to one key: all six tie, in id order.
  std::vector<std::string> all(ids);
  all.push_back(cheap);
  EXPECT_EQ(walk(by_name, 4), all);
  EXPECT_EQ(walk(ListFilter{}, 1), all);
}

TEST_P(ProductsStore, SearchTreatsWildcardsLiterally) {
  auto percent = create(product("P", 1, "Save 50% now")).id;
  create(product("Q", 1, "Save 500 now"));
  auto underscore = create(product("R", 1, "snake_case")).id;
  create(product("S", 1, "snakeXcase"));
  ListFilter filter;
  filter.q = like_pattern("50%");
  EXPECT_EQ(walk(filter, 10), std::vector<std::string>{percent});
  filter.q = like_pattern("E_C");
  EXPECT_EQ(walk(filter, 10), std::vector<std::string>{underscore});
}

// attributes is JSONB on PostgreSQL (002_attributes_jsonb.postgres.sql), TEXT on SQLite: the
// document goes in and comes back the same through either.
TEST_P(ProductsStore, AttributesDocumentRoundTrips) {
  auto input = product("DOC", 100);
  input.attributes =
      json::parse(R"({"color": "red", "sizes": [38, 39], "spec": {"watt": 2.5}})").as_object();
  auto created = create(input);
  auto stored = run_async(ctx_, store_.find(created.id));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->attributes, input.attributes);
  ProductPatch patch;
  patch.attributes = json::object{{"color", "blue"}};
  ASSERT_EQ(run_async(ctx_, store_.patch(created.id, patch, std::nullopt, ""))->decision,
            WriteDecision::proceed);
  EXPECT_EQ(run_async(ctx_, store_.find(created.id))->attributes, *patch.attributes);
  if (GetParam() == sql::Dialect::postgres) {
    auto type = run_async(ctx_, db_->query("SELECT pg_typeof(attributes)::text, "
                                           "attributes->>'color' FROM products"));
    EXPECT_EQ(type.one().text(0), "jsonb");
    EXPECT_EQ(type.one().text(1), "blue");
  }
}

// A writer that slips in between the store's read and its conditional write (the store reads
// version 1; its UPDATE waits for the other writer's lock, then finds version 2): the store
// writes nothing, emits nothing and says raced (a 409 for the client), instead of overwriting.
constexpr std::string_view kRename =
    "UPDATE products SET name = 'Slipped in', version = version + 1 WHERE id = $1";
constexpr std::string_view kArchive =
    "UPDATE products SET status = 'archived', version = version + 1 WHERE id = $1";

// A writer slipping in between the store's read and its conditional write is never overwritten:
// the store reads the product again, in the same transaction, and decides again on the newer
// version. (SQLite runs one writing transaction at a time: nobody can slip in there.)
class ProductsStoreRace : public ProductsStore {
 protected:
  void SetUp() override {
    if (GetParam() != sql::Dialect::postgres)
      GTEST_SKIP() << "SQLite runs one writing transaction at a time: nobody can slip in";
    ProductsStore::SetUp();
  }

  // The store's coroutines keep references to their arguments: these outlive every call.
  const std::optional<std::string> no_if_match_;
  const std::string no_traceparent_;

  template <typename Write>
  auto while_another_writes(const std::string& id, std::string_view update, Write write) {
    bool holding = false;
    bool done = false;
    asio::co_spawn(ctx_, slip_in(*db_, id, std::string(update), holding, done), asio::detached);
    run_async(ctx_, until(holding));
    auto outcome = run_async(ctx_, write());
    run_async(ctx_, until(done));
    return outcome;
  }
};

TEST_P(ProductsStoreRace, APatchWithoutIfMatchAppliesOnTopOfTheNewerVersion) {
  auto created = create(product("SKU-P", 100));
  auto events_before = events().size();
  ProductPatch patch;
  patch.price_cents = 250;
  auto outcome = while_another_writes(created.id, kRename, [&] {
    return store_.patch(created.id, patch, no_if_match_, no_traceparent_);
  });
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->decision, WriteDecision::proceed);
  auto stored = run_async(ctx_, store_.find(created.id));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->name, "Slipped in");  // the other writer's change is kept
  EXPECT_EQ(stored->price_cents, 250);    // and the patch applied on top of it
  EXPECT_EQ(stored->version, 3);
  EXPECT_EQ(events().size(), events_before + 1);
}

TEST_P(ProductsStoreRace, APatchWithIfMatchOfTheOlderVersionIsStale) {
  auto created = create(product("SKU-Q", 100));
  auto events_before = events().size();
  ProductPatch patch;
  patch.price_cents = 250;
  const std::optional<std::string> seen = etag(created.version);
  auto outcome = while_another_writes(
      created.id, kRename, [&] { return store_.patch(created.id, patch, seen, no_traceparent_); });
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->decision, WriteDecision::stale);
  auto stored = run_async(ctx_, store_.find(created.id));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->name, "Slipped in");
  EXPECT_EQ(stored->price_cents, 100);
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(events().size(), events_before);
}

TEST_P(ProductsStoreRace, AnArchiveAfterAConcurrentChangeArchivesTheNewerVersion) {
  auto created = create(product("SKU-A", 100));
  auto events_before = events().size();
  auto outcome = while_another_writes(created.id, kRename, [&] {
    return store_.archive(created.id, no_if_match_, no_traceparent_);
  });
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->decision, ArchiveDecision::archive);
  auto stored = run_async(ctx_, store_.find(created.id));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->name, "Slipped in");
  EXPECT_EQ(stored->status, "archived");
  EXPECT_EQ(stored->version, 3);
  EXPECT_EQ(events().size(), events_before + 1);
}

TEST_P(ProductsStoreRace, TwoArchivesAtOnceAreOneArchiveAndOneAlreadyArchived) {
  auto created = create(product("SKU-D", 100));
  auto events_before = events().size();
  auto outcome = while_another_writes(created.id, kArchive, [&] {
    return store_.archive(created.id, no_if_match_, no_traceparent_);
  });
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->decision, ArchiveDecision::already_archived);  // DELETE is idempotent: 204
  auto stored = run_async(ctx_, store_.find(created.id));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, "archived");
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(events().size(), events_before);  // the other writer's; this one emitted nothing
}

INSTANTIATE_TEST_SUITE_P(Dialects, ProductsStore, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);
INSTANTIATE_TEST_SUITE_P(Dialects, ProductsStoreRace, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::services::products
