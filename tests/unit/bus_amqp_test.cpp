// The RabbitMQ bus against a real broker: ORDO_TEST_AMQP_URL for most tests (each in its own
// name space), and a private node of its own for the tests that start or restart the broker.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/bus/amqp_acks.hpp"
#include "platform/bus/amqp_bus.hpp"
#include "platform/bus/amqp_connection.hpp"
#include "platform/core/child_process.hpp"
#include "platform/core/ports.hpp"
#include "platform/log/log.hpp"
#include "sql_test_support.hpp"

namespace ordo::bus {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using ordo::testing::run_async;
using ordo::testing::TempDir;

constexpr int kDeliveryLimit = 3;
constexpr std::uint16_t kPrivatePortLow = 17410;  // this helper's range: 17400-17599
constexpr std::uint16_t kPrivatePortHigh = 17599;

asio::awaitable<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<bool> eventually(std::function<bool()> condition,
                                 std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      co_return false;
    }
    co_await pause(5ms);
  }
  co_return true;
}

asio::awaitable<bool> until_connected(Bus& bus, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!co_await bus.ping()) {
    if (std::chrono::steady_clock::now() > deadline) {
      co_return false;
    }
    co_await pause(20ms);
  }
  co_return true;
}

std::string random_suffix() {
  std::random_device random;
  std::uniform_int_distribution<std::uint32_t> digits;
  char text[16];
  std::snprintf(text, sizeof text, "%08x", digits(random));
  return text;
}

std::vector<CloudEvent> make_events(int n, const std::string& type = "order.created") {
  std::vector<CloudEvent> events;
  for (int i = 0; i < n; ++i) {
    events.push_back(make_event("/ordo/orders", type, "order-" + std::to_string(i),
                                boost::json::object{{"n", i}}, ""));
  }
  return events;
}

// Counts deliveries per event id; optionally fails some of them.
struct Recorder {
  std::map<std::string, int> seen;
  int total = 0;
  std::function<void(const CloudEvent&, int attempt)> before;  // may throw

  BatchHandler handler() {
    return each_event([this](const CloudEvent& event) -> asio::awaitable<void> {
      int attempt = ++seen[event.id];
      ++total;
      if (before) {
        before(event, attempt);
      }
      co_return;
    });
  }
  bool has_all(const std::vector<CloudEvent>& events) const {
    return std::all_of(events.begin(), events.end(),
                       [&](const CloudEvent& e) { return seen.count(e.id) > 0; });
  }
};

// Publishes all events at once (the confirm window at work); counts confirms and failures.
struct Publisher {
  int confirmed = 0;
  int failed = 0;

  void start(asio::io_context& ctx, Bus& bus, const std::vector<CloudEvent>& events) {
    for (const CloudEvent& event : events) {
      asio::co_spawn(ctx, bus.publish(event),
                     [this](std::exception_ptr error) { error ? ++failed : ++confirmed; });
    }
  }
};

// Blocking broker-side checks and clean-up, on a connection of the test's own.
class Inspector {
 public:
  explicit Inspector(const std::string& url) : connection_(amqp::parse_url(url), 5s, 0) {
    connection_.open_channel(1);
  }
  std::uint32_t size(const std::string& queue) { return connection_.queue_size(1, queue); }
  std::optional<amqp::Message> get(const std::string& queue) { return connection_.get(1, queue); }
  void remove(const std::string& name_space, const std::set<std::string>& services) {
    for (const std::string& service : services) {
      connection_.delete_queue(1, name_space + "." + service);
    }
    connection_.delete_queue(1, name_space + ".dead-letters");
    connection_.delete_exchange(1, name_space + ".events");
    connection_.delete_exchange(1, name_space + ".dead");
  }

 private:
  amqp::Connection connection_;
};

// Waits for a child to end, bounded; kills it if it does not. Its exit code, or -1.
int run_command_wait(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(20ms);
  }
  return core::exit_code_of(status);
}

int run_command(const std::vector<std::string>& args, const std::string& log_file,
                std::chrono::milliseconds timeout) {
  return run_command_wait(core::spawn_process(args, log_file), timeout);
}

// A RabbitMQ node of the test's own (private ports, data and cookie), for start/restart tests.
class PrivateBroker {
 public:
  PrivateBroker() {
    pick_ports(true);
    std::filesystem::create_directories(dir_.file("home"));
    std::FILE* plugins = std::fopen(dir_.file("enabled_plugins").c_str(), "w");
    std::fputs("[].\n", plugins);  // no management plugin: it costs seconds at start
    std::fclose(plugins);
  }
  ~PrivateBroker() {
    stop();
    kill_epmd();
  }

