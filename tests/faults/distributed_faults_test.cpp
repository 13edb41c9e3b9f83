// Faults in the distributed mode, each while orders are being placed: one inventory instance
// killed with -9, the broker restarted, PostgreSQL restarted. The topology comes from the local
// launcher (scripts/cluster.sh) with servers of its own, so restarting them disturbs no other
// test. Afterwards: every order that got a 2xx is final, nothing is oversold, nobody is notified
// twice, and while a dependency was down the gateway answered 502/503/504 and never hung.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "platform/core/child_process.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kAdminEmail = "faults-admin@example.com";
constexpr const char* kAdminPassword = "faults admin password";

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return free;
}

// 40 consecutive free ports in 18000-19959 (the drivers' private test servers use 17000-17999,
// the end-to-end tests 20000 and up): servers at base..base+5, services from base+10, gateway
// base+30.
int free_port_block(int first_try = 0) {
  for (int attempt = first_try; attempt < first_try + 200; ++attempt) {
    int base = 18000 + 40 * ((::getpid() + attempt * 7) % 49);
    bool all = true;
    for (int port = base; port < base + 40 && all; ++port)
      all = port_free(port);
    if (all)
      return base;
  }
  throw std::runtime_error("no free block of 40 ports in 18000-19959");
}

// One distributed Ordo (PostgreSQL, a broker, two instances of orders and of inventory, the
// gateway) started and stopped by the launcher.
class Cluster {
 public:
  explicit Cluster(const std::string& broker) : dir_(temp_dir("ordo-faults")) {
    // Settings reach every process through the environment, as in a deployment.
    ::setenv("ORDO_ADMIN_EMAIL", kAdminEmail, 1);
    ::setenv("ORDO_ADMIN_PASSWORD", kAdminPassword, 1);
    for (const char* name : {"ORDO_RATE_LIMIT_CLIENT_PER_S", "ORDO_RATE_LIMIT_CLIENT_BURST",
                             "ORDO_RATE_LIMIT_USER_PER_S", "ORDO_RATE_LIMIT_USER_BURST"}) {
      ::setenv(name, "100000", 1);
    }
    ::setenv("ORDO_HTTP_UPSTREAM_TIMEOUT_MS", "3000", 1);
    ::setenv("ORDO_BUS_ACK_WAIT_MS", "3000", 1);
    ::setenv("ORDO_LOG_ACCESS", "false", 1);
    // A block is only free when probed: another test may bind one of its ports before the
    // servers do (seen: PostgreSQL "Address already in use"). Then whatever started is stopped
    // and the cluster comes up on another block.
    for (int attempt = 0;; ++attempt) {
      base_ = free_port_block(attempt * 17);
      try {
        launcher({"up", "--broker", broker, "--instances", "2", "--port",
                  std::to_string(base_ + 30), "--port-base", std::to_string(base_),
                  "--service-port-base", std::to_string(base_ + 10), "--binary", binary_path(),
                  "--fresh"});
        return;
      } catch (const std::exception&) {
        std::string output;
        run_command({ORDO_CLUSTER_SCRIPT, "down", "--dir", dir_}, &output);
        if (attempt == 2)
          throw;
      }
    }
  }
  ~Cluster() {
    std::string output;
    run_command({ORDO_CLUSTER_SCRIPT, "down", "--dir", dir_}, &output);
    if (std::getenv("ORDO_E2E_KEEP") == nullptr) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  void launcher(std::vector<std::string> args) {
    args.insert(args.begin(), ORDO_CLUSTER_SCRIPT);
    args.insert(args.begin() + 2, {"--dir", dir_});
    std::string output;
    int code = run_command(args, &output);
    if (code != 0)
      throw std::runtime_error("cluster.sh " + args[1] + " failed:\n" + output + logs());
  }
  std::string gateway() const { return "http://127.0.0.1:" + std::to_string(base_ + 30); }
  std::string logs() const {
    std::string text;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/logs", ec)) {
      if (entry.path().extension() == ".log")
        text += "--- " + entry.path().filename().string() + "\n" +
                core::read_text_file(entry.path().string()).substr(0, 20'000);
    }
    return text;
  }

 private:
  std::string dir_;
  int base_ = 0;
};

std::string create_product(Session& admin, std::int64_t stock) {
  return e2e::create_product(admin, {.name = "Fault tolerant widget", .stock = stock});
}

// What the clients saw while the fault happened.
struct Observed {
  std::mutex mutex;
  std::vector<std::string> accepted;  // ids of orders that got a 2xx
  std::map<int, int> statuses;        // every answer's status, counted
  int transport_errors = 0;           // no answer at all (connection refused or reset)
  milliseconds slowest{0};
};

// Places one-unit orders from several users until `stop`.
std::vector<std::thread> place_orders(Runner& runner, const std::string& origin,
                                      const std::string& product, Observed& observed,
                                      std::atomic<bool>& stop) {
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&, c] {
      Runner client_runner;
      Session user(client_runner, origin);
      auto email = unique_email("faults" + std::to_string(c));
      try {  // an exception leaving a thread would end the process and leave the cluster running
        user.run(user.api().register_user(email, "correct horse battery", "Fault client"));
        user.run(user.api().login(email, "correct horse battery"));
      } catch (const std::exception&) {
        std::lock_guard lock(observed.mutex);
        ++observed.transport_errors;
        return;
      }
      json::object body{
          {"items", json::array{json::object{{"productId", product}, {"quantity", 1}}}}};
      auto text = json::serialize(body);
      int n = 0;
      while (!stop) {
        auto key = "fault-" + std::to_string(c) + "-" + std::to_string(n++);
        auto started = std::chrono::steady_clock::now();
        try {
          auto response = user.request("POST", "/orders", text, {{"Idempotency-Key", key}});
          auto took =
              std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
          std::lock_guard lock(observed.mutex);
          observed.statuses[response.status]++;
          observed.slowest = std::max(observed.slowest, took);
          if (response.status == 201 || response.status == 202)
            observed.accepted.emplace_back(Session::json(response).at("id").as_string());
        } catch (const std::exception&) {
          std::lock_guard lock(observed.mutex);
          ++observed.transport_errors;
        }
        std::this_thread::sleep_for(milliseconds(20));
      }
    });
  }
  (void)runner;
  return clients;
}

