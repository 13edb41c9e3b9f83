// The NATS JetStream bus against a real nats-server (ORDO_TEST_NATS_URL; two tests start their
// own).
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/bus/consumer.hpp"
#include "platform/bus/nats_bus.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/bus/relay.hpp"
#include "platform/core/child_process.hpp"
#include "platform/core/ports.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "sql_test_support.hpp"

namespace ordo::bus {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using ordo::testing::run_async;
using ordo::testing::TempDir;

std::string unique_namespace() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return "t" + std::to_string(random() % 1000000) + "x" + std::to_string(counter++);
}

asio::awaitable<bool> eventually(std::function<bool()> condition,
                                 std::chrono::milliseconds timeout = 15s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      co_return false;
    }
    timer.expires_after(5ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return true;
}

asio::awaitable<bool> becomes_ready(Bus& bus, bool wanted, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (co_await bus.ping() != wanted) {
    if (std::chrono::steady_clock::now() > deadline) {
      co_return false;
    }
    timer.expires_after(10ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return true;
}

CloudEvent event_of(std::string type, int n) {
  return make_event("/ordo/test", std::move(type), "entity-" + std::to_string(n),
                    boost::json::object{{"n", n}}, "");
}

// A direct cnats connection to look at the streams and consumers from outside the bus.
class Inspector {
 public:
  explicit Inspector(const std::string& url) {
    if (natsConnection_ConnectTo(&nc_, url.c_str()) != NATS_OK ||
        natsConnection_JetStream(&js_, nc_, nullptr) != NATS_OK) {
      throw std::runtime_error("cannot connect to " + url);
    }
  }
  ~Inspector() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }
  std::uint64_t messages(const std::string& stream) {
    jsStreamInfo* info = nullptr;
    std::uint64_t count = 0;
    if (js_GetStreamInfo(&info, js_, stream.c_str(), nullptr, nullptr) == NATS_OK) {
      count = info->State.Msgs;
    }
    jsStreamInfo_Destroy(info);
    return count;
  }
  // The last message on subject, with one of its headers; "" when there is none.
  std::pair<std::string, std::string> last(const std::string& stream, const std::string& subject,
                                           const char* header) {
    natsMsg* msg = nullptr;
    std::pair<std::string, std::string> out;
    if (js_GetLastMsg(&msg, js_, stream.c_str(), subject.c_str(), nullptr, nullptr) == NATS_OK) {
      out.first.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
      const char* value = nullptr;
      if (natsMsgHeader_Get(msg, header, &value) == NATS_OK) {
        out.second = value;
      }
    }
    natsMsg_Destroy(msg);
    return out;
  }
  std::int64_t ack_pending(const std::string& stream, const std::string& durable) {
    jsConsumerInfo* info = nullptr;
    std::int64_t pending = -1;
    if (js_GetConsumerInfo(&info, js_, stream.c_str(), durable.c_str(), nullptr, nullptr) ==
        NATS_OK) {
      pending = info->NumAckPending;
    }
    jsConsumerInfo_Destroy(info);
    return pending;
  }

 private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// nats-server's path: spawn_process does not search PATH.
std::string nats_server_program() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/usr/sbin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = std::min(dirs.find(':', start), dirs.size());
    std::string candidate = dirs.substr(start, end - start) + "/nats-server";
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "/usr/bin/nats-server";
}

// A private nats-server with its own store, for the tests that start or restart the server.
class PrivateServer {
 public:
  PrivateServer() : port_(core::pick_free_port(17200, 17399)) {}
  ~PrivateServer() { stop(); }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  void start() {
    pid_ = core::spawn_process({nats_server_program(), "-js", "-sd", dir_.file("store"), "-a",
                                "127.0.0.1", "-p", std::to_string(port_)},
                               dir_.file("server.log"));
    auto deadline = std::chrono::steady_clock::now() + 10s;
    asio::io_context probe;
    while (std::chrono::steady_clock::now() < deadline) {
      asio::ip::tcp::socket socket(probe);
      boost::system::error_code ec;
      socket.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
      if (!ec) {
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    throw std::runtime_error("nats-server did not start: " +
                             core::read_text_file(dir_.file("server.log")));
  }
  void wipe() { std::filesystem::remove_all(dir_.file("store")); }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);  // a crash: whatever it acknowledged must survive
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  TempDir dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

class NatsBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(std::getenv("ORDO_TEST_LOG")
                       ? log::Level::debug
                       : log::Level::off);  // retries and dead letters are expected here
    const char* url = std::getenv("ORDO_TEST_NATS_URL");
    ASSERT_TRUE(url != nullptr && *url != '\0')
        << "ORDO_TEST_NATS_URL is not set: these tests need a JetStream-enabled nats-server "
           "(scripts/cluster.sh servers up, or nats-server -js -sd DIR -p PORT and export "
           "ORDO_TEST_NATS_URL=nats://127.0.0.1:PORT)";
    url_ = url;
    options_.url = url_;
    options_.name_space = unique_namespace();
    options_.max_deliver = 3;
    options_.ack_wait = 5s;
    options_.publish_timeout = 2s;
  }

  std::unique_ptr<Bus> make_bus() {
    auto bus = make_nats_bus(ctx_.get_executor(), options_);
    EXPECT_TRUE(run_async(ctx_, becomes_ready(*bus, true, 10s))) << "bus never became ready";
    return bus;
  }

  // A handler counting, per event id, how many times it completed.
  BatchHandler counter(std::map<std::string, int>& handled) {
    return each_event([&handled](const CloudEvent& event) -> asio::awaitable<void> {
      ++handled[event.id];
      co_return;
    });
  }

  asio::awaitable<void> publish_all(Bus& bus, const std::vector<CloudEvent>& events) {
    for (const CloudEvent& event : events) {
      co_await bus.publish(event);
    }
  }

  std::vector<CloudEvent> events(int n, const std::string& type = "order.created") {
    std::vector<CloudEvent> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(event_of(type, i));
    }
    return out;
  }

  static bool each_once(const std::map<std::string, int>& handled,
                        const std::vector<CloudEvent>& events) {
    if (handled.size() != events.size()) {
      return false;
    }
    for (const CloudEvent& e : events) {
      auto it = handled.find(e.id);
      if (it == handled.end() || it->second != 1) {
        return false;
      }
    }
    return true;
  }

  asio::io_context ctx_;
  std::string url_;
  NatsBusOptions options_;
};

