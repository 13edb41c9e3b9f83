// bus::Consumer on both engines: a batch is one transaction with one inbox statement, each
// event under its own savepoint; a poison event is dead alone; a failing event leaves no partial
// effect; an unreachable database loses the whole batch; and a batch interrupted by kill -9 is
// redelivered and applied exactly once.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bus_test_support.hpp"
#include "platform/bus/consumer.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/core/child_process.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"

namespace ordo::bus {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using ordo::testing::run_async;

constexpr const char* kType = "thing.done";

// The decoded payload: which thing, and how its handler should misbehave.
struct Thing {
  std::int64_t n = 0;
  std::string mode;  // "", "poison", "fail" (throws after two writes), "sql" (a failing INSERT)
};

Thing decode_thing(const boost::json::value& data) {
  const auto& object = data.as_object();  // throws on anything else: malformed
  if (object.contains("malformed"))
    throw std::invalid_argument("no n");
  Thing thing{object.at("n").as_int64(), ""};
  if (auto* mode = object.if_contains("mode"))
    thing.mode = std::string(mode->as_string());
  return thing;
}

CloudEvent thing(int n, std::string mode = "") {
  boost::json::object data{{"n", n}};
  if (!mode.empty())
    data["mode"] = mode;
  return make_event("/ordo/test", kType, "thing-" + std::to_string(n), data, "");
}

std::vector<sql::Migration> schema() {
  auto all = bus_migrations();
  all.push_back({1, "effects", "any",
                 "CREATE TABLE effects (event_id TEXT NOT NULL, part INTEGER NOT NULL, "
                 "PRIMARY KEY (event_id, part))"});
  return all;
}

// Writes one effect row (two for "fail"), then misbehaves as the thing's mode says, but only
// while `failing` still lets it (so that a redelivery can succeed).
asio::awaitable<void> apply_thing(sql::Transaction& tx, const Thing& thing, const CloudEvent& event,
                                  const bool& failing) {
  co_await tx.exec("INSERT INTO effects (event_id, part) VALUES ($1, 1)", sql::params(event.id));
  if (!failing)
    co_return;
  if (thing.mode == "poison")
    throw PoisonEvent("thing " + std::to_string(thing.n) + " can never be done");
  if (thing.mode == "fail") {
    co_await tx.exec("INSERT INTO effects (event_id, part) VALUES ($1, 2)", sql::params(event.id));
    throw std::runtime_error("a hiccup");
  }
  if (thing.mode == "sql") {
    // A duplicate key: on PostgreSQL this aborts the transaction until the savepoint is undone.
    co_await tx.exec("INSERT INTO effects (event_id, part) VALUES ($1, 1)", sql::params(event.id));
  }
  if (thing.mode == "unavailable")
    throw Unavailable("its database went away");
}

class ConsumerTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // poison and retry warnings are expected here
    run_async(ctx_, migrate());
  }
  void TearDown() override { log::set_level(log::Level::info); }

  asio::awaitable<void> migrate() {
    auto all = schema();
    co_await sql::migrate(*db_, all);
  }

  Subscription subscription() {
    auto apply = [this](sql::Transaction& tx, const Thing& thing, const CloudEvent& event) {
      return apply_thing(tx, thing, event, failing_);
    };
    auto committed = [this](const Thing& thing) { committed_.insert(thing.n); };
    Consumer consumer(*db_, "things");
    consumer.on(kType, decode_thing, apply, committed).after_commit([this] { ++batches_; });
    return consumer.subscription();
  }

  std::vector<Settlement> handle(const std::vector<CloudEvent>& events) {
    std::vector<Delivery> batch;
    for (const auto& event : events)
      batch.push_back(Delivery{event, 1});
    Subscription consumer = subscription();
    auto run = [&]() -> asio::awaitable<std::vector<Settlement>> {
      std::span<const Delivery> view(batch);
      co_return co_await consumer.handler(view);
    };
    return run_async(ctx_, run());
  }

  std::int64_t count(const std::string& sql) {
    auto run = [&]() -> asio::awaitable<std::int64_t> {
      auto result = co_await db_->query(sql);
      co_return result.one().integer(0);
    };
    return run_async(ctx_, run());
  }

  static std::vector<Outcome> outcomes(const std::vector<Settlement>& settlements) {
    std::vector<Outcome> out;
    for (const auto& s : settlements)
      out.push_back(s.outcome);
    return out;
  }

  asio::io_context ctx_;
  ordo::testing::SharedTestDatabase shared_{GetParam(), ctx_, "consumer"};
  std::unique_ptr<ordo::testing::CountingDatabase> db_ =
      std::make_unique<ordo::testing::CountingDatabase>(shared_.open());
  bool failing_ = true;
  std::set<std::int64_t> committed_;
  int batches_ = 0;
};