// The checks every fault test ends with.
void expect_consistent(Session& admin, const std::string& product, std::int64_t initial_stock,
                       const Observed& observed) {
  std::cout << "answers:";
  for (const auto& [status, count] : observed.statuses)
    std::cout << " " << status << "×" << count;
  std::cout << "; slowest " << observed.slowest.count() << " ms; accepted "
            << observed.accepted.size() << "\n";
  // Every answer was a success, a refusal of the client's own doing, or 502/503/504.
  for (const auto& [status, count] : observed.statuses) {
    EXPECT_TRUE(status == 201 || status == 202 || status == 502 || status == 503 || status == 504)
        << count << " answers with status " << status;
  }
  // The gateway answered every request: its upstream timeout is 3 s, so 15 s means a hang.
  EXPECT_LT(observed.slowest, seconds(15));
  EXPECT_EQ(observed.transport_errors, 0);
  ASSERT_GT(observed.accepted.size(), 20u);

  // The backlog a fault leaves drains at the pipeline's pace: waiting goes on while orders keep
  // becoming final, and fails once none has for 30 s (or after 5 minutes in all).
  std::map<std::string, std::string> final_status;
  auto last_progress = std::chrono::steady_clock::now();
  std::size_t final_before = 0;
  bool all_final = eventually(
      [&] {
        for (const auto& id : observed.accepted) {
          if (final_status.contains(id))
            continue;
          auto response = admin.request("GET", "/orders/" + id);
          if (response.status != 200)
            continue;
          std::string status(Session::json(response).at("status").as_string());
          if (status == "confirmed" || status == "rejected")
            final_status[id] = status;
        }
        auto now = std::chrono::steady_clock::now();
        if (final_status.size() > final_before) {
          final_before = final_status.size();
          last_progress = now;
        }
        return final_status.size() == observed.accepted.size() || now - last_progress > seconds(30);
      },
      seconds(300));
  all_final = all_final && final_status.size() == observed.accepted.size();
  ASSERT_TRUE(all_final) << final_status.size() << " of " << observed.accepted.size()
                         << " orders final";

  std::int64_t confirmed_quantity = 0;
  for (const auto& order : all_items(admin, "/orders?status=confirmed")) {
    for (const auto& item : order.at("items").as_array())
      confirmed_quantity += item.at("quantity").as_int64();
  }
  EXPECT_LE(confirmed_quantity, initial_stock) << "oversold";
  EXPECT_TRUE(eventually([&] {
    return available(admin, product) + confirmed_quantity == initial_stock;
  })) << "available "
      << available(admin, product) << " + confirmed " << confirmed_quantity;

  // One notification per order outcome, never two (notifications go to each order's owner;
  // the admin sees them all).
  std::map<std::string, int> notified;
  bool all_notified = eventually(
      [&] {
        notified.clear();
        for (const auto& item : all_items(admin, "/notifications")) {
          auto type = item.at("eventType").as_string();
          if (type != "order.confirmed" && type != "order.rejected")
            continue;
          std::string body(item.at("body").as_string());
          for (const auto& [id, status] : final_status) {
            if (body.find(id) != std::string::npos)
              ++notified[id];
          }
        }
        return notified.size() == final_status.size();
      },
      seconds(60));
  EXPECT_TRUE(all_notified) << notified.size() << " of " << final_status.size() << " notified";
  for (const auto& [id, count] : notified)
    EXPECT_EQ(count, 1) << "order " << id << " notified " << count << " times";
}