TEST_F(NatsBusTest, PublishedEventsAreConsumedOnce) {
  auto bus = make_bus();
  EXPECT_EQ(bus->kind(), "nats");
  std::map<std::string, int> handled;
  bus->subscribe({"orders", {"order.created"}, counter(handled)});
  auto sent = events(50);
  run_async(ctx_, publish_all(*bus, sent));
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.size() == sent.size(); })));
  EXPECT_TRUE(each_once(handled, sent));
  Inspector inspector(url_);
  EXPECT_EQ(inspector.messages(nats_names(options_.name_space).events_stream), 50u);
}

TEST_F(NatsBusTest, OnlyTheSubscribedTypesAreDelivered) {
  auto bus = make_bus();
  std::map<std::string, int> handled;
  bus->subscribe({"orders", {"order.created", "order.cancelled"}, counter(handled)});
  auto wanted = events(5, "order.cancelled");
  auto other = events(5, "stock.reserved");
  run_async(ctx_, publish_all(*bus, other));
  run_async(ctx_, publish_all(*bus, wanted));
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.size() >= wanted.size(); })));
  EXPECT_TRUE(each_once(handled, wanted));
}

TEST_F(NatsBusTest, InstancesOfOneServiceShareTheWork) {
  auto first = make_bus();
  auto second = make_bus();
  std::map<std::string, int> handled;
  int by_first = 0;
  int by_second = 0;
  first->subscribe({"inventory",
                    {"order.created"},
                    each_event([&](const CloudEvent& e) -> asio::awaitable<void> {
                      ++by_first;
                      ++handled[e.id];
                      co_return;
                    })});
  second->subscribe({"inventory",
                     {"order.created"},
                     each_event([&](const CloudEvent& e) -> asio::awaitable<void> {
                       ++by_second;
                       ++handled[e.id];
                       co_return;
                     })});
  auto sent = events(300);
  run_async(ctx_, publish_all(*first, sent));
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.size() == sent.size(); })));
  EXPECT_TRUE(each_once(handled, sent));
  EXPECT_EQ(by_first + by_second, 300);
}