TEST_P(ConsumerTest, ABatchIsOneTransactionWithOneInboxStatement) {
  std::vector<CloudEvent> events;
  for (int i = 0; i < 8; ++i)
    events.push_back(thing(i));
  int before_transactions = db_->transactions;
  int before_statements = db_->statements;
  auto settled = handle(events);
  EXPECT_EQ(outcomes(settled), std::vector<Outcome>(8, Outcome::done));
  EXPECT_EQ(db_->transactions - before_transactions, 1);
  // The inbox in one statement, then per event its savepoint and its one write.
  EXPECT_EQ(db_->statements - before_statements, 1 + 8 * 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 8);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox WHERE consumer = 'things'"), 8);
  EXPECT_EQ(committed_.size(), 8u);
  EXPECT_EQ(batches_, 1);
}

TEST_P(ConsumerTest, APoisonEventIsDeadAloneAndTheRestOfTheBatchCommits) {
  std::vector<CloudEvent> events{thing(0), thing(1), thing(2, "poison"), thing(3), thing(4)};
  auto settled = handle(events);
  // Recorded as dead by the consumer: settled, so the bus never redelivers it.
  EXPECT_EQ(outcomes(settled), std::vector<Outcome>(5, Outcome::done));
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects WHERE event_id = '" + events[2].id + "'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events WHERE consumer = 'things' AND payload LIKE '%" +
                  events[2].id + "%' AND reason = 'thing 2 can never be done'"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox"), 5);
  EXPECT_EQ(committed_, (std::set<std::int64_t>{0, 1, 3, 4}));

  // The whole batch again (a redelivery): duplicates, the dead event not recorded twice.
  committed_.clear();
  EXPECT_EQ(outcomes(handle(events)), std::vector<Outcome>(5, Outcome::done));
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 4);
  EXPECT_TRUE(committed_.empty());
  EXPECT_EQ(batches_, 1);  // the redelivered batch applied nothing: no hook
}

TEST_P(ConsumerTest, AFailingEventIsUndoneToItsSavepointAndLeavesNoPartialEffect) {
  std::vector<CloudEvent> events{thing(0), thing(1, "fail"), thing(2), thing(3, "sql"), thing(4)};
  auto settled = handle(events);
  EXPECT_EQ(outcomes(settled), (std::vector<Outcome>{Outcome::done, Outcome::retry, Outcome::done,
                                                     Outcome::retry, Outcome::done}));
  EXPECT_EQ(settled[1].reason, "a hiccup");
  // Neither of the failed events' writes survives, nor their inbox rows: they will be retried.
  for (int failed : {1, 3}) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM effects WHERE event_id = '" + events[failed].id + "'"),
              0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM inbox WHERE event_id = '" + events[failed].id + "'"), 0);
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events"), 0);
  EXPECT_EQ(committed_, (std::set<std::int64_t>{0, 2, 4}));

  // Redelivered once the hiccup is over: applied exactly once, the others are duplicates.
  failing_ = false;
  EXPECT_EQ(outcomes(handle(events)), std::vector<Outcome>(5, Outcome::done));
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox"), 5);
}

TEST_P(ConsumerTest, MalformedDataAndUnknownTypesAreDeadOnce) {
  auto malformed =
      make_event("/ordo/test", kType, "x", boost::json::object{{"malformed", true}}, "");
  auto not_an_object = make_event("/ordo/test", kType, "y", boost::json::value("text"), "");
  auto unknown = make_event("/ordo/test", "thing.unknown", "z", boost::json::object{}, "");
  std::vector<CloudEvent> events{malformed, thing(1), not_an_object, unknown};
  EXPECT_EQ(outcomes(handle(events)), std::vector<Outcome>(4, Outcome::done));
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events WHERE reason LIKE 'malformed thing.done%'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events WHERE reason = "
                  "'things has no handler for thing.unknown'"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 1);
  handle(events);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_events"), 3);
}

TEST_P(ConsumerTest, TheSameEventTwiceInABatchIsAppliedOnce) {
  auto once = thing(1);
  std::vector<CloudEvent> events{once, thing(2), once};
  EXPECT_EQ(outcomes(handle(events)), std::vector<Outcome>(3, Outcome::done));
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox"), 2);
}