  // The end of the node's log, for a failing test's output.
  std::string log_tail(std::size_t chars = 6000) const {
    std::string text = core::read_text_file(node_log());
    return text.size() > chars ? text.substr(text.size() - chars) : text;
  }

  std::string url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_) + "/"; }

  // Starts the node and waits until it accepts AMQP connections. A picked port is only free when
  // picked: when another process took one before the node bound it, the node gives up at once,
  // and is started again on fresh ports (its AMQP port only before its first start: clients of a
  // restarted node reconnect to the same URL).
  void start() {
    for (int attempt = 1;; ++attempt) {
      std::vector<std::string> args = environment();
      args.push_back("/usr/lib/rabbitmq/bin/rabbitmq-server");
      std::size_t earlier_log = core::read_text_file(dir_.file("server.log")).size();
      std::size_t earlier_node_log = core::read_text_file(node_log()).size();
      pid_ = core::spawn_process(args, dir_.file("server.log"));
      bool port_taken = false;
      auto deadline = std::chrono::steady_clock::now() + 60s;
      while (std::chrono::steady_clock::now() < deadline && !port_taken) {
        try {
          amqp::Connection probe(amqp::parse_url(url()), 2s, 0);
          // Something answers on the port; it is this node only once the node says it started
          // (another test's broker that took the port would answer too, and be frozen or
          // stopped by nobody).
          if (started_since(earlier_node_log)) {
            started_once_ = true;
            return;
          }
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(200ms);
        port_taken = boot_failed_on_a_port(earlier_log);
      }
      if (!port_taken || attempt == 3) {
        throw std::runtime_error("private RabbitMQ did not start; see " + dir_.file("server.log") +
                                 ":\n" + core::read_text_file(dir_.file("server.log")));
      }
      stop(true);
      kill_epmd();  // it may have started on the old port
      pick_ports(!started_once_);
    }
  }

  // SIGTERM to the Erlang VM (the node stops gracefully; SIGKILL when `crash`), then waits until
  // it and its start script have exited.
  void stop(bool crash = false) {
    if (pid_ <= 0) {
      return;
    }
    pid_t vm = 0;
    try {
      vm = static_cast<pid_t>(std::stol(core::read_text_file(dir_.file("node.pid"))));
    } catch (const std::exception&) {
      vm = 0;  // not started far enough to write it
    }
    if (vm > 0) {
      kill(vm, SIGCONT);  // in case it is frozen
      kill(vm, crash ? SIGKILL : SIGTERM);
      auto deadline = std::chrono::steady_clock::now() + 30s;
      while (kill(vm, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
      }
      kill(vm, SIGKILL);
    }
    kill(pid_, SIGTERM);
    run_command_wait(pid_, 30s);
    std::filesystem::remove(dir_.file("node.pid"));
    pid_ = -1;
  }

  // SIGSTOP / SIGCONT to the Erlang VM: its sockets stay open, it answers nothing.
  void freeze(bool frozen) {
    pid_t vm = static_cast<pid_t>(std::stol(core::read_text_file(dir_.file("node.pid"))));
    kill(vm, frozen ? SIGSTOP : SIGCONT);
    // SIGSTOP takes effect as each thread of the VM next runs: wait until all have stopped.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (frozen && !all_threads_stopped(vm) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
  }

 private:
  std::string node_log() const { return dir_.file("log") + "/" + node_name() + ".log"; }

  // The node's own log since `from` says its startup completed.
  bool started_since(std::size_t from) const {
    std::string log = core::read_text_file(node_log());
    log.erase(0, std::min(from, log.size()));
    return log.find("Server startup complete") != std::string::npos;
  }

  // The node's log since `from` says it could not bind one of its ports.
  bool boot_failed_on_a_port(std::size_t from) const {
    std::string log = core::read_text_file(dir_.file("server.log"));
    log.erase(0, std::min(from, log.size()));
    return log.find("could not bind") != std::string::npos ||
           log.find("already_used") != std::string::npos ||
           log.find("eaddrinuse") != std::string::npos;
  }

  // Distinct ports, each free when picked; the AMQP port too when `amqp`.
  void pick_ports(bool amqp) {
    if (amqp)
      port_ = core::pick_free_port(kPrivatePortLow, kPrivatePortHigh);
    do {
      dist_port_ = core::pick_free_port(kPrivatePortLow, kPrivatePortHigh);
    } while (dist_port_ == port_);
    do {
      epmd_port_ = core::pick_free_port(kPrivatePortLow, kPrivatePortHigh);
    } while (epmd_port_ == port_ || epmd_port_ == dist_port_);
  }

  // The node started an epmd of its own on a private port; it outlives the node.
  void kill_epmd() {
    std::vector<std::string> args = environment();
    args.push_back("/usr/bin/epmd");
    args.push_back("-kill");
    run_command(args, dir_.file("epmd.log"), 10s);
  }

  static bool all_threads_stopped(pid_t pid) {
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
      std::string stat = core::read_text_file(task.path().string() + "/stat");
      std::size_t end = stat.rfind(')');
      if (end == std::string::npos || end + 2 >= stat.size() || stat[end + 2] != 'T') {
        return false;
      }
    }
    return !ec;
  }

  std::string node_name() const { return "ordo_test_" + std::to_string(port_) + "@localhost"; }

  std::vector<std::string> environment() const {
    std::string node = node_name();
    return {"/usr/bin/env",
            "RABBITMQ_NODENAME=" + node,
            "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
            "RABBITMQ_NODE_PORT=" + std::to_string(port_),
            "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
            "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
            "RABBITMQ_MNESIA_BASE=" + dir_.file("mnesia"),
            "RABBITMQ_LOG_BASE=" + dir_.file("log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir_.file("enabled_plugins"),
            "RABBITMQ_CONFIG_FILE=" + dir_.file("rabbitmq"),
            "RABBITMQ_PID_FILE=" + dir_.file("node.pid"),
            "HOME=" + dir_.file("home")};
  }

  TempDir dir_;
  std::uint16_t port_ = 0;
  std::uint16_t dist_port_ = 0;
  std::uint16_t epmd_port_ = 0;
  bool started_once_ = false;
  pid_t pid_ = -1;
};

class AmqpBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // reconnect and retry warnings are expected here
    const char* url = std::getenv("ORDO_TEST_AMQP_URL");
    if (url == nullptr || *url == '\0') {
      GTEST_FAIL() << "ORDO_TEST_AMQP_URL is not set: start RabbitMQ (scripts/cluster.sh servers "
                      "up) and export ORDO_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:PORT/";
    }
    url_ = url;
    name_space_ = "ordotest." + random_suffix();
  }

  void TearDown() override {
    buses_.clear();  // before the queues go, or the consumers would be cancelled
    if (!url_.empty()) {
      try {
        Inspector(url_).remove(name_space_, services_);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cleaning up " << name_space_ << ": " << e.what();
      }
    }
  }

  Bus& make_bus(std::string url = "", std::size_t prefetch = 256) {
    AmqpBusOptions options;
    options.url = url.empty() ? url_ : url;
    options.name_space = name_space_;
    options.delivery_limit = kDeliveryLimit;
    options.prefetch = prefetch;
    options.batch = batch_;
    buses_.push_back(make_amqp_bus(ctx_.get_executor(), options));
    return *buses_.back();
  }

  void subscribe(Bus& bus, const std::string& service, Recorder& recorder,
                 std::vector<std::string> types = {"order.created"}) {
    services_.insert(service);
    bus.subscribe(Subscription{service, std::move(types), recorder.handler()});
  }

  std::uint32_t dead_letters() { return Inspector(url_).size(name_space_ + ".dead-letters"); }

  asio::io_context ctx_;
  std::string url_;
  std::string name_space_;
  std::set<std::string> services_;
  std::vector<std::unique_ptr<Bus>> buses_;
  BatchOptions batch_;
};