TEST_F(NatsBusTest, EveryServiceGetsEveryEvent) {
  auto bus = make_bus();
  std::map<std::string, int> inventory;
  std::map<std::string, int> notifications;
  bus->subscribe({"inventory", {"order.created"}, counter(inventory)});
  bus->subscribe({"notifications", {"order.created"}, counter(notifications)});
  auto sent = events(40);
  run_async(ctx_, publish_all(*bus, sent));
  ASSERT_TRUE(run_async(ctx_, eventually([&] {
                          return inventory.size() == sent.size() &&
                                 notifications.size() == sent.size();
                        })));
  EXPECT_TRUE(each_once(inventory, sent));
  EXPECT_TRUE(each_once(notifications, sent));
}

TEST_F(NatsBusTest, ARepublishedEventIsStoredOnce) {
  auto bus = make_bus();
  std::map<std::string, int> handled;
  bus->subscribe({"orders", {"order.created"}, counter(handled)});
  CloudEvent event = event_of("order.created", 1);
  CloudEvent later = event_of("order.created", 2);
  std::vector<CloudEvent> sent{event, event, later};
  run_async(ctx_, publish_all(*bus, sent));
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.size() == 2; })));
  Inspector inspector(url_);
  EXPECT_EQ(inspector.messages(nats_names(options_.name_space).events_stream), 2u);
  EXPECT_EQ(handled[event.id], 1);
}

TEST_F(NatsBusTest, AFailingHandlerIsRetried) {
  auto bus = make_bus();
  int attempts = 0;
  bool done = false;
  bus->subscribe(
      {"orders", {"order.created"}, each_event([&](const CloudEvent&) -> asio::awaitable<void> {
         if (++attempts < 3) {
           throw std::runtime_error("database unavailable");
         }
         done = true;
         co_return;
       })});
  std::vector<CloudEvent> sent{event_of("order.created", 1)};
  run_async(ctx_, publish_all(*bus, sent));
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return done; })));
  EXPECT_EQ(attempts, 3);
  Inspector inspector(url_);
  auto names = nats_names(options_.name_space);
  EXPECT_EQ(inspector.messages(names.dead_stream), 0u);
}

TEST_F(NatsBusTest, APoisonEventGoesToTheDeadLetterSubjectOnce) {
  auto bus = make_bus();
  int poison_calls = 0;
  std::map<std::string, int> handled;
  CloudEvent poison = event_of("order.created", 1);
  bus->subscribe(
      {"orders", {"order.created"}, each_event([&](const CloudEvent& e) -> asio::awaitable<void> {
         if (e.id == poison.id) {
           ++poison_calls;
           throw PoisonEvent("no such product");
         }
         ++handled[e.id];
         co_return;
       })});
  std::vector<CloudEvent> sent{poison};
  run_async(ctx_, publish_all(*bus, sent));
  auto names = nats_names(options_.name_space);
  Inspector inspector(url_);
  ASSERT_TRUE(
      run_async(ctx_, eventually([&] { return inspector.messages(names.dead_stream) == 1; })));
  auto [payload, consumer] =
      inspector.last(names.dead_stream, names.dead_subject("orders"), "Ordo-Dead-Consumer");
  EXPECT_EQ(consumer, "orders");
  auto parsed = parse_event(payload);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, poison.id);
  // Terminated, not redelivered: nothing pending, and a later event flows past it.
  std::vector<CloudEvent> after{event_of("order.created", 2)};
  run_async(ctx_, publish_all(*bus, after));
  ASSERT_TRUE(run_async(ctx_, eventually([&] {
                          return handled.size() == 1 &&
                                 inspector.ack_pending(names.events_stream,
                                                       names.durable("orders", "order.created")) ==
                                     0;
                        })));
  EXPECT_EQ(poison_calls, 1);
}