TEST_P(ConsumerTest, AnUnreachableDependencyLosesTheWholeBatchWithoutCountingIt) {
  std::vector<CloudEvent> events{thing(0), thing(1), thing(2, "unavailable"), thing(3)};
  auto settled = handle(events);
  EXPECT_EQ(outcomes(settled), std::vector<Outcome>(4, Outcome::unavailable));
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox"), 0);
  EXPECT_TRUE(committed_.empty());
}

INSTANTIATE_TEST_SUITE_P(Dialects, ConsumerTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

// --- kill -9 in the middle of a batch ------------------------------------------------------

constexpr const char* kChildDatabase = "ORDO_TEST_KILLED_BATCH_DB";
constexpr const char* kChildMarker = "ORDO_TEST_KILLED_BATCH_MARKER";
constexpr int kKilledBatch = 10;
constexpr int kKilledAt = 6;  // the child stops, transaction open, inside this event

std::vector<CloudEvent> killed_batch_events() {
  std::vector<CloudEvent> events;
  for (int i = 0; i < kKilledBatch; ++i) {
    auto event = thing(i);
    event.id = "0190b000-0000-7000-8000-0000000000" + std::to_string(10 + i);  // the same each run
    events.push_back(event);
  }
  return events;
}

asio::awaitable<void> apply_until_killed(sql::Transaction& tx, const Thing& thing,
                                         const CloudEvent& event, const std::string& marker) {
  co_await tx.exec("INSERT INTO effects (event_id, part) VALUES ($1, 1)", sql::params(event.id));
  if (thing.n == kKilledAt) {
    std::ofstream(marker) << "in the middle of the batch\n";
    asio::steady_timer forever(co_await asio::this_coro::executor, std::chrono::hours(1));
    co_await forever.async_wait(asio::use_awaitable);
  }
}

// Run by the test below as a child process: handles the batch and, in the middle of it (six
// events applied under their savepoints, the transaction still open), says so and waits to be
// killed.
TEST(ConsumerKillNine, DISABLED_ChildHandlesABatchUntilKilled) {
  const char* locator = std::getenv(kChildDatabase);
  const char* marker = std::getenv(kChildMarker);
  ASSERT_TRUE(locator != nullptr && marker != nullptr) << "run only by KilledBatch below";
  asio::io_context ctx;
  auto db = ordo::testing::open_located(locator, ctx);
  std::string marker_path = marker;
  auto apply = [marker_path](sql::Transaction& tx, const Thing& thing, const CloudEvent& event) {
    return apply_until_killed(tx, thing, event, marker_path);
  };
  Consumer consumer(*db, "things");
  consumer.on(kType, decode_thing, apply);
  auto subscription = consumer.subscription();
  auto events = killed_batch_events();
  std::vector<Delivery> batch;
  for (const auto& event : events)
    batch.push_back(Delivery{event, 1});
  std::span<const Delivery> view(batch);
  run_async(ctx, subscription.handler(view), std::chrono::hours(1));
  FAIL() << "the batch should never have ended";
}

class KilledBatchTest : public ConsumerTest {};

TEST_P(KilledBatchTest, ABatchInterruptedByKillNineIsRedeliveredAndAppliedOnce) {
  ordo::testing::TempDir dir;
  std::string marker = dir.file("marker");
  ::setenv(kChildDatabase, shared_.locator().c_str(), 1);
  ::setenv(kChildMarker, marker.c_str(), 1);
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  pid_t child = core::spawn_process(
      {self, "--gtest_also_run_disabled_tests",
       "--gtest_filter=ConsumerKillNine.DISABLED_ChildHandlesABatchUntilKilled"},
      dir.file("child.log"));
  ::unsetenv(kChildDatabase);
  ::unsetenv(kChildMarker);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!std::filesystem::exists(marker) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  bool reached = std::filesystem::exists(marker);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(reached) << core::read_text_file(dir.file("child.log"));
  EXPECT_EQ(core::exit_code_of(status), -SIGKILL);

  // Nothing of the interrupted batch committed: not its effects, not its inbox rows.
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox"), 0);

  // The bus redelivers the whole batch (and later some of it again): each applied once.
  auto events = killed_batch_events();
  failing_ = false;
  EXPECT_EQ(outcomes(handle(events)), std::vector<Outcome>(kKilledBatch, Outcome::done));
  std::vector<CloudEvent> again(events.begin() + 3, events.begin() + 8);
  EXPECT_EQ(outcomes(handle(again)), std::vector<Outcome>(5, Outcome::done));
  EXPECT_EQ(count("SELECT COUNT(*) FROM effects"), kKilledBatch);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT event_id) FROM effects"), kKilledBatch);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox"), kKilledBatch);
}