TEST_F(AmqpBusTest, PublishesAndConsumesWithConfirms) {
  Bus& bus = make_bus();
  EXPECT_EQ(bus.kind(), "amqp");
  Recorder recorder;
  subscribe(bus, "inventory", recorder);
  std::vector<CloudEvent> events = make_events(500);
  std::vector<CloudEvent> unwanted = make_events(5, "order.cancelled");
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(bus));
    Publisher publisher;
    publisher.start(ctx_, bus, events);
    publisher.start(ctx_, bus, unwanted);
    EXPECT_TRUE(co_await eventually([&] { return publisher.confirmed == 505; }));
    EXPECT_EQ(publisher.failed, 0);
    EXPECT_TRUE(co_await eventually([&] { return recorder.has_all(events); }));
    co_await pause(200ms);
  }());
  EXPECT_EQ(recorder.total, 500);  // once each; order.cancelled is not bound
}

TEST_F(AmqpBusTest, SubscribeAfterConnectStartsConsuming) {
  Bus& bus = make_bus();
  Recorder recorder;
  std::vector<CloudEvent> events = make_events(10);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(bus));
    subscribe(bus, "inventory", recorder);
    co_await pause(300ms);  // the subscription is declared on the connection thread
    for (const CloudEvent& event : events) {
      co_await bus.publish(event);
    }
    EXPECT_TRUE(co_await eventually([&] { return recorder.has_all(events); }));
  }());
}

