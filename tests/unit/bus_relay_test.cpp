// The relay's batch path on both engines: a commit that enqueued events wakes it by itself; it
// publishes a batch (one entity's events in order) and deletes, in one statement on its own
// connection, exactly the rows the bus confirmed.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bus_test_support.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/bus/relay.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/commit_listeners.hpp"
#include "platform/sql/migrations.hpp"

namespace ordo::bus {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using ordo::testing::eventually;
using ordo::testing::run_async;

// A broker that confirms every event but the ones it is told to refuse, and can run something
// while the first publish is in flight.
class ScriptedBus final : public Bus {
 public:
  std::set<std::string> refused;
  std::vector<CloudEvent> confirmed;
  std::function<asio::awaitable<void>()> during_first_publish;

  asio::awaitable<void> publish(const CloudEvent& event) override {
    if (during_first_publish) {
      auto once = std::move(during_first_publish);
      during_first_publish = nullptr;
      co_await once();
    }
    if (refused.contains(event.id))
      throw std::runtime_error("the broker refused " + event.id);
    confirmed.push_back(event);
  }
  void subscribe(Subscription) override {}
  asio::awaitable<bool> ping() override { co_return true; }
  std::string kind() const override { return "scripted"; }
};

CloudEvent about(const std::string& subject, int n) {
  return make_event("/ordo/test", "thing.done", subject, boost::json::object{{"n", n}}, "");
}

class RelayTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // the refused publishes' warnings are expected
    run_async(ctx_, migrate());
  }
  void TearDown() override { log::set_level(log::Level::info); }

  asio::awaitable<void> migrate() {
    auto all = bus_migrations();
    co_await sql::migrate(*db_, all);
  }

  asio::awaitable<void> enqueue_all(std::vector<CloudEvent> events) {
    co_await db_->transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      for (const auto& event : events)
        co_await enqueue(tx, event);
    });
  }

  asio::awaitable<std::vector<std::string>> outbox_ids() {
    auto rows = co_await db_->query("SELECT id FROM outbox ORDER BY seq");
    std::vector<std::string> ids;
    for (const auto& row : rows.rows)
      ids.push_back(row.text(0));
    co_return ids;
  }

  asio::io_context ctx_;
  ordo::testing::SharedTestDatabase shared_{GetParam(), ctx_, "relay"};
  // The service's database, as the host opens it: its commits reach their listeners.
  std::unique_ptr<sql::Database> db_ = sql::with_commit_listeners(shared_.open());
  // The relay's own connection to the same database.
  ordo::testing::CountingDatabase relay_db_{shared_.open()};
  ScriptedBus bus_;
  RelayOptions slow_{.batch = 64, .poll_interval = 60s, .max_backoff = 60s, .connection = nullptr};
};

TEST_P(RelayTest, ACommitThatEnqueuedWakesTheRelayAtOnce) {
  OutboxRelay relay(ctx_.get_executor(), *db_, bus_, slow_);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    relay.start();
    co_await eventually([] { return false; }, 100ms);  // its first pass found nothing: asleep
    auto started = std::chrono::steady_clock::now();
    std::vector<CloudEvent> events{about("a", 1), about("b", 2), about("c", 3)};
    co_await enqueue_all(events);
    EXPECT_TRUE(co_await eventually([&] { return relay.published() == 3; }, 5s));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);  // not the 60 s poll
    co_await relay.stop();
  }());
}

TEST_P(RelayTest, TheBatchDeleteRemovesOnlyTheConfirmedRows) {
  auto a1 = about("A", 1), a2 = about("A", 2), a3 = about("A", 3);
  auto b1 = about("B", 1), b2 = about("B", 2), c1 = about("C", 1);
  auto late = about("D", 1);  // committed while the batch is being published
  bus_.refused = {a2.id, late.id};
  bus_.during_first_publish = [&]() -> asio::awaitable<void> {
    std::vector<CloudEvent> one{late};
    co_await enqueue_all(one);
  };
  RelayOptions options = slow_;
  options.connection = &relay_db_;
  OutboxRelay relay(ctx_.get_executor(), *db_, bus_, options);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    std::vector<CloudEvent> events{a1, b1, a2, c1, b2, a3};
    co_await enqueue_all(events);
    int before = relay_db_.transactions;
    relay.start();
    std::vector<std::string> left;
    bool settled = co_await eventually([&] { return relay.published() == 4; }, 5s);
    EXPECT_TRUE(settled);
    // The delete has run once published() counts them; the refused rows' attempts are noted.
    for (int i = 0; i < 500; ++i) {
      left = co_await outbox_ids();
      if (left.size() == 3)
        break;
      co_await eventually([] { return false; }, 5ms);
    }
    co_await relay.stop();
    // A2 was refused and A3 never left (A's events go in order); D came after the batch was read.
    EXPECT_EQ(left, (std::vector<std::string>{a2.id, a3.id, late.id}));
    std::map<std::string, std::vector<std::string>> by_subject;
    for (const auto& event : bus_.confirmed)
      by_subject[event.subject].push_back(event.id);
    EXPECT_EQ(by_subject["A"], std::vector<std::string>{a1.id});
    EXPECT_EQ(by_subject["B"], (std::vector<std::string>{b1.id, b2.id}));
    EXPECT_EQ(by_subject["C"], std::vector<std::string>{c1.id});
    auto attempts =
        co_await db_->query("SELECT attempts FROM outbox WHERE id = $1", sql::params(a2.id));
    EXPECT_GE(attempts.one().integer(0), 1);
    // Its statements went through its own connection, not the service's.
    EXPECT_GT(relay_db_.transactions, before);
    EXPECT_GT(relay_db_.queries, 0);
  }());
}

INSTANTIATE_TEST_SUITE_P(Dialects, RelayTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::bus
