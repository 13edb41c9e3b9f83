#include "harness.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

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

OrdoProcess::OrdoProcess(std::vector<std::pair<std::string, std::string>> settings,
                         std::string data_dir)
    : owns_data_dir_(data_dir.empty()),
      data_dir_(owns_data_dir_ ? temp_dir("ordo-e2e") : std::move(data_dir)),
      gateway_port_(free_port()),
      settings_(std::move(settings)) {
  std::filesystem::create_directories(data_dir_);
  for (const char* name : {"users", "products", "orders", "inventory", "notifications"}) {
    service_ports_.emplace_back(name, free_port());
  }
}

OrdoProcess::~OrdoProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (owns_data_dir_ && std::getenv("ORDO_E2E_KEEP") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_, ignored);
  }
}

std::vector<std::string> OrdoProcess::common_args() const {
  std::vector<std::string> args{"--data-dir", data_dir_, "--port", std::to_string(gateway_port_)};
  for (const auto& [name, port] : service_ports_) {
    args.push_back("--set");
    args.push_back(name + ".port=" + std::to_string(port));
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

void OrdoProcess::choose_ports() {
  gateway_port_ = free_port();
  service_ports_.clear();
  for (const char* name : {"users", "products", "orders", "inventory", "notifications"}) {
    service_ports_.emplace_back(name, free_port());
  }
}

void OrdoProcess::start(std::vector<std::string> serve_args, bool wait_ready) {
  auto retry_args = serve_args;
  std::vector<std::string> args{binary_path(), "serve"};
  for (auto& arg : serve_args)
    args.push_back(std::move(arg));
  for (auto& arg : common_args())
    args.push_back(std::move(arg));
  // Only what this process writes counts: the log of a restarted process holds the last one's.
  auto log_offset = log_text().size();
  pid_ = core::spawn_process(args, data_dir_ + "/ordo.log");
  if (!wait_ready)
    return;
  // Ready means OUR process logged "ready" (every listener bound): a health answer alone could
  // come from another test's process that took one of our ports first.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      // Another test may have taken one of our ports in the meantime: new ports, once more.
      if (log_text().find("ddress already in use", log_offset) != std::string::npos &&
          port_retries_-- > 0) {
        choose_ports();
        start(std::move(retry_args), wait_ready);
        return;
      }
      FAIL() << "ordo exited during start with " << core::exit_code_of(status) << "\n"
             << log_text();
    }
    if (log_text().find("\"message\":\"ready\"", log_offset) != std::string::npos) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "ordo did not become ready in 30 s\n" << log_text();
}

void OrdoProcess::signal(int sig) {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

int OrdoProcess::wait(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return core::exit_code_of(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -2000;  // still running
}

std::string OrdoProcess::log_text() const {
  return core::read_text_file(data_dir_ + "/ordo.log");
}

Runner::Runner() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}

Runner::~Runner() {
  guard_.reset();
  io_.stop();
  thread_.join();
}

Session::Session(Runner& runner, const std::string& origin)
    : runner_(runner), origin_(origin), http_(runner.io().get_executor()), api_(http_, origin) {}

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
  return runner_.run(http_.send(origin_, std::move(request)));
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