// Another service publishes the moment this one is ready: subscribed() returns only once the
// queue is bound, or the event would be routed nowhere and lost.
TEST_F(AmqpBusTest, AnEventPublishedOnceSubscribedReachesTheSubscriber) {
  Bus& consumer = make_bus();
  Bus& producer = make_bus();
  Recorder recorder;
  std::vector<CloudEvent> events = make_events(3);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    subscribe(consumer, "inventory", recorder);
    co_await consumer.subscribed(std::chrono::seconds(20));
    EXPECT_TRUE(co_await until_connected(producer));
    for (const CloudEvent& event : events) {
      co_await producer.publish(event);
    }
    EXPECT_TRUE(co_await eventually([&] { return recorder.has_all(events); }));
  }());
}

TEST_F(AmqpBusTest, InstancesOfOneServiceShareTheWork) {
  Bus& first = make_bus("", 10);
  Bus& second = make_bus("", 10);
  Recorder a;
  Recorder b;
  subscribe(first, "inventory", a);
  subscribe(second, "inventory", b);
  std::vector<CloudEvent> events = make_events(400);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(first));
    EXPECT_TRUE(co_await until_connected(second));
    co_await pause(200ms);  // both consumers registered
    Publisher publisher;
    publisher.start(ctx_, first, events);
    EXPECT_TRUE(co_await eventually([&] { return a.total + b.total >= 400; }));
    co_await pause(300ms);
  }());
  EXPECT_EQ(a.total + b.total, 400);
  for (const CloudEvent& event : events) {
    EXPECT_EQ(a.seen.count(event.id) + b.seen.count(event.id), 1u) << event.id;
  }
  EXPECT_GT(a.total, 0);
  EXPECT_GT(b.total, 0);
}

TEST_F(AmqpBusTest, EveryServiceGetsEveryEvent) {
  Bus& orders = make_bus();
  Bus& notifications = make_bus();
  Recorder inventory_recorder;
  Recorder notifications_recorder;
  subscribe(orders, "inventory", inventory_recorder);
  subscribe(notifications, "notifications", notifications_recorder);
  std::vector<CloudEvent> events = make_events(100);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(orders));
    EXPECT_TRUE(co_await until_connected(notifications));
    co_await pause(200ms);
    Publisher publisher;
    publisher.start(ctx_, orders, events);
    EXPECT_TRUE(co_await eventually([&] {
      return inventory_recorder.has_all(events) && notifications_recorder.has_all(events);
    }));
  }());
  EXPECT_EQ(inventory_recorder.total, 100);
  EXPECT_EQ(notifications_recorder.total, 100);
}

TEST_F(AmqpBusTest, FailedEventIsRedeliveredThenHandled) {
  Bus& bus = make_bus();
  Recorder recorder;
  recorder.before = [](const CloudEvent&, int attempt) {
    if (attempt < 3) {
      throw std::runtime_error("database busy");
    }
  };
  subscribe(bus, "inventory", recorder);
  std::vector<CloudEvent> events = make_events(5);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(bus));
    for (const CloudEvent& event : events) {
      co_await bus.publish(event);
    }
    EXPECT_TRUE(co_await eventually([&] { return recorder.total >= 15; }));
    co_await pause(500ms);
  }());
  for (const CloudEvent& event : events) {
    EXPECT_EQ(recorder.seen[event.id], 3) << "two failures, then handled";
  }
  EXPECT_EQ(dead_letters(), 0u);
}