INSTANTIATE_TEST_SUITE_P(Dialects, KilledBatchTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::bus

namespace ordo::bus {
namespace {

// Two instances' batches that update the same rows in opposite orders (stock, in inventory).
class ContendedBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);
    run_async(ctx_, prepare());
  }
  void TearDown() override { log::set_level(log::Level::info); }

  asio::awaitable<void> prepare() {
    auto all = bus_migrations();
    all.push_back({1, "counters", "any",
                   "CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); "
                   "INSERT INTO counters (id, n) VALUES (1, 0), (2, 0)"});
    co_await sql::migrate(*first_db_, all);
  }

  // Bumps the counters named by the event, in its order, pausing between them so that two
  // batches interleave.
  static asio::awaitable<void> bump(sql::Transaction& tx, const boost::json::value& data,
                                    const CloudEvent&) {
    for (const auto& id : data.at("ids").as_array()) {
      co_await tx.exec("UPDATE counters SET n = n + 1 WHERE id = $1", sql::params(id.as_int64()));
      co_await tx.exec("SELECT pg_sleep(0.1)");
    }
  }

  Subscription instance(sql::Database& db, bool one_at_a_time) {
    Consumer consumer(db, "bumps");
    consumer.on(
        "counter.bump", [](const boost::json::value& data) { return data; }, bump);
    if (one_at_a_time)
      consumer.one_batch_at_a_time();
    return consumer.subscription();
  }

  // Runs both instances' batches at once; returns their settlements.
  std::pair<std::vector<Settlement>, std::vector<Settlement>> race(bool one_at_a_time) {
    auto first = instance(*first_db_, one_at_a_time);
    auto second = instance(*second_db_, one_at_a_time);
    std::vector<Delivery> a{Delivery{bump_event({1, 2}), 1}};
    std::vector<Delivery> b{Delivery{bump_event({2, 1}), 1}};
    std::vector<Settlement> a_settled;
    std::vector<Settlement> b_settled;
    auto run = [&](const Subscription& s, std::vector<Delivery>& batch,
                   std::vector<Settlement>& out) -> asio::awaitable<void> {
      std::span<const Delivery> view(batch);
      out = co_await s.handler(view);
    };
    asio::co_spawn(ctx_, run(first, a, a_settled), asio::detached);
    run_async(ctx_, run(second, b, b_settled), 30s);
    run_async(ctx_, ordo::testing::eventually([&] { return !a_settled.empty(); }, 30s));
    return {a_settled, b_settled};
  }

  static CloudEvent bump_event(std::vector<int> ids) {
    boost::json::array array(ids.begin(), ids.end());
    return make_event("/ordo/test", "counter.bump", "c", boost::json::object{{"ids", array}}, "");
  }

  asio::io_context ctx_;
  ordo::testing::SharedTestDatabase shared_{sql::Dialect::postgres, ctx_, "contended"};
  std::unique_ptr<sql::Database> first_db_ = shared_.open();
  std::unique_ptr<sql::Database> second_db_ = shared_.open();
};

TEST_F(ContendedBatchTest, ADeadlockedEventIsRetriedAloneWithoutCounting) {
  auto [a, b] = race(false);
  // One of them lost the deadlock: undone to its savepoint, redelivered without counting.
  std::vector<Outcome> outcomes{a.at(0).outcome, b.at(0).outcome};
  std::sort(outcomes.begin(), outcomes.end());
  EXPECT_EQ(outcomes, (std::vector<Outcome>{Outcome::done, Outcome::unavailable}));
}

TEST_F(ContendedBatchTest, BatchesOneAtATimeNeverDeadlock) {
  auto [a, b] = race(true);
  EXPECT_EQ(a.at(0).outcome, Outcome::done) << a.at(0).reason;
  EXPECT_EQ(b.at(0).outcome, Outcome::done) << b.at(0).reason;
  auto total = [&]() -> asio::awaitable<std::int64_t> {
    auto result = co_await first_db_->query("SELECT SUM(n) FROM counters");
    co_return result.one().integer(0);
  };
  EXPECT_EQ(run_async(ctx_, total()), 4);
}

}  // namespace
}  // namespace ordo::bus
