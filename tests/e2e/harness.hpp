// End-to-end harness: starts the real `ordo` binary on free ports with a temporary data
// directory, and talks HTTP to it with the project's typed client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "client/api_client.hpp"
#include "platform/http/client.hpp"

namespace ordo::e2e {

std::uint16_t free_port();
std::string temp_dir(const std::string& prefix);
std::string binary_path();

// Runs a command to completion (for `ordo users create-admin` and the like); returns exit code.
int run_command(const std::vector<std::string>& args, std::string* output = nullptr);

using Settings = std::vector<std::pair<std::string, std::string>>;

// How the suite runs Ordo: ORDO_E2E_MODE (CTest sets it per suite run) is
//   embedded (default): one `ordo serve` on SQLite and the in-process bus;
//   pg_nats / pg_rabbitmq: PostgreSQL and NATS JetStream or RabbitMQ (the servers of the
//   `servers` fixture): one process per service instance (two of orders and of inventory with
//   NATS) and a gateway, each test with its own database and bus namespace.
struct Topology {
  bool distributed = false;
  std::string database_url;  // the server's; each OrdoProcess makes its own database on it
  std::string bus_url;
  int instances = 1;
};
const Topology& topology();

// One Ordo system under test: one `ordo serve` process (embedded), or every service's instances
// and the gateway (distributed). Output goes to <data dir>/<process>.log.
class OrdoProcess {
 public:
  // settings: extra "--set key=value" pairs.
  explicit OrdoProcess(std::vector<std::pair<std::string, std::string>> settings = {},
                       std::string data_dir = {});
  ~OrdoProcess();

  // args after `ordo serve`, e.g. {"--service=gateway"}: then one process runs exactly that.
  // Waits until every process logged "ready", or fails the test.
  void start(std::vector<std::string> serve_args = {}, bool wait_ready = true);
  void signal(int sig);  // to every process
  // Waits for every process to exit; returns the first non-zero exit status (or -signal).
  int wait(std::chrono::seconds timeout = std::chrono::seconds(30));
  bool running() const;

  std::string gateway_origin() const { return "http://127.0.0.1:" + std::to_string(gateway_port_); }
  std::string service_origin(const std::string& name) const;  // its first instance
  // Every instance of the service (distributed: each its own process), the first one first.
  std::vector<std::string> service_origins(const std::string& name) const;
  const std::string& data_dir() const { return data_dir_; }
  std::string log_text() const;  // every process's log
  // The common flags (data dir, ports, database, bus, settings) for another `ordo` command on
  // the same setup.
  std::vector<std::string> common_args() const;
  // Runs one SQL statement in a service's database (its SQLite file or its PostgreSQL schema),
  // as an operator's tool would; returns the first column of the first row as text.
  std::string sql(const std::string& service, const std::string& statement) const;

 private:
  struct Child {
    Child(std::string name, std::vector<std::string> args)
        : name(std::move(name)), args(std::move(args)) {}
    std::string name;  // "ordo", or "orders-2"
    std::vector<std::string> args;
    pid_t pid = -1;
    int exit_status = 0;  // when signal() already reaped it
    std::size_t log_offset = 0;
    std::string log_path;
  };
  bool owns_data_dir_;  // made by the harness, so removed with it (initialized first)
  std::string data_dir_;
  std::uint16_t gateway_port_ = 0;
  std::vector<std::pair<std::string, std::uint16_t>> service_ports_;
  std::vector<std::pair<std::string, std::uint16_t>> extra_instance_ports_;  // instances 2..N
  std::vector<std::pair<std::string, std::string>> settings_;
  std::vector<Child> children_;
  std::string database_url_;  // distributed: this system's own database
  std::string bus_namespace_;
  int port_retries_ = 3;
  void choose_ports();
  void launch(Child& child);
  std::vector<Child> plan(const std::vector<std::string>& serve_args) const;
};

// An io_context on its own thread, so tests can call coroutines synchronously.
class Runner {
 public:
  Runner();
  ~Runner();
  template <typename T>
  T run(boost::asio::awaitable<T> work) {
    return boost::asio::co_spawn(io_, std::move(work), boost::asio::use_future).get();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// A client session against the gateway: a typed client plus raw calls.
class Session {
 public:
  Session(Runner& runner, const std::string& origin);
  client::ApiClient& api() { return api_; }
  template <typename T>
  T run(boost::asio::awaitable<T> work) {
    return runner_.run(std::move(work));
  }
  http::Response request(std::string method, std::string target, std::string body = {},
                         std::vector<std::pair<std::string, std::string>> headers = {},
                         std::optional<std::string> content_type = "application/json");
  // The parsed JSON body of a response (null when empty or not JSON).
  static boost::json::value json(const http::Response& response);

 private:
  Runner& runner_;
  std::string origin_;
  http::Client http_;
  client::ApiClient api_;
};

// A unique e-mail address per call.
std::string unique_email(const std::string& tag);

// An admin made with `ordo users create-admin` on the process's data dir, logged in.
std::unique_ptr<Session> admin_session(OrdoProcess& ordo, Runner& runner);
// A freshly registered user, logged in.
std::unique_ptr<Session> user_session(OrdoProcess& ordo, Runner& runner, const std::string& tag);

// Asserts an RFC 9457 answer: the status, application/problem+json, and type/title/status.
void expect_problem(const http::Response& response, int status, const std::string& what);

// Rate limits out of the way: these tests send many requests from one address on purpose.
Settings unlimited_rate();
// A product's available stock as anyone sees it; -1 when it has no stock (yet).
std::int64_t available(Session& session, const std::string& product_id);
// Every item of a paged list (follows nextCursor).
std::vector<boost::json::object> all_items(Session& session, const std::string& path);

// Polls check() until it returns true or the deadline passes; returns the last result.
bool eventually(const std::function<bool()>& check,
                std::chrono::milliseconds deadline = std::chrono::seconds(20));

}  // namespace ordo::e2e