TEST_F(AmqpBusTest, PoisonEventIsDeadLetteredAndNotRedelivered) {
  Bus& bus = make_bus();
  Recorder recorder;
  recorder.before = [](const CloudEvent& event, int) {
    if (event.subject == "order-0") {
      throw PoisonEvent("no such product");
    }
  };
  subscribe(bus, "inventory", recorder);
  std::vector<CloudEvent> events = make_events(2);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(bus));
    for (const CloudEvent& event : events) {
      co_await bus.publish(event);
    }
    EXPECT_TRUE(co_await eventually([&] { return recorder.has_all(events); }));
    EXPECT_TRUE(co_await eventually([&] { return dead_letters() == 1; }));
    co_await pause(500ms);
  }());
  EXPECT_EQ(recorder.seen[events[0].id], 1);
  EXPECT_EQ(recorder.seen[events[1].id], 1);
  std::optional<amqp::Message> dead = Inspector(url_).get(name_space_ + ".dead-letters");
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->message_id, events[0].id);
  std::optional<CloudEvent> parsed = parse_event(dead->body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, events[0].id);
}

TEST_F(AmqpBusTest, AlwaysFailingEventIsDeadLetteredAfterTheDeliveryLimit) {
  Bus& bus = make_bus();
  Recorder recorder;
  recorder.before = [](const CloudEvent&, int) { throw std::runtime_error("bug"); };
  subscribe(bus, "inventory", recorder);
  std::vector<CloudEvent> events = make_events(1);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(bus));
    co_await bus.publish(events[0]);
    EXPECT_TRUE(co_await eventually([&] { return dead_letters() == 1; }, 15s));
    co_await pause(600ms);  // longer than the retry delay: no further delivery
  }());
  // The quorum queue counts failed deliveries; the last one allowed is delivery_limit + 1.
  EXPECT_GE(recorder.seen[events[0].id], kDeliveryLimit);
  EXPECT_LE(recorder.seen[events[0].id], kDeliveryLimit + 1);
}

// Not a benchmark (no threshold): prints the rate so that a regression (Nagle, a round trip per
// message) shows in the log.
TEST_F(AmqpBusTest, ThroughputWithTheConfirmWindow) {
  Bus& bus = make_bus();
  Recorder recorder;
  subscribe(bus, "inventory", recorder);
  constexpr int kEvents = 20'000;
  std::vector<CloudEvent> events = make_events(kEvents);
  std::chrono::steady_clock::duration published{};
  std::chrono::steady_clock::duration consumed{};
  run_async(
      ctx_,
      [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await until_connected(bus));
        co_await pause(200ms);
        auto start = std::chrono::steady_clock::now();
        Publisher publisher;
        publisher.start(ctx_, bus, events);
        EXPECT_TRUE(co_await eventually([&] { return publisher.confirmed == kEvents; }, 60s));
        published = std::chrono::steady_clock::now() - start;
        EXPECT_TRUE(co_await eventually([&] { return recorder.total >= kEvents; }, 60s));
        consumed = std::chrono::steady_clock::now() - start;
      }(),
      120s);
  auto rate = [](std::chrono::steady_clock::duration d) {
    return static_cast<long>(kEvents / std::chrono::duration<double>(d).count());
  };
  std::printf("amqp: %d events published (confirmed) at %ld/s, consumed and acked at %ld/s\n",
              kEvents, rate(published), rate(consumed));
}

asio::awaitable<std::vector<Settlement>> settled_now(std::vector<Settlement> settlements) {
  co_return settlements;
}

// Records every batch's size and each event's deliveries; settles as `settle` says.
struct BatchRecorder {
  std::vector<std::size_t> sizes;
  std::map<std::string, int> seen;
  std::function<Settlement(const CloudEvent&, int attempt)> settle;

  BatchHandler handler() {
    return [this](std::span<const Delivery> batch) {
      sizes.push_back(batch.size());
      std::vector<Settlement> settlements;
      for (const Delivery& delivery : batch) {
        int attempt = ++seen[delivery.event.id];
        settlements.push_back(settle ? settle(delivery.event, attempt) : Settlement{});
      }
      return settled_now(std::move(settlements));
    };
  }
  int total() const {
    int n = 0;
    for (const auto& [id, count] : seen)
      n += count;
    return n;
  }
};

