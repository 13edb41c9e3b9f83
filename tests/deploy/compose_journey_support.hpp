// What the compose journey stands on: its options, the container tool (podman or docker, through
// scripts/compose.sh for compose commands), and the API through the typed client, called from
// plain threads (each call runs on one event loop thread and is waited for).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "client/api_client.hpp"
#include "platform/http/client.hpp"

namespace ordo::compose {

class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void step(const std::string& message);  // "journey: ..." on stdout, flushed

// check() returns a value when done; polled every `pause` until then, at most `limit`.
template <typename T>
T eventually(const std::function<std::optional<T>()>& check, std::chrono::seconds limit,
             const std::string& what,
             std::chrono::milliseconds pause = std::chrono::milliseconds(500)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (auto done = check())
      return *done;
    if (std::chrono::steady_clock::now() >= deadline)
      throw Failure("not within " + std::to_string(limit.count()) + " s: " + what);
    std::this_thread::sleep_for(pause);
  }
}

std::string unique_key();   // a UUID (an Idempotency-Key)
std::string unique_name();  // 8 random hex digits (a SKU's, an e-mail's, unique across runs)
std::string token_kid(const std::string& token);           // the kid of a JWT's header
std::string state_of(const boost::json::value& instance);  // an /ready instance's "state"

struct Credentials {
  std::string email;
  std::string password;
};

struct Options {
  std::string origin;
  std::string compose_script;
  std::string engine;  // docker or podman
  std::string project;
  std::size_t orders = 60;  // placed around the crash
  int threads = 4;
  bool discovery = true;
  bool rotation = true;
  Credentials admin;  // ORDO_ADMIN_EMAIL / ORDO_ADMIN_PASSWORD, as the compose file's
};
Options parse_options(int argc, char** argv);  // throws std::invalid_argument

// The containers of this compose project.
class Containers {
 public:
  explicit Containers(const Options& options) : options_(options) {}
  std::vector<std::string> ids(const std::string& service) const;
  void compose(const std::vector<std::string>& arguments) const;  // scripts/compose.sh compose ...
  void kill(const std::string& container) const;                  // SIGKILL
  std::string exec(const std::string& container, const std::vector<std::string>& command) const;

 private:
  const Options& options_;
};

// One caller of the API (its access token); used by one thread at a time.
class Session {
 public:
  explicit Session(std::unique_ptr<client::ApiClient> client) : client_(std::move(client)) {}
  client::ApiClient& client() { return *client_; }
  const std::string& token() const { return client_->access_token(); }

 private:
  std::unique_ptr<client::ApiClient> client_;
};

class Api {
 public:
  explicit Api(std::string origin);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // GET /ready: status and body; nullopt when no answer (or not JSON) came.
  std::optional<std::pair<int, boost::json::object>> ready();
  Session session(const std::string& token = {});
  Session login(const Credentials& credentials);
  void register_user(const Credentials& credentials, const std::string& name);
  contracts::Product create_product(Session& admin, const client::NewProduct& product);
  contracts::Product product(const std::string& id);
  client::PlacedOrder place(Session& buyer, const std::string& product_id, std::int64_t quantity,
                            const std::string& idempotency_key);
  // The client's side of the contract: a placement that is unanswered or failed in a way worth
  // retrying is retried with the same key, which yields the one order, never two. The order's
  // id and the attempts before the one that was accepted.
  std::pair<std::string, int> place_retrying(Session& buyer, const std::string& product_id);
  // The order, nullopt when it could not be read now; a Failure when it is gone (404).
  std::optional<contracts::Order> try_order(Session& buyer, const std::string& id);
  std::int64_t reserved(Session& admin, const std::string& product_id);  // 0 when unreadable
  std::size_t notification_count(Session& buyer);                        // 0 when unreadable
  // A read from each service with these tokens: users, orders, notifications, inventory.
  void read_everything(Session& admin, Session& buyer, const std::string& product_id);

 private:
  template <typename T>
  T run(boost::asio::awaitable<T> work) {
    return boost::asio::co_spawn(io_, std::move(work), boost::asio::use_future).get();
  }

  std::string origin_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<http::Client> http_;
  std::thread loop_;
};

}  // namespace ordo::compose
