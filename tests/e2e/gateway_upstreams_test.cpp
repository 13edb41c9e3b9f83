// The gateway in front of several instances of a service: balancing, health checks, ejection and
// readmission, retries of idempotent requests only, and a fast 503 when every instance is down.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

#include "exchange_recorder.hpp"
#include "harness.hpp"

namespace ordo::e2e {
namespace {

using namespace std::chrono_literals;

// Counts lines of `text` holding every one of `parts`.
int count_lines(const std::string& text, const std::vector<std::string>& parts) {
  int count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    bool all = true;
    for (const auto& part : parts)
      all = all && line.find(part) != std::string::npos;
    count += all ? 1 : 0;
  }
  return count;
}

std::string instance_state(Session& session, const std::string& service,
                           const std::string& origin) {
  auto ready = Session::json(session.request("GET", "/ready"));
  if (!ready.is_object() || !ready.as_object().contains("instances"))
    return {};
  for (const auto& instance : ready.at("instances").at(service).as_array()) {
    if (instance.at("origin").as_string() == origin)
      return std::string(instance.at("state").as_string());
  }
  return {};
}

Settings fast_checks(Settings settings) {
  for (auto& setting : unlimited_rate())
    settings.push_back(setting);
  settings.emplace_back("gateway.expose_details", "true");  // /ready lists instance states
  settings.emplace_back("gateway.expose_metrics", "true");
  settings.emplace_back("gateway.health_interval_ms", "100");
  settings.emplace_back("gateway.health_timeout_ms", "300");
  settings.emplace_back("gateway.eject_after_failures", "2");
  settings.emplace_back("gateway.eject_ms", "30000");  // readmission only by health check here
  return settings;
}

TEST(GatewayUpstreams, SurvivesEjectsAndReadmitsAnInstance) {
  // A service is ready only once it has the token verification keys, from the users service.
  OrdoProcess users;
  ASSERT_NO_FATAL_FAILURE(users.start({"--service=users"}));
  const std::vector<std::string> products_args{"--service=products", "--upstream",
                                               "users=" + users.service_origin("users")};
  OrdoProcess a;
  OrdoProcess b;
  ASSERT_NO_FATAL_FAILURE(a.start(products_args));
  ASSERT_NO_FATAL_FAILURE(b.start(products_args));
  auto origin_a = a.service_origin("products");
  auto origin_b = b.service_origin("products");
  OrdoProcess gateway(fast_checks({}));
  ASSERT_NO_FATAL_FAILURE(gateway.start({"--service=gateway", "--upstream", "products=" + origin_a,
                                         "--upstream", "products=" + origin_b},
                                        true));
  Runner runner;
  Session session(runner, gateway.gateway_origin());

  // Both take traffic.
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(session.request("GET", "/products").status, 200);
  EXPECT_GE(count_lines(a.log_text(), {"\"path\":\"/products\""}), 3);
  EXPECT_GE(count_lines(b.log_text(), {"\"path\":\"/products\""}), 3);
  EXPECT_EQ(instance_state(session, "products", origin_a), "up");

  // A dies: every GET still succeeds (retried on B), and A is ejected.
  a.signal(SIGKILL);
  a.wait();
  for (int i = 0; i < 20; ++i) {
    auto response = session.request("GET", "/products");
    ASSERT_EQ(response.status, 200) << response.body;
  }
  ASSERT_TRUE(
      eventually([&] { return instance_state(session, "products", origin_a) == "ejected"; }, 5s));
  EXPECT_EQ(count_lines(gateway.log_text(), {"upstream instance ejected", origin_a}), 1);
  // Ejected: no more attempts go there.
  auto attempts_before =
      count_lines(gateway.log_text(), {"upstream attempt failed, retrying", origin_a});
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(session.request("GET", "/products").status, 200);
  EXPECT_EQ(count_lines(gateway.log_text(), {"upstream attempt failed, retrying", origin_a}),
            attempts_before);

  // A comes back on the same port: the health check readmits it and it takes traffic again.
  auto served_before = count_lines(a.log_text(), {"\"path\":\"/products\""});
  ASSERT_NO_FATAL_FAILURE(a.start(products_args));
  ASSERT_EQ(a.service_origin("products"), origin_a);
  ASSERT_TRUE(
      eventually([&] { return instance_state(session, "products", origin_a) == "up"; }, 5s));
  EXPECT_EQ(count_lines(gateway.log_text(), {"upstream instance recovered", origin_a}), 1);
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(session.request("GET", "/products").status, 200);
  EXPECT_GE(count_lines(a.log_text(), {"\"path\":\"/products\""}), served_before + 3);

  auto metrics = session.request("GET", "/metrics");
  EXPECT_NE(metrics.body.find("ordo_gateway_upstream_instances_up{upstream=\"products\"} 2"),
            std::string::npos)
      << metrics.body;
}

TEST(GatewayUpstreams, EveryInstanceDownIsA503Fast) {
  OrdoProcess users;  // the keys, without which a service is not ready
  ASSERT_NO_FATAL_FAILURE(users.start({"--service=users"}));
  OrdoProcess a;
  ASSERT_NO_FATAL_FAILURE(
      a.start({"--service=products", "--upstream", "users=" + users.service_origin("users")}));
  auto origin_a = a.service_origin("products");
  auto dead = "http://127.0.0.1:" + std::to_string(free_port());
  OrdoProcess gateway(fast_checks({{"products.upstreams", origin_a + "," + dead}}));
  ASSERT_NO_FATAL_FAILURE(gateway.start({"--service=gateway"}));
  Runner runner;
  Session session(runner, gateway.gateway_origin());
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(session.request("GET", "/products").status, 200);

  a.signal(SIGKILL);
  a.wait();
  // While the gateway still believes in an instance, a failed connect is a 502; once both are
  // ejected, a 503 with Retry-After, without trying anything.
  ASSERT_TRUE(eventually(
      [&] {
        auto status = session.request("GET", "/products").status;
        EXPECT_TRUE(status == 502 || status == 503) << status;
        return status == 503;
      },
      5s));
  for (int i = 0; i < 5; ++i) {
    auto started = std::chrono::steady_clock::now();
    auto response = session.request("GET", "/products");
    auto took = std::chrono::steady_clock::now() - started;
    expect_problem(response, 503, "all instances down");
    EXPECT_GE(std::stoi(std::string(response.headers.get_or("Retry-After", "0"))), 1);
    // Far under any connect or upstream timeout; loose enough for a loaded ASan run.
    EXPECT_LT(took, 1s);
  }
  EXPECT_EQ(session.request("GET", "/ready").status, 503);
}

// An upstream that reads each request and then closes the connection without an answer (as an
// instance that crashed while handling it), or answers 200; it counts the requests it read.
class FakeUpstream {
 public:
  explicit FakeUpstream(bool answers) : answers_(answers) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("fake upstream: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeUpstream() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int posts() const { return posts_; }

 private:
  void serve() {
    while (!stopping_) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0)
        return;
      std::string data;
      char buffer[4096];
      // Head, then the body by Content-Length.
      while (true) {
        auto end = data.find("\r\n\r\n");
        if (end != std::string::npos) {
          std::size_t body = 0;
          auto at = data.find("Content-Length: ");
          if (at == std::string::npos)
            at = data.find("content-length: ");
          if (at != std::string::npos)
            body = std::stoul(data.substr(at + 16));
          if (data.size() >= end + 4 + body)
            break;
        }
        auto n = ::read(client, buffer, sizeof buffer);
        if (n <= 0)
          break;
        data.append(buffer, static_cast<std::size_t>(n));
      }
      if (data.starts_with("POST "))
        ++posts_;
      if (answers_) {
        std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            "Connection: close\r\n\r\n{}";
        [[maybe_unused]] auto written = ::write(client, answer.data(), answer.size());
      }
      ::close(client);
    }
  }