// A batch's successes are acknowledged together (basic.ack multiple), its failures on their own:
// once the consumer is gone, nothing it settled is left in the queue.
TEST_F(AmqpBusTest, DeliveriesArriveInBatchesAndEachIsSettledOnItsOwn) {
  batch_.max_events = 16;
  Bus& bus = make_bus();
  BatchRecorder recorder;
  std::vector<CloudEvent> events = make_events(200);
  const std::string dead = events[7].id;
  const std::string flaky = events[50].id;
  recorder.settle = [&](const CloudEvent& event, int attempt) {
    if (event.id == dead)
      return Settlement{Outcome::dead, "no such product"};
    if (event.id == flaky && attempt == 1)
      return Settlement{Outcome::retry, "a hiccup"};
    return Settlement{};
  };
  services_.insert("inventory");
  bus.subscribe(Subscription{"inventory", {"order.created"}, recorder.handler()});
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(bus));
    co_await pause(200ms);
    Publisher publisher;
    publisher.start(ctx_, bus, events);
    EXPECT_TRUE(co_await eventually([&] { return recorder.total() >= 201; }));
    EXPECT_TRUE(co_await eventually([&] { return dead_letters() == 1; }));
    co_await pause(500ms);  // no further deliveries: everything else was acknowledged
  }());
  EXPECT_EQ(recorder.total(), 201);
  EXPECT_EQ(recorder.seen[flaky], 2);
  EXPECT_EQ(recorder.seen[dead], 1);
  EXPECT_LE(*std::max_element(recorder.sizes.begin(), recorder.sizes.end()), 16u);
  EXPECT_LT(recorder.sizes.size(), 100u) << "taken in batches, not one by one";
  buses_.clear();  // closing requeues whatever was not acknowledged
  EXPECT_EQ(Inspector(url_).size(name_space_ + ".inventory"), 0u);
}

TEST(AmqpAckTrackerTest, OneMultipleAckCoversARunOfSuccesses) {
  using amqp::AckFrame;
  using amqp::Settle;
  amqp::AckTracker acks;
  for (std::uint64_t tag = 1; tag <= 5; ++tag)
    acks.delivered(tag);
  std::vector<std::pair<std::uint64_t, Settle>> first{
      {1, Settle::ack}, {2, Settle::ack}, {4, Settle::ack}, {5, Settle::ack}};
  // 1 and 2 together; 4 and 5 on their own, so they do not wait for 3.
  EXPECT_EQ(acks.settle(first),
            (std::vector<AckFrame>{
                {2, true, Settle::ack}, {4, false, Settle::ack}, {5, false, Settle::ack}}));
  std::vector<std::pair<std::uint64_t, Settle>> second{{3, Settle::ack}};
  EXPECT_EQ(acks.settle(second), (std::vector<AckFrame>{{3, false, Settle::ack}}));
  EXPECT_EQ(acks.unsettled(), 0u);
}

TEST(AmqpAckTrackerTest, FailuresAreSettledAloneAndDoNotHoldBackTheRest) {
  using amqp::AckFrame;
  using amqp::Settle;
  amqp::AckTracker acks;
  for (std::uint64_t tag = 10; tag <= 14; ++tag)
    acks.delivered(tag);
  std::vector<std::pair<std::uint64_t, Settle>> batch{
      {10, Settle::ack},    {11, Settle::requeue}, {12, Settle::ack},
      {13, Settle::reject}, {14, Settle::ack},     {99, Settle::ack}};  // not delivered here
  EXPECT_EQ(acks.settle(batch), (std::vector<AckFrame>{{11, false, Settle::requeue},
                                                       {13, false, Settle::reject},
                                                       {14, true, Settle::ack}}));
  acks.delivered(15);
  acks.reset();  // the connection was lost
  std::vector<std::pair<std::uint64_t, Settle>> late{{15, Settle::ack}};
  EXPECT_TRUE(acks.settle(late).empty());
}

TEST(AmqpBusOptionsTest, RejectsANonAmqpUrl) {
  asio::io_context ctx;
  AmqpBusOptions options;
  options.url = "nats://127.0.0.1:4222";
  EXPECT_THROW(make_amqp_bus(ctx.get_executor(), options), std::invalid_argument);
}