TEST_F(NatsBusTest, AnAlwaysFailingEventIsDeadLetteredAfterMaxDeliver) {
  auto bus = make_bus();
  int attempts = 0;
  bus->subscribe(
      {"orders", {"order.created"}, each_event([&](const CloudEvent&) -> asio::awaitable<void> {
         ++attempts;
         throw std::runtime_error("always broken");
         co_return;
       })});
  std::vector<CloudEvent> sent{event_of("order.created", 1)};
  run_async(ctx_, publish_all(*bus, sent));
  auto names = nats_names(options_.name_space);
  Inspector inspector(url_);
  ASSERT_TRUE(
      run_async(ctx_, eventually([&] { return inspector.messages(names.dead_stream) == 1; })));
  EXPECT_EQ(attempts, options_.max_deliver);
  auto [payload, attempts_header] =
      inspector.last(names.dead_stream, names.dead_subject("orders"), "Ordo-Attempts");
  EXPECT_EQ(attempts_header, std::to_string(options_.max_deliver));
  EXPECT_EQ(parse_event(payload)->id, sent[0].id);
}

TEST_F(NatsBusTest, PublishFailsQuicklyWithoutAServer) {
  PrivateServer never_started;
  options_.url = never_started.url();
  auto bus = make_nats_bus(ctx_.get_executor(), options_);
  EXPECT_FALSE(run_async(ctx_, bus->ping()));
  auto started = std::chrono::steady_clock::now();
  std::vector<CloudEvent> sent{event_of("order.created", 1)};
  EXPECT_THROW(run_async(ctx_, publish_all(*bus, sent)), std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(NatsBusTest, ABusStartedBeforeItsServerConnectsWhenItAppears) {
  PrivateServer server;
  options_.url = server.url();
  auto bus = make_nats_bus(ctx_.get_executor(), options_);
  std::map<std::string, int> handled;
  bus->subscribe({"orders", {"order.created"}, counter(handled)});
  EXPECT_FALSE(run_async(ctx_, bus->ping()));
  server.start();
  ASSERT_TRUE(run_async(ctx_, becomes_ready(*bus, true, 10s)));
  auto sent = events(20);
  run_async(ctx_, publish_all(*bus, sent));
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.size() == sent.size(); })));
  EXPECT_TRUE(each_once(handled, sent));
}

// Like the relay: keeps each event until a publish is acknowledged, retrying with a pause.
asio::awaitable<void> publish_until_acked(Bus& bus, const std::vector<CloudEvent>& events,
                                          std::set<std::string>& acked,
                                          std::function<void(std::size_t)> after_each) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (std::size_t i = 0; i < events.size(); ++i) {
    bool ok = false;
    while (!ok) {
      try {
        co_await bus.publish(events[i]);
        ok = true;
      } catch (const std::exception&) {
        ok = false;
      }
      if (!ok) {
        timer.expires_after(50ms);
        co_await timer.async_wait(asio::use_awaitable);
      }
    }
    acked.insert(events[i].id);
    after_each(i);
  }
}

TEST_F(NatsBusTest, NoAcknowledgedEventIsLostWhenTheServerRestarts) {
  PrivateServer server;
  server.start();
  options_.url = server.url();
  auto publisher = make_nats_bus(ctx_.get_executor(), options_);
  auto consumer = make_nats_bus(ctx_.get_executor(), options_);
  ASSERT_TRUE(run_async(ctx_, becomes_ready(*publisher, true, 10s)));
  std::map<std::string, int> handled;
  consumer->subscribe({"orders", {"order.created"}, counter(handled)});
  auto sent = events(300);
  std::set<std::string> acked;
  auto restart_midway = [&](std::size_t i) {
    if (i == 150) {
      server.stop();
      server.start();
    }
  };
  run_async(ctx_, publish_until_acked(*publisher, sent, acked, restart_midway), 60s);
  ASSERT_EQ(acked.size(), sent.size());
  // A service subscribed only now finds everything acknowledged before the restart too.
  std::map<std::string, int> late;
  consumer->subscribe({"late", {"order.created"}, counter(late)});
  ASSERT_TRUE(run_async(
      ctx_,
      eventually([&] { return handled.size() == sent.size() && late.size() == sent.size(); }, 30s)))
      << "handled " << handled.size() << " and " << late.size() << " of " << sent.size();
  for (const CloudEvent& e : sent) {
    EXPECT_GE(handled[e.id], 1) << e.id;
    EXPECT_GE(late[e.id], 1) << e.id;
  }
}

