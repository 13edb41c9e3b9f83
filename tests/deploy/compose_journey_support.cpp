#include "compose_journey_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"

namespace ordo::compose {
namespace {

struct Outcome {
  int status = -1;  // the exit status; -1 when it did not exit normally
  std::string output;
};

// Runs argv under `timeout` (coreutils), capturing stdout (and stderr when merged): no shell, so
// no quoting of what the arguments hold.
Outcome run_process(std::vector<std::string> argv, int seconds, bool merge_stderr) {
  argv.insert(argv.begin(), {"timeout", std::to_string(seconds)});
  int pipe_ends[2];
  if (::pipe(pipe_ends) != 0)
    throw Failure("pipe failed");
  pid_t child = ::fork();
  if (child < 0)
    throw Failure("fork failed");
  if (child == 0) {
    ::dup2(pipe_ends[1], STDOUT_FILENO);
    if (merge_stderr)
      ::dup2(pipe_ends[1], STDERR_FILENO);
    ::close(pipe_ends[0]);
    ::close(pipe_ends[1]);
    std::vector<char*> args;
    for (auto& arg : argv)
      args.push_back(arg.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_ends[1]);
  Outcome outcome;
  char buffer[4096];
  ssize_t got = 0;
  while ((got = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0)
    outcome.output.append(buffer, static_cast<std::size_t>(got));
  ::close(pipe_ends[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words)
    text += (text.empty() ? "" : " ") + word;
  return text;
}

const char* environment_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

void step(const std::string& message) {
  std::cout << "journey: " << message << std::endl;
}

std::string unique_key() {
  return core::uuid_v7();
}

std::string unique_name() {
  return core::random_hex(4);
}

std::string token_kid(const std::string& token) {
  auto header = core::base64url_decode(token.substr(0, token.find('.')));
  if (!header)
    throw Failure("a token whose header is not base64url");
  auto parsed = boost::json::parse(*header);
  const auto* kid = parsed.as_object().if_contains("kid");
  return kid != nullptr && kid->is_string() ? std::string(kid->as_string()) : std::string();
}

std::string state_of(const boost::json::value& instance) {
  const auto* state = instance.is_object() ? instance.as_object().if_contains("state") : nullptr;
  return state != nullptr && state->is_string() ? std::string(state->as_string()) : std::string();
}

Options parse_options(int argc, char** argv) {
  Options options;
  options.admin = {environment_or("ORDO_ADMIN_EMAIL", "admin@shop.test"),
                   environment_or("ORDO_ADMIN_PASSWORD", "change-me-now")};
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        throw std::invalid_argument(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--origin")
      options.origin = value();
    else if (flag == "--compose-script")
      options.compose_script = value();
    else if (flag == "--engine")
      options.engine = value();
    else if (flag == "--project")
      options.project = value();
    else if (flag == "--orders")
      options.orders = std::stoul(value());
    else if (flag == "--threads")
      options.threads = std::stoi(value());
    else if (flag == "--without-discovery")
      options.discovery = false;
    else if (flag == "--without-rotation")
      options.rotation = false;
    else
      throw std::invalid_argument("unknown option " + flag);
  }
  if (options.origin.empty() || options.compose_script.empty() || options.engine.empty() ||
      options.project.empty()) {
    throw std::invalid_argument(
        "usage: compose_journey --origin URL --compose-script PATH --engine docker|podman "
        "--project NAME [--orders N] [--threads N] [--without-discovery] [--without-rotation]");
  }
  return options;
}

// --- containers ---------------------------------------------------------------------------------

std::vector<std::string> Containers::ids(const std::string& service) const {
  auto listed = run_process({options_.engine, "ps", "-q", "--filter",
                             "label=com.docker.compose.project=" + options_.project, "--filter",
                             "label=com.docker.compose.service=" + service},
                            60, false);
  if (listed.status != 0)
    throw Failure(options_.engine + " ps: exit " + std::to_string(listed.status));
  std::vector<std::string> ids;
  std::istringstream words(listed.output);
  for (std::string id; words >> id;)
    ids.push_back(id);
  return ids;
}

void Containers::compose(const std::vector<std::string>& arguments) const {
  std::vector<std::string> argv{options_.compose_script, "compose"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  auto outcome = run_process(argv, 600, true);
  if (outcome.status != 0)
    throw Failure("compose " + joined(arguments) + ": " + outcome.output);
}

void Containers::kill(const std::string& container) const {
  auto outcome = run_process({options_.engine, "kill", "--signal", "KILL", container}, 60, true);
  if (outcome.status != 0)
    throw Failure(options_.engine + " kill " + container + ": " + outcome.output);
}

std::string Containers::exec(const std::string& container,
                             const std::vector<std::string>& command) const {
  std::vector<std::string> argv{options_.engine, "exec", container};
  argv.insert(argv.end(), command.begin(), command.end());
  auto outcome = run_process(argv, 120, true);
  if (outcome.status != 0) {
    throw Failure(joined(command) + ": exit " + std::to_string(outcome.status) + ": " +
                  outcome.output);
  }
  return outcome.output;
}

// --- the API ------------------------------------------------------------------------------------

Api::Api(std::string origin) : origin_(std::move(origin)), work_(io_.get_executor()) {
  http::ClientOptions options;
  options.request_timeout = std::chrono::seconds(20);
  http_ = std::make_unique<http::Client>(io_.get_executor(), options);
  loop_ = std::thread([this] { io_.run(); });
}

Api::~Api() {
  work_.reset();
  // The client's idle connections go with it, on the loop that owns them.
  boost::asio::post(io_, [this] { http_.reset(); });
  loop_.join();
}

std::optional<std::pair<int, boost::json::object>> Api::ready() {
  Session anyone = session();
  try {
    auto response = run(anyone.client().send("GET", "/ready"));
    auto body = boost::json::parse(response.body);
    if (!body.is_object())
      return std::nullopt;
    return std::make_pair(response.status, body.as_object());
  } catch (const std::exception&) {
    return std::nullopt;  // no answer yet, or not JSON
  }
}

Session Api::session(const std::string& token) {
  auto client = std::make_unique<client::ApiClient>(*http_, origin_);
  client->set_access_token(token);
  return Session(std::move(client));
}

Session Api::login(const Credentials& credentials) {
  Session caller = session();
  run(caller.client().login(credentials.email, credentials.password));
  return caller;
}

void Api::register_user(const Credentials& credentials, const std::string& name) {
  Session anyone = session();
  run(anyone.client().register_user(credentials.email, credentials.password, name));
}

contracts::Product Api::create_product(Session& admin, const client::NewProduct& product) {
  return run(admin.client().create_product(product)).value;
}

contracts::Product Api::product(const std::string& id) {
  Session anyone = session();
  return run(anyone.client().product(id)).value;
}

client::PlacedOrder Api::place(Session& buyer, const std::string& product_id, std::int64_t quantity,
                               const std::string& idempotency_key) {
  client::OrderRequest request;
  request.lines.push_back({product_id, quantity});
  request.idempotency_key = idempotency_key;
  return run(buyer.client().place_order(request));
}

std::pair<std::string, int> Api::place_retrying(Session& buyer, const std::string& product_id) {
  auto key = unique_key();
  for (int attempt = 0; attempt < 60; ++attempt) {
    try {
      return {place(buyer, product_id, 1, key).order.id, attempt};
    } catch (const client::ApiError& error) {
      int status = error.status();
      bool worth_retrying =
          status >= 500 || status == 408 || status == 409 || status == 425 || status == 429;
      if (!worth_retrying)
        throw Failure(std::string("POST /orders: ") + error.what());
    } catch (const http::ClientError&) {
      // No answer (the instance died under it): the same key again.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  throw Failure("POST /orders (key " + key + ") unanswered after 60 attempts");
}

std::optional<contracts::Order> Api::try_order(Session& buyer, const std::string& id) {
  try {
    return run(buyer.client().order(id));
  } catch (const client::ApiError& error) {
    if (error.status() == 404)
      throw Failure("accepted order " + id + " is gone (404)");
  } catch (const http::ClientError&) {
  }
  return std::nullopt;
}

std::int64_t Api::reserved(Session& admin, const std::string& product_id) {
  try {
    return run(admin.client().stock(product_id)).value.reserved;
  } catch (const std::exception&) {
    return 0;
  }
}

std::size_t Api::notification_count(Session& buyer) {
  try {
    client::Query query{{"limit", "10"}};
    return run(buyer.client().notifications(query)).items.size();
  } catch (const std::exception&) {
    return 0;
  }
}

void Api::read_everything(Session& admin, Session& buyer, const std::string& product_id) {
  client::Query few{{"limit", "5"}};
  try {
    run(buyer.client().me());
    run(buyer.client().orders(few));
    run(buyer.client().notifications(few));
    run(admin.client().stock(product_id));
  } catch (const std::exception& error) {
    throw Failure(std::string("a read with a token from around the rotation: ") + error.what());
  }
}

}  // namespace ordo::compose