TEST(AmqpUrlTest, ParsesVirtualHosts) {
  EXPECT_EQ(amqp::parse_url("amqp://u:p@127.0.0.1:17400").vhost, "/");
  EXPECT_EQ(amqp::parse_url("amqp://u:p@127.0.0.1:17400/").vhost, "/");
  EXPECT_EQ(amqp::parse_url("amqp://u:p@127.0.0.1:17400/%2f").vhost, "/");
  amqp::Endpoint endpoint = amqp::parse_url("amqp://user:secret@10.0.0.2:5673/shop");
  EXPECT_EQ(endpoint.host, "10.0.0.2");
  EXPECT_EQ(endpoint.port, 5673);
  EXPECT_EQ(endpoint.user, "user");
  EXPECT_EQ(endpoint.password, "secret");
  EXPECT_EQ(endpoint.vhost, "shop");
}

// The private-node tests: they start (and restart) a broker of their own.
class AmqpBrokerLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(std::getenv("ORDO_TEST_LOG") ? log::Level::debug : log::Level::off);
  }
  void TearDown() override { buses_.clear(); }

  Bus& make_bus(const std::string& url, std::chrono::milliseconds publish_timeout = 10s) {
    AmqpBusOptions options;
    options.url = url;
    options.publish_timeout = publish_timeout;
    options.name_space = "ordotest." + random_suffix();
    buses_.push_back(make_amqp_bus(ctx_.get_executor(), options));
    return *buses_.back();
  }

  void restart_mid_stream(bool crash);

  asio::io_context ctx_;
  std::vector<std::unique_ptr<Bus>> buses_;
};

TEST_F(AmqpBrokerLifecycleTest, StartsBeforeTheBrokerAndConnectsWhenItAppears) {
  PrivateBroker broker;
  Bus& bus = make_bus(broker.url());
  Recorder recorder;
  bus.subscribe(Subscription{"inventory", {"order.created"}, recorder.handler()});
  std::vector<CloudEvent> events = make_events(20);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    co_await pause(300ms);
    EXPECT_FALSE(co_await bus.ping());
    bool refused = false;
    try {
      co_await bus.publish(events[0]);
    } catch (const std::exception&) {
      refused = true;
    }
    EXPECT_TRUE(refused) << "publish must fail while the broker is down";
  }());
  broker.start();
  run_async(
      ctx_,
      [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await until_connected(bus, 10s));
        for (const CloudEvent& event : events) {
          co_await bus.publish(event);
        }
        EXPECT_TRUE(co_await eventually([&] { return recorder.has_all(events); }));
      }(),
      30s);
}

// Publishers that retry until confirmed (like the relay) while the broker restarts, gracefully or
// after kill -9: every event the broker confirmed is handled afterwards.
void AmqpBrokerLifecycleTest::restart_mid_stream(bool crash) {
  PrivateBroker broker;
  broker.start();
  Bus& bus = make_bus(broker.url(), 5s);
  Recorder recorder;
  bus.subscribe(Subscription{"inventory", {"order.created"}, recorder.handler()});

  std::atomic<int> confirmed_count{0};
  std::atomic<bool> restarted{false};
  std::atomic<bool> saw_disconnect{false};
  std::set<std::string> confirmed;
  std::string restart_error;
  std::thread restarter([&] {
    // Not in the broker's first seconds: a node killed right after its first boot (feature
    // flags being enabled) can come back with its quorum queue leaderless (RabbitMQ 3.10).
    auto earliest = std::chrono::steady_clock::now() + 5s;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while ((confirmed_count < 300 || std::chrono::steady_clock::now() < earliest) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    try {
      auto begin = std::chrono::steady_clock::now();
      broker.stop(crash);
      auto stopped = std::chrono::steady_clock::now();
      broker.start();
      auto started = std::chrono::steady_clock::now();
      std::fprintf(stderr, "broker %s in %lld ms, started again in %lld ms\n",
                   crash ? "killed" : "stopped", static_cast<long long>((stopped - begin) / 1ms),
                   static_cast<long long>((started - stopped) / 1ms));
    } catch (const std::exception& e) {
      restart_error = e.what();
    }
    restarted = true;
  });

  int confirmed_after_restart = 0;
  int workers_done = 0;
  int workers_vanished = 0;  // their publish's completion was dropped: the coroutine was destroyed
  std::chrono::steady_clock::duration longest_publish{};
  constexpr int kWorkers = 16;
  struct Exit {
    int& vanished;
    bool normal = false;
    ~Exit() { vanished += normal ? 0 : 1; }
  };
  auto worker = [&](int id) -> asio::awaitable<void> {
    Exit exit{workers_vanished};
    for (int i = 0; !(restarted && confirmed_after_restart >= 300); ++i) {
      CloudEvent event = make_event("/ordo/orders", "order.created",
                                    "order-" + std::to_string(id) + "-" + std::to_string(i),
                                    boost::json::object{{"i", i}}, "");
      for (;;) {
        bool ok = true;
        auto begin = std::chrono::steady_clock::now();
        try {
          co_await bus.publish(event);
        } catch (const std::exception&) {
          ok = false;
        }
        longest_publish = std::max(longest_publish, std::chrono::steady_clock::now() - begin);
        if (ok) {
          break;
        }
        saw_disconnect = true;
        co_await pause(50ms);
      }
      confirmed.insert(event.id);
      ++confirmed_count;
      if (restarted) {
        ++confirmed_after_restart;
      }
      co_await pause(5ms);
    }
    ++workers_done;
    exit.normal = true;
  };
  run_async(
      ctx_,
      [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await until_connected(bus));
        for (int id = 0; id < kWorkers; ++id) {
          asio::co_spawn(ctx_, worker(id), asio::detached);
        }
        EXPECT_TRUE(co_await eventually(
            [&] { return workers_done == kWorkers || workers_vanished > 0; }, 150s));
        EXPECT_EQ(workers_vanished, 0) << "a publish never completed";
        EXPECT_TRUE(co_await eventually(
            [&] {
              return std::all_of(confirmed.begin(), confirmed.end(),
                                 [&](const std::string& id) { return recorder.seen.count(id); });
            },
            20s));
      }(),
      200s);
  restarter.join();
  EXPECT_EQ(restart_error, "");
  EXPECT_TRUE(saw_disconnect) << "the restart happened while publishing";
  // The publish timeout (5 s) bounds each publish; a connect attempt (RPCs bounded at 5 s) may
  // hold a command that came just before the loss a little longer.
  EXPECT_LT(longest_publish, 8s) << "a publish took " << longest_publish / 1ms << " ms";
  std::size_t missing = 0;
  for (const std::string& id : confirmed) {
    missing += recorder.seen.count(id) == 0 ? 1 : 0;
  }
  EXPECT_EQ(missing, 0u) << "of " << confirmed.size() << " confirmed events";
  if (HasFailure()) {
    std::fprintf(stderr, "--- the broker's log ---\n%s\n", broker.log_tail().c_str());
  }
}