TEST_F(NatsBusTest, AServerThatLostItsStoreGetsTheStreamAndConsumersBack) {
  PrivateServer server;
  server.start();
  options_.url = server.url();
  auto bus = make_bus();
  std::map<std::string, int> handled;
  bus->subscribe({"orders", {"order.created"}, counter(handled)});
  auto before = events(5);
  run_async(ctx_, publish_all(*bus, before));
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.size() == before.size(); })));
  server.stop();
  server.wipe();
  server.start();
  std::vector<CloudEvent> after{event_of("order.created", 100)};
  std::set<std::string> acked;
  run_async(ctx_, publish_until_acked(*bus, after, acked, [](std::size_t) {}), 30s);
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.count(after[0].id) == 1; }, 20s)));
}

}  // namespace
}  // namespace ordo::bus

namespace ordo::bus {
namespace {
asio::awaitable<std::int64_t> count(sql::Database& db, std::string sql) {
  sql::Result result = co_await db.query(sql);
  co_return result.one().integer(0);
}

asio::awaitable<void> prepare(sql::Database& producer, sql::Database& consumer,
                              std::vector<CloudEvent> events) {
  std::vector<sql::Migration> consumer_schema = bus_migrations();
  consumer_schema.push_back({1, "effects", "any", "CREATE TABLE effects (event_id TEXT)"});
  co_await sql::migrate(producer, bus_migrations());
  co_await sql::migrate(consumer, consumer_schema);
  co_await producer.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
    for (const CloudEvent& e : events) {
      co_await enqueue(tx, e);
    }
  });
}

// The whole path: outbox, relay, NATS, two instances of a consumer with an idempotent handler.
TEST_F(NatsBusTest, OutboxRelayAndIdempotentConsumersApplyEachEventOnce) {
  TempDir dir;
  auto producer = sql::open_sqlite("orders", {.path = dir.file("orders.db")});
  auto consumer = sql::open_sqlite("inventory", {.path = dir.file("inventory.db")});
  auto sent = events(200);
  run_async(ctx_, prepare(*producer, *consumer, sent));
  auto apply = [](sql::Transaction& tx, const boost::json::value&,
                  const CloudEvent& e) -> asio::awaitable<void> {
    co_await tx.exec("INSERT INTO effects (event_id) VALUES ($1)", sql::params(e.id));
  };
  auto consumer_of = [&] {
    Consumer inventory(*consumer, "inventory");
    inventory.on(
        "order.created", [](const boost::json::value& data) { return data; }, apply);
    return inventory.subscription();
  };
  auto first = make_bus();
  auto second = make_bus();
  first->subscribe(consumer_of());
  second->subscribe(consumer_of());
  OutboxRelay relay(ctx_.get_executor(), *producer, *first, {.poll_interval = 20ms});
  relay.start();
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return relay.published() == sent.size(); })));
  std::int64_t applied = 0;
  auto applied_all = [&]() -> asio::awaitable<bool> {
    for (int i = 0; i < 1000 && applied < 200; ++i) {
      applied = co_await count(*consumer, "SELECT COUNT(DISTINCT event_id) FROM effects");
      asio::steady_timer timer(co_await asio::this_coro::executor, 10ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_return applied == 200;
  };
  EXPECT_TRUE(run_async(ctx_, applied_all()));
  EXPECT_EQ(run_async(ctx_, count(*consumer, "SELECT COUNT(*) FROM effects")), 200);
  EXPECT_EQ(run_async(ctx_, count(*producer, "SELECT COUNT(*) FROM outbox")), 0);
  run_async(ctx_, relay.stop());
}

asio::awaitable<void> publish_share(Bus& bus, const std::vector<CloudEvent>& events,
                                    std::size_t first, std::size_t stride, int& finished) {
  for (std::size_t i = first; i < events.size(); i += stride) {
    co_await bus.publish(events[i]);
  }
  ++finished;
}

// Not a test: a throughput probe (run with --gtest_also_run_disabled_tests).
TEST_F(NatsBusTest, DISABLED_Throughput) {
  auto bus = make_bus();
  std::map<std::string, int> handled;
  bus->subscribe({"orders", {"order.created"}, counter(handled)});
  constexpr int kEvents = 20000;
  constexpr std::size_t kPublishers = 64;
  auto sent = events(kEvents);
  auto started = std::chrono::steady_clock::now();
  int finished = 0;
  for (std::size_t p = 0; p < kPublishers; ++p) {
    asio::co_spawn(ctx_, publish_share(*bus, sent, p, kPublishers, finished), asio::detached);
  }
  ASSERT_TRUE(run_async(
      ctx_, eventually([&] { return finished == static_cast<int>(kPublishers); }, 60s), 70s));
  auto published = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.size() == sent.size(); }, 60s), 70s));
  auto consumed = std::chrono::steady_clock::now();
  auto rate = [](int n, auto d) { return n / std::chrono::duration<double>(d).count(); };
  std::printf("publish %.0f/s, publish+consume %.0f/s\n", rate(kEvents, published - started),
              rate(kEvents, consumed - started));
}
}  // namespace
}  // namespace ordo::bus