  bool answers_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> posts_{0};
  std::thread thread_;
};

TEST(GatewayUpstreams, PostIsRetriedOnlyWithAnIdempotencyKey) {
  FakeUpstream crashes(false);
  FakeUpstream answers(true);
  // No ejection here: this is about the retry rule alone.
  auto settings = unlimited_rate();
  settings.emplace_back("gateway.eject_after_failures", "1000");
  OrdoProcess gateway(settings);
  ASSERT_NO_FATAL_FAILURE(gateway.start(
      {"--service=gateway", "--upstream", "users=" + crashes.origin() + "," + answers.origin()}));
  // Its "users service" is a stub: what it answers is not Ordo's contract, so not recorded.
  forget_gateway_origin(gateway.gateway_origin());
  Runner runner;
  Session session(runner, gateway.gateway_origin());
  std::string body = R"({"email":"a@b.cd","password":"x"})";

  int ok = 0;
  int bad_gateway = 0;
  for (int i = 0; i < 6; ++i) {
    auto response = session.request("POST", "/users/login", body);
    ok += response.status == 200 ? 1 : 0;
    bad_gateway += response.status == 502 ? 1 : 0;
  }
  // The instances take turns: the requests that reached the crashing one fail and are NOT sent
  // again, since a login (or an order) must not run twice.
  EXPECT_EQ(ok + bad_gateway, 6);
  EXPECT_GE(bad_gateway, 1);
  EXPECT_EQ(crashes.posts(), bad_gateway);
  EXPECT_EQ(answers.posts(), ok);

  int crashed_before = crashes.posts();
  int answered_before = answers.posts();
  for (int i = 0; i < 6; ++i) {
    auto key = "retry-key-" + std::to_string(i);
    auto response = session.request("POST", "/users/login", body, {{"Idempotency-Key", key}});
    EXPECT_EQ(response.status, 200) << response.body;
  }
  // With an Idempotency-Key the same requests went on to the other instance.
  EXPECT_GE(crashes.posts() - crashed_before, 1);
  EXPECT_EQ(answers.posts() - answered_before, 6);
}

TEST(GatewayUpstreams, UpstreamFlagIsTheUpstreamsSetting) {
  std::string output;
  auto code = run_command({binary_path(), "--upstream", "orders=http://a:1,http://b:2",
                           "--upstream", "orders=http://c:3", "config", "print"},
                          &output);
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("orders.upstreams = \"http://a:1,http://b:2,http://c:3\""),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("gateway.health_interval_ms = \"1000\""), std::string::npos);
  code = run_command({binary_path(), "--upstream", "nope=http://a:1", "config", "print"}, &output);
  EXPECT_EQ(code, 2) << output;
}

}  // namespace
}  // namespace ordo::e2e
