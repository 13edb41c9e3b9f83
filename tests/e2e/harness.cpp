#include "harness.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "exchange_recorder.hpp"
#include "platform/core/child_process.hpp"
#include "platform/core/ports.hpp"

namespace ordo::e2e {

std::uint16_t free_port() {
  return core::pick_free_port(20000, 25999);  // the bench (smoke test) takes 26000-32000
}

std::string temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  return buffer.data();
}

std::string binary_path() {
  return ORDO_BINARY;
}

int run_command(const std::vector<std::string>& args, std::string* output) {
  auto log = temp_dir("ordo-cmd") + "/out.txt";
  pid_t pid = core::spawn_process(args, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (output != nullptr)
    *output = core::read_text_file(log);
  return core::exit_code_of(status);
}

const Topology& topology() {
  static const Topology value = [] {
    Topology t;
    const char* mode = std::getenv("ORDO_E2E_MODE");
    std::string name = mode == nullptr ? "embedded" : mode;
    if (name == "pg_nats" || name == "pg_rabbitmq") {
      t.distributed = true;
      t.database_url = std::getenv("ORDO_TEST_POSTGRES_URL");
      t.bus_url = std::getenv(name == "pg_nats" ? "ORDO_TEST_NATS_URL" : "ORDO_TEST_AMQP_URL");
      // The NATS run scales orders and inventory out; the RabbitMQ run keeps one of each.
      // Both run two notifications instances (instances_of).
      t.instances = name == "pg_nats" ? 2 : 1;
    } else if (name != "embedded") {
      throw std::runtime_error("ORDO_E2E_MODE must be embedded, pg_nats or pg_rabbitmq");
    }
    return t;
  }();
  return value;
}

namespace {

constexpr std::array<const char*, 5> kServices{"users", "products", "orders", "inventory",
                                               "notifications"};

// How many instances of a service a distributed topology runs. Notifications always runs two:
// its dispatchers must share the pending rows without delivering one twice.
int instances_of(const std::string& service) {
  if (service == "notifications")
    return std::max(topology().instances, 2);
  if (service == "orders" || service == "inventory")
    return topology().instances;
  return 1;
}

// A short name unique to this system under test: its database and bus namespace.
std::string identity_of(const std::string& data_dir) {
  std::ostringstream out;
  out << std::hex << (std::hash<std::string>{}(data_dir)&0xffffffffffffULL);
  return out.str();
}

std::string with_database(const std::string& url, const std::string& database) {
  auto slash = url.rfind('/');
  return url.substr(0, slash + 1) + database;
}

// psql against the server: the test's own database is made and dropped with it.
std::string psql(const std::string& url, const std::string& statement) {
  std::string output;
  int code = run_command(
      {"/usr/bin/psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", statement},
      &output);
  if (code != 0)
    throw std::runtime_error("psql failed (" + std::to_string(code) + "): " + statement + "\n" +
                             output);
  while (!output.empty() && (output.back() == '\n' || output.back() == ' '))
    output.pop_back();
  return output;
}

bool exited(pid_t pid, int& status) {
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

OrdoProcess::OrdoProcess(std::vector<std::pair<std::string, std::string>> settings,
                         std::string data_dir)
    : owns_data_dir_(data_dir.empty()),
      data_dir_(owns_data_dir_ ? temp_dir("ordo-e2e") : std::move(data_dir)),
      gateway_port_(0),
      settings_(std::move(settings)) {
  // Every test user signs up from 127.0.0.1: the sign-up budget per address is raised unless a
  // test is about that budget.
  bool sets_sign_ups = std::any_of(settings_.begin(), settings_.end(), [](const auto& setting) {
    return setting.first == "auth.register_max_per_address";
  });
  if (!sets_sign_ups)
    settings_.emplace_back("auth.register_max_per_address", "1000000");
  std::filesystem::create_directories(data_dir_);
  choose_ports();
  if (topology().distributed) {
    auto identity = identity_of(data_dir_);
    bus_namespace_ = "e2e" + identity;
    auto database = "e2e_" + identity;
    if (psql(topology().database_url,
             "SELECT count(*) FROM pg_database WHERE datname = '" + database + "'") == "0") {
      psql(topology().database_url, "CREATE DATABASE " + database);
    }
    database_url_ = with_database(topology().database_url, database);
  }
}

OrdoProcess::~OrdoProcess() {
  forget_gateway_origin(gateway_origin());
  for (auto& child : children_) {
    if (child.pid > 0)
      ::kill(child.pid, SIGKILL);
  }
  for (auto& child : children_) {
    int status = 0;
    if (child.pid > 0)
      ::waitpid(child.pid, &status, 0);
  }
  if (owns_data_dir_ && std::getenv("ORDO_E2E_KEEP") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_, ignored);
    if (!database_url_.empty()) {
      try {
        psql(topology().database_url, "DROP DATABASE IF EXISTS " +
                                          database_url_.substr(database_url_.rfind('/') + 1) +
                                          " WITH (FORCE)");
      } catch (const std::exception&) {
        // Best effort: the servers' directory goes with the test run anyway.
      }
    }
  }
}

std::vector<std::string> OrdoProcess::common_args() const {
  std::vector<std::string> args{"--data-dir", data_dir_, "--port", std::to_string(gateway_port_)};
  for (const auto& [name, port] : service_ports_) {
    args.push_back("--set");
    args.push_back(name + ".port=" + std::to_string(port));
  }
  if (topology().distributed) {
    for (const std::string& args_url :
         {std::string("--database-url"), database_url_, std::string("--bus-url"),
          topology().bus_url, std::string("--set"), "bus.namespace=" + bus_namespace_}) {
      args.push_back(args_url);
    }
  }
  for (const auto& [key, value] : settings_) {
    args.push_back("--set");
    args.push_back(key + "=" + value);
  }
  return args;
}

std::string OrdoProcess::service_origin(const std::string& name) const {
  for (const auto& [service, port] : service_ports_) {
    if (service == name)
      return "http://127.0.0.1:" + std::to_string(port);
  }
  return {};
}

std::vector<std::string> OrdoProcess::service_origins(const std::string& name) const {
  std::vector<std::string> out;
  if (auto first = service_origin(name); !first.empty())
    out.push_back(first);
  for (const auto& [service, port] : extra_instance_ports_) {
    if (service == name)
      out.push_back("http://127.0.0.1:" + std::to_string(port));
  }
  return out;
}

void OrdoProcess::choose_ports() {
  if (gateway_port_ != 0)
    forget_gateway_origin(gateway_origin());
  gateway_port_ = free_port();
  note_gateway_origin(gateway_origin());
  service_ports_.clear();
  extra_instance_ports_.clear();
  for (const char* name : kServices) {
    service_ports_.emplace_back(name, free_port());
    if (topology().distributed) {
      for (int i = 2; i <= instances_of(name); ++i)
        extra_instance_ports_.emplace_back(name, free_port());
    }
  }
}

std::vector<OrdoProcess::Child> OrdoProcess::plan(
    const std::vector<std::string>& serve_args) const {
  auto command = [&](std::vector<std::string> serve, std::vector<std::string> tail) {
    std::vector<std::string> args{binary_path(), "serve"};
    args.insert(args.end(), serve.begin(), serve.end());
    for (auto& arg : common_args())
      args.push_back(std::move(arg));
    args.insert(args.end(), tail.begin(), tail.end());
    return args;
  };
  std::vector<Child> children;
  if (!topology().distributed || !serve_args.empty()) {
    children.push_back(Child{"ordo", command(serve_args, {})});
    return children;
  }
  // Every process learns where every service's instances are (the gateway balances across
  // them; orders asks products about products it has not heard of yet).
  std::vector<std::string> upstreams;
  for (const auto& [name, port] : service_ports_) {
    std::string origins = "http://127.0.0.1:" + std::to_string(port);
    for (const auto& [extra_name, extra_port] : extra_instance_ports_) {
      if (extra_name == name)
        origins += ",http://127.0.0.1:" + std::to_string(extra_port);
    }
    upstreams.push_back("--upstream");
    upstreams.push_back(name + "=" + origins);
  }
  auto with_upstreams = [&](std::vector<std::string> tail) {
    tail.insert(tail.end(), upstreams.begin(), upstreams.end());
    return tail;
  };
  for (const auto& [name, port] : service_ports_) {
    children.push_back(Child{name + "-1", command({"--service=" + name}, with_upstreams({}))});
    int instance = 2;
    for (const auto& [extra_name, extra_port] : extra_instance_ports_) {
      if (extra_name != name)
        continue;
      children.push_back(
          Child{name + "-" + std::to_string(instance++),
                command({"--service=" + name},
                        with_upstreams({"--set", name + ".port=" + std::to_string(extra_port)}))});
    }
  }
  children.push_back(Child{"gateway", command({"--service=gateway"}, with_upstreams({}))});
  return children;
}

void OrdoProcess::launch(Child& child) {
  child.log_path = data_dir_ + "/" + child.name + ".log";
  // Only what this process writes counts: the log of a restarted process holds the last one's.
  child.log_offset = core::read_text_file(child.log_path).size();
  child.pid = core::spawn_process(child.args, child.log_path);
}

void OrdoProcess::start(std::vector<std::string> serve_args, bool wait_ready) {
  children_ = plan(serve_args);
  for (auto& child : children_)
    launch(child);
  if (!wait_ready)
    return;
  // Ready means OUR process logged "ready" (every listener bound): a health answer alone could
  // come from another test's process that took one of our ports first.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<bool> ready(children_.size(), false);
  while (std::chrono::steady_clock::now() < deadline) {
    bool all_ready = true;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (ready[i])
        continue;
      auto& child = children_[i];
      auto log = core::read_text_file(child.log_path);
      int status = 0;
      if (exited(child.pid, status)) {
        child.pid = -1;
        // Another test may have taken one of our ports in the meantime: new ports, once more.
        if (log.find("ddress already in use", child.log_offset) != std::string::npos &&
            port_retries_-- > 0) {
          signal(SIGKILL);
          wait(std::chrono::seconds(10));
          choose_ports();
          start(std::move(serve_args), wait_ready);
          return;
        }
        FAIL() << child.name << " exited during start with " << core::exit_code_of(status) << "\n"
               << log_text();
      }
      ready[i] = log.find("\"message\":\"ready\"", child.log_offset) != std::string::npos;
      all_ready = all_ready && ready[i];
    }
    if (all_ready)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "ordo did not become ready in 60 s\n" << log_text();
}

void OrdoProcess::signal(int sig) {
  // A graceful stop of the distributed system goes front to back, as `ordo serve` does inside
  // one process: the gateway first, so its in-flight requests still reach the services.
  if (sig == SIGTERM && children_.size() > 1) {
    for (auto& child : children_) {
      if (child.name != "gateway" || child.pid <= 0)
        continue;
      ::kill(child.pid, sig);
      int status = 0;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!exited(child.pid, status) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      child.exit_status = core::exit_code_of(status);
      child.pid = -1;
    }
  }
  for (auto& child : children_) {
    if (child.pid > 0)
      ::kill(child.pid, sig);
  }
}

bool OrdoProcess::running() const {
  for (const auto& child : children_) {
    if (child.pid > 0)
      return true;
  }
  return false;
}

int OrdoProcess::wait(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int result = 0;
  for (const auto& child : children_) {
    if (child.pid <= 0 && child.exit_status != 0 && result == 0)
      result = child.exit_status;  // stopped earlier by signal()
  }
  while (running() && std::chrono::steady_clock::now() < deadline) {
    for (auto& child : children_) {
      int status = 0;
      if (child.pid > 0 && exited(child.pid, status)) {
        child.pid = -1;
        if (result == 0)
          result = core::exit_code_of(status);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return running() ? -2000 : result;  // -2000: still running
}

std::string OrdoProcess::log_text() const {
  std::string text;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir_)) {
    if (entry.path().extension() == ".log")
      text += core::read_text_file(entry.path().string());
  }
  return text;
}

std::string OrdoProcess::sql(const std::string& service, const std::string& statement) const {
  if (!database_url_.empty())
    return psql(database_url_, "SET search_path TO " + service + "; " + statement);
  sqlite3* db = nullptr;
  std::string path = data_dir_ + "/" + service + ".db";
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* prepared = nullptr;
  std::string first;
  int rc = sqlite3_prepare_v2(db, statement.c_str(), -1, &prepared, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(prepared);
    if (rc == SQLITE_ROW && sqlite3_column_count(prepared) > 0 &&
        sqlite3_column_text(prepared, 0) != nullptr) {
      first = reinterpret_cast<const char*>(sqlite3_column_text(prepared, 0));
    }
  }
  std::string error = sqlite3_errmsg(db);
  sqlite3_finalize(prepared);
  sqlite3_close(db);
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
    throw std::runtime_error("sql on " + path + ": " + error);
  return first;
}

Runner::Runner() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}

Runner::~Runner() {
  guard_.reset();
  io_.stop();
  thread_.join();
}

namespace {

void record(const std::string& origin, const http::OutgoingRequest& request,
            const http::Response& response) {
  record_exchange({origin, request.method, request.target, request.headers.fields(),
                   response.status, response.headers.fields(), response.body});
}

}  // namespace

Session::Session(Runner& runner, const std::string& origin)
    : runner_(runner), origin_(origin), http_(runner.io().get_executor()), api_(http_, origin) {
  api_.observe([origin](const http::OutgoingRequest& request, const http::Response& response) {
    record(origin, request, response);
  });
}

http::Response Session::request(std::string method, std::string target, std::string body,
                                std::vector<std::pair<std::string, std::string>> headers,
                                std::optional<std::string> content_type) {
  http::OutgoingRequest request{std::move(method), std::move(target), {}, std::move(body)};
  if (content_type)
    request.headers.set("Content-Type", *content_type);
  if (!api_.access_token().empty()) {
    request.headers.set("Authorization", "Bearer " + api_.access_token());
  }
  for (auto& [name, value] : headers)
    request.headers.set(name, value);
  http::OutgoingRequest sent = request;
  auto response = runner_.run(http_.send(origin_, std::move(request)));
  record(origin_, sent, response);
  return response;
}

boost::json::value Session::json(const http::Response& response) {
  boost::system::error_code ec;
  auto value = boost::json::parse(response.body, ec);
  return ec ? boost::json::value() : value;
}

std::string unique_email(const std::string& tag) {
  static std::atomic<int> counter{0};
  return tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "@example.com";
}

}  // namespace ordo::e2e

namespace ordo::e2e {

std::unique_ptr<Session> admin_session(OrdoProcess& ordo, Runner& runner) {
  auto email = unique_email("admin");
  std::vector<std::string> args{binary_path()};
  for (auto& arg : ordo.common_args())
    args.push_back(arg);
  for (const char* arg : {"users", "create-admin", "--email"})
    args.emplace_back(arg);
  args.push_back(email);
  args.emplace_back("--password");
  args.emplace_back("admin password 123");
  std::string output;
  if (run_command(args, &output) != 0)
    throw std::runtime_error("create-admin failed: " + output);
  auto session = std::make_unique<Session>(runner, ordo.gateway_origin());
  session->run(session->api().login(email, "admin password 123"));
  return session;
}

std::unique_ptr<Session> user_session(OrdoProcess& ordo, Runner& runner, const std::string& tag) {
  auto session = std::make_unique<Session>(runner, ordo.gateway_origin());
  auto email = unique_email(tag);
  session->run(session->api().register_user(email, "correct horse battery", tag));
  session->run(session->api().login(email, "correct horse battery"));
  return session;
}

void expect_problem(const http::Response& response, int status, const std::string& what) {
  EXPECT_EQ(response.status, status) << what << ": " << response.body;
  EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json") << what;
  auto json = Session::json(response);
  ASSERT_TRUE(json.is_object()) << what;
  EXPECT_EQ(json.at("status").as_int64(), status) << what;
  EXPECT_TRUE(json.as_object().contains("title")) << what;
  EXPECT_TRUE(json.as_object().contains("type")) << what;
}

Settings unlimited_rate() {
  return {{"rate_limit.client_per_s", "100000"},
          {"rate_limit.client_burst", "100000"},
          {"rate_limit.user_per_s", "100000"},
          {"rate_limit.user_burst", "100000"}};
}

std::int64_t available(Session& session, const std::string& product_id) {
  auto response = session.request("GET", "/products/" + product_id + "/stock");
  return response.status == 200 ? Session::json(response).at("available").as_int64() : -1;
}

std::vector<boost::json::object> all_items(Session& session, const std::string& path) {
  std::vector<boost::json::object> items;
  std::string cursor;
  for (int page = 0; page < 10'000; ++page) {
    auto separator = path.find('?') == std::string::npos ? "?" : "&";
    auto response = session.request(
        "GET", path + separator + "limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor));
    if (response.status != 200)
      throw std::runtime_error(path + ": " + response.body);
    auto document = Session::json(response);
    for (const auto& item : document.at("items").as_array())
      items.push_back(item.as_object());
    if (!document.at("nextCursor").is_string())
      break;
    cursor = std::string(document.at("nextCursor").as_string());
  }
  return items;
}

bool eventually(const std::function<bool()>& check, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (check())
      return true;
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace ordo::e2e