namespace ordo::bus {
namespace {

asio::awaitable<std::vector<Settlement>> settled_now(std::vector<Settlement> settlements) {
  co_return settlements;
}

// Records the size of every batch and settles each delivery as `settle` says.
BatchHandler batch_recorder(std::vector<std::size_t>& sizes, std::map<std::string, int>& handled,
                            std::function<Settlement(const CloudEvent&)> settle = {}) {
  return [&sizes, &handled, settle](std::span<const Delivery> batch) {
    sizes.push_back(batch.size());
    std::vector<Settlement> settlements;
    for (const Delivery& delivery : batch) {
      ++handled[delivery.event.id];
      settlements.push_back(settle ? settle(delivery.event) : Settlement{});
    }
    return settled_now(std::move(settlements));
  };
}

TEST_F(NatsBusTest, WhatIsWaitingArrivesInBatchesAndALoneEventAtOnce) {
  options_.batch.max_events = 16;
  auto bus = make_bus();
  auto sent = events(40);
  run_async(ctx_, publish_all(*bus, sent));  // they wait in the stream: nobody consumes yet
  std::vector<std::size_t> sizes;
  std::map<std::string, int> handled;
  bus->subscribe({"orders", {"order.created"}, batch_recorder(sizes, handled)});
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.size() == sent.size(); })));
  EXPECT_TRUE(each_once(handled, sent));
  EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()), 16u);
  EXPECT_LE(sizes.size(), 8u) << "taken in batches, not one by one";

  // Idle again: a lone event is handled at once, not after the fetch's long poll (500 ms).
  std::vector<CloudEvent> one{event_of("order.created", 99)};
  auto started = std::chrono::steady_clock::now();
  run_async(ctx_, publish_all(*bus, one));
  ASSERT_TRUE(run_async(ctx_, eventually([&] { return handled.contains(one[0].id); })));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 250ms);
  EXPECT_EQ(sizes.back(), 1u);
}

TEST_F(NatsBusTest, ADeadEventInABatchIsDeadLetteredAloneAndTheOthersAcknowledged) {
  options_.batch.max_events = 16;
  auto bus = make_bus();
  auto sent = events(10);
  const std::string poison = sent[4].id;
  run_async(ctx_, publish_all(*bus, sent));
  std::vector<std::size_t> sizes;
  std::map<std::string, int> handled;
  bus->subscribe(
      {"orders", {"order.created"}, batch_recorder(sizes, handled, [&](const CloudEvent& event) {
         return event.id == poison ? Settlement{Outcome::dead, "no such product"} : Settlement{};
       })});
  auto names = nats_names(options_.name_space);
  Inspector inspector(url_);
  ASSERT_TRUE(run_async(ctx_, eventually([&] {
                          return handled.size() == sent.size() &&
                                 inspector.messages(names.dead_stream) == 1 &&
                                 inspector.ack_pending(names.events_stream,
                                                       names.durable("orders", "order.created")) ==
                                     0;
                        })));
  EXPECT_TRUE(each_once(handled, sent));
  auto [payload, reason] =
      inspector.last(names.dead_stream, names.dead_subject("orders"), "Ordo-Dead-Reason");
  EXPECT_EQ(parse_event(payload)->id, poison);
  EXPECT_EQ(reason, "no such product");
}

}  // namespace
}  // namespace ordo::bus