// Runs `fault` two seconds into a stream of orders, keeps ordering for a few seconds after it,
// then checks the outcome.
// expect_unavailable: the fault takes away what placing an order needs (the database), so the
// clients must have been told so (503), quickly.
// api_stays_up: the fault takes away only the broker, which the outbox stands in for: every
// order is accepted and the catalog answers all along (no service is ejected for it).
enum class Expect { outage_tolerated, unavailable, api_stays_up };
void run_fault(const std::string& broker, const std::function<void(Cluster&)>& fault,
               Expect expect = Expect::outage_tolerated) {
  constexpr std::int64_t kStock = 120;
  std::unique_ptr<Cluster> cluster;
  ASSERT_NO_THROW(cluster = std::make_unique<Cluster>(broker));
  Runner runner;
  Session admin(runner, cluster->gateway());
  admin.run(admin.api().login(kAdminEmail, kAdminPassword));
  auto product = create_product(admin, kStock);
  ASSERT_TRUE(eventually([&] { return available(admin, product) == kStock; })) << cluster->logs();

  Observed observed;
  std::atomic<bool> stop{false};
  const std::string gateway = cluster->gateway();  // the clients' threads refer to it
  auto clients = place_orders(runner, gateway, product, observed, stop);
  // A reader browses the catalog all along.
  std::map<int, int> reads;
  std::thread reader([&] {
    Runner reader_runner;
    Session browser(reader_runner, gateway);
    while (!stop) {
      try {
        ++reads[browser.request("GET", "/products/" + product).status];
      } catch (const std::exception&) {
        ++reads[0];
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  });
  std::this_thread::sleep_for(seconds(2));
  std::string fault_error;
  try {
    fault(*cluster);
  } catch (const std::exception& e) {
    fault_error = e.what();
  }
  std::this_thread::sleep_for(seconds(3));
  stop = true;
  for (auto& client : clients)
    client.join();
  reader.join();
  ASSERT_TRUE(fault_error.empty()) << fault_error;
  if (expect == Expect::unavailable) {
    EXPECT_GT(observed.statuses[503], 0) << "no 503 while the database was down";
  }
  if (expect == Expect::api_stays_up) {
    for (const auto& [status, count] : observed.statuses) {
      EXPECT_TRUE(status == 201 || status == 202)
          << count << " orders answered " << status << " while only the broker was down";
    }
    for (const auto& [status, count] : reads)
      EXPECT_EQ(status, 200) << count << " catalog reads answered " << status;
  }
  expect_consistent(admin, product, kStock, observed);
  if (::testing::Test::HasFailure())
    ADD_FAILURE() << cluster->logs();
}

TEST(DistributedFaults, KillNineOneInventoryInstance) {
  run_fault("nats", [](Cluster& cluster) {
    cluster.launcher({"kill", "inventory-2"});
    std::this_thread::sleep_for(seconds(3));
    cluster.launcher({"start", "inventory-2"});
  });
}

// A broker outage longer than the gateway's ejection time: before, every service answered /ready
// 503, the gateway ejected them all and even catalog reads failed.
TEST(DistributedFaults, RestartNats) {
  run_fault(
      "nats",
      [](Cluster& cluster) {
        cluster.launcher({"server", "stop", "nats"});
        std::this_thread::sleep_for(seconds(5));
        cluster.launcher({"server", "start", "nats"});
      },
      Expect::api_stays_up);
}

TEST(DistributedFaults, RestartRabbitMq) {
  run_fault(
      "rabbitmq",
      [](Cluster& cluster) {
        cluster.launcher({"server", "stop", "amqp"});
        std::this_thread::sleep_for(seconds(5));
        cluster.launcher({"server", "start", "amqp"});
      },
      Expect::api_stays_up);
}

TEST(DistributedFaults, RestartPostgres) {
  run_fault(
      "nats",
      [](Cluster& cluster) {
        cluster.launcher({"server", "stop", "pg"});
        std::this_thread::sleep_for(seconds(3));
        cluster.launcher({"server", "start", "pg"});
      },
      Expect::unavailable);
}

// Every service started before its database and broker exist: each listens, says 503 on /ready
// and on its API, and becomes ready (migrated, subscribed) once PostgreSQL and NATS appear.
TEST(DistributedFaults, ServicesStartedBeforeTheirServersBecomeReady) {
  int base = free_port_block();
  auto dir = temp_dir("ordo-early");
  // PostgreSQL runs as its own user: it must be able to reach the directory.
  std::filesystem::permissions(
      dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
               std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
               std::filesystem::perms::others_exec);
  const std::vector<std::string> services{"users", "products", "orders", "inventory",
                                          "notifications"};
  std::vector<pid_t> pids;
  // Whatever fails below, no process outlives the test.
  struct KillOnExit {
    std::vector<pid_t>& pids;
    ~KillOnExit() {
      for (pid_t pid : pids) {
        if (pid > 0)
          ::kill(pid, SIGKILL);
      }
    }
  } kill_on_exit{pids};
  for (std::size_t i = 0; i < services.size(); ++i) {
    pids.push_back(core::spawn_process(
        {binary_path(), "serve", "--service=" + services[i], "--port",
         std::to_string(base + 10 + static_cast<int>(i)), "--data-dir", dir + "/data",
         "--database-url", "postgresql://ordo@127.0.0.1:" + std::to_string(base) + "/ordo",
         "--bus-url", "nats://127.0.0.1:" + std::to_string(base + 1),
         // The token keys come from the users service, which is not on its default port here.
         "--set",
         "auth.jwks_url=http://127.0.0.1:" + std::to_string(base + 10) + "/.well-known/jwks.json"},
        dir + "/" + services[i] + ".log"));
  }
  Runner runner;
  auto status_of = [&](std::size_t i, const std::string& path) {
    Session session(runner, "http://127.0.0.1:" + std::to_string(base + 10 + static_cast<int>(i)));
    try {
      return session.request("GET", path).status;
    } catch (const std::exception&) {
      return 0;  // not listening yet
    }
  };
  // Listening, but not ready, and saying so on the API too.
  for (std::size_t i = 0; i < services.size(); ++i) {
    EXPECT_TRUE(eventually([&] { return status_of(i, "/ready") == 503; }, seconds(10)))
        << services[i];
    EXPECT_EQ(status_of(i, "/" + services[i]), 503) << services[i];
  }
  std::this_thread::sleep_for(seconds(2));
  for (std::size_t i = 0; i < services.size(); ++i)
    EXPECT_EQ(status_of(i, "/ready"), 503) << services[i];

  std::string output;
  ASSERT_EQ(run_command({ORDO_CLUSTER_SCRIPT, "servers", "up", "--dir", dir + "/servers",
                         "--port-base", std::to_string(base), "--only", "pg,nats"},
                        &output),
            0)
      << output;
  for (std::size_t i = 0; i < services.size(); ++i) {
    EXPECT_TRUE(eventually([&] { return status_of(i, "/ready") == 200; }, seconds(30)))
        << services[i] << "\n"
        << core::read_text_file(dir + "/" + services[i] + ".log");
  }
  // Migrated: the products list answers from its new schema.
  EXPECT_EQ(status_of(1, "/products"), 200);

  for (pid_t pid : pids)
    ::kill(pid, SIGTERM);
  for (pid_t& pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_EQ(core::exit_code_of(status), 0);
    pid = -1;  // reaped: nothing left to kill
  }
  run_command({ORDO_CLUSTER_SCRIPT, "servers", "down", "--dir", dir + "/servers", "--port-base",
               std::to_string(base)},
              &output);
  if (std::getenv("ORDO_E2E_KEEP") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

}  // namespace
}  // namespace ordo::e2e