TEST_F(AmqpBrokerLifecycleTest, GracefulBrokerRestartLosesNoConfirmedEvent) {
  restart_mid_stream(false);
}

TEST_F(AmqpBrokerLifecycleTest, KilledBrokerLosesNoConfirmedEvent) {
  restart_mid_stream(true);
}

// A broker that takes publishes but never confirms them (here: frozen, its sockets open, so the
// connection looks alive until the heartbeat gives up): each publish fails at its timeout instead
// of hanging, and publishing works again once the broker answers.
TEST_F(AmqpBrokerLifecycleTest, PublishFailsAtItsTimeoutWhenTheBrokerDoesNotConfirm) {
  PrivateBroker broker;
  broker.start();
  Bus& bus = make_bus(broker.url(), 1s);
  std::vector<CloudEvent> events = make_events(50);
  run_async(ctx_, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await until_connected(bus));
    co_await bus.publish(events[0]);
  }());
  broker.freeze(true);
  Publisher publisher;
  auto begin = std::chrono::steady_clock::now();
  run_async(
      ctx_,
      [&]() -> asio::awaitable<void> {
        publisher.start(ctx_, bus, events);
        EXPECT_TRUE(
            co_await eventually([&] { return publisher.confirmed + publisher.failed == 50; }, 5s))
            << publisher.confirmed + publisher.failed << " of 50 publishes completed";
      }(),
      10s);
  auto took = std::chrono::steady_clock::now() - begin;
  broker.freeze(false);
  EXPECT_EQ(publisher.failed, 50);
  EXPECT_GE(took, 900ms) << "failed before its timeout";
  run_async(
      ctx_,
      [&]() -> asio::awaitable<void> {
        bool published = false;
        auto deadline = std::chrono::steady_clock::now() + 40s;
        while (!published && std::chrono::steady_clock::now() < deadline) {
          try {
            co_await bus.publish(events[1]);
            published = true;
          } catch (const std::exception&) {
          }
          if (!published) {
            co_await pause(100ms);
          }
        }
        EXPECT_TRUE(published) << "publishing did not recover after the broker answered again";
      }(),
      60s);
}

}  // namespace
}  // namespace ordo::bus
