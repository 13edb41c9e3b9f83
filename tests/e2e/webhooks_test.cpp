// Webhooks end to end: an admin registers a receiver on 127.0.0.1 (a small server in this test),
// events reach it signed per Standard Webhooks, failures and a too-slow answer are retried with
// the same webhook-id, deliveries are listable; users are refused; private targets are refused
// unless allowed; an endpoint failing too long is disabled and its admin told.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "harness.hpp"

namespace ordo::e2e {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

// One request the receiver got: its headers (lower-case names) and body.
struct Received {
  std::map<std::string, std::string> headers;
  std::string body;
};

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A receiver on a loopback port: each connection is served on its own thread (so a deliberately
// slow answer does not hold up the next attempt). answer(n) says what the n-th attempt (from 1)
// of a webhook-id gets: a status, or 0 for "answer 200 only after `slow`".
class Receiver {
 public:
  Receiver(std::function<int(int)> answer, std::chrono::milliseconds slow = 1500ms)
      : answer_(std::move(answer)), slow_(slow) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0) {
      throw std::runtime_error("receiver: cannot listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~Receiver() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    std::lock_guard lock(mutex_);
    for (auto& worker : workers_)
      worker.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::vector<Received> received(const std::string& webhook_id) const {
    std::vector<Received> out;
    for (auto& request : received()) {
      if (request.headers["webhook-id"] == webhook_id)
        out.push_back(request);
    }
    return out;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0)
        return;
      std::lock_guard lock(mutex_);
      workers_.emplace_back([this, connection] { serve(connection); });
    }
  }

  void serve(int connection) {
    std::string data;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    std::size_t content_length = 0;
    while (true) {
      if (head_end == std::string::npos &&
          (head_end = data.find("\r\n\r\n")) != std::string::npos) {
        auto at = lower(data.substr(0, head_end)).find("content-length:");
        if (at != std::string::npos)
          content_length = std::stoul(data.substr(at + 15));
      }
      if (head_end != std::string::npos && data.size() >= head_end + 4 + content_length)
        break;
      auto n = ::recv(connection, buffer, sizeof buffer, 0);
      if (n <= 0) {
        ::close(connection);
        return;
      }
      data.append(buffer, static_cast<std::size_t>(n));
    }
    Received request;
    request.body = data.substr(head_end + 4, content_length);
    std::size_t line = data.find("\r\n") + 2;
    while (line < head_end) {
      auto end = data.find("\r\n", line);
      auto header = data.substr(line, end - line);
      auto colon = header.find(':');
      auto value = header.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request.headers[lower(header.substr(0, colon))] = value;
      line = end + 2;
    }
    int attempt = 0;
    {
      std::lock_guard lock(mutex_);
      received_.push_back(request);
      attempt = ++attempts_[request.headers["webhook-id"]];
    }
    int status = answer_(attempt);
    if (status == 0) {
      std::this_thread::sleep_for(slow_);
      status = 200;
    }
    auto answer = "HTTP/1.1 " + std::to_string(status) +
                  " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ::send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
    ::close(connection);
  }

  std::function<int(int)> answer_;
  std::chrono::milliseconds slow_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<Received> received_;
  std::map<std::string, int> attempts_;
};

// The Standard Webhooks check a receiver makes, written here with OpenSSL directly (not with the
// service's own signing code).
bool signature_verifies(const std::string& secret, const Received& request) {
  auto key_text = secret.substr(6);  // after "whsec_"
  std::string key(key_text.size(), '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                               reinterpret_cast<const unsigned char*>(key_text.data()),
                               static_cast<int>(key_text.size()));
  key.resize(static_cast<std::size_t>(length) -
             static_cast<std::size_t>(std::count(key_text.end() - 2, key_text.end(), '=')));
  auto id = request.headers.at("webhook-id");
  auto timestamp = request.headers.at("webhook-timestamp");
  std::string content = id + "." + timestamp + "." + request.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_length);
  std::string encoded(4 * ((mac_length + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), mac,
                  static_cast<int>(mac_length));
  return request.headers.at("webhook-signature") == "v1," + encoded;
}

std::vector<std::string> problem_fields(const http::Response& response) {
  std::vector<std::string> fields;
  auto body = Session::json(response);
  if (const auto* errors = body.is_object() ? body.as_object().if_contains("errors") : nullptr) {
    for (const auto& error : errors->as_array())
      fields.emplace_back(error.at("field").as_string());
  }
  return fields;
}

std::string hook_body(const std::string& url, const std::string& events) {
  return R"({"url":")" + url + R"(","events":)" + events + R"(,"description":"e2e"})";
}

Settings fast_retries(Settings settings) {
  for (auto setting : Settings{{"notifications.webhook_timeout_ms", "500"},
                               {"notifications.webhook_retry_base_ms", "100"},
                               {"notifications.webhook_retry_max_ms", "400"}}) {
    settings.push_back(setting);
  }
  return settings;
}

// The restart tests' settings: fast retries, receivers on loopback, never disabled meanwhile.
Settings restart_settings() {
  return fast_retries({{"notifications.webhook_allow_private", "true"},
                       {"notifications.webhook_disable_after_s", "600"}});
}

// Registers the receiver's /r for user.registered; its id, or "" (and a failure) when refused.
std::string add_registration_hook(Session& admin, const Receiver& receiver) {
  auto created =
      admin.request("POST", "/webhooks", hook_body(receiver.url("/r"), R"(["user.registered"])"));
  EXPECT_EQ(created.status, 201) << created.body;
  return created.status == 201 ? std::string(Session::json(created).at("id").as_string()) : "";
}

// The deliveries of a webhook, as the admin lists them.
json::array deliveries(Session& admin, const std::string& webhook_id) {
  auto response = admin.request("GET", "/webhooks/" + webhook_id + "/deliveries?limit=100");
  EXPECT_EQ(response.status, 200) << response.body;
  auto body = Session::json(response);
  return body.is_object() ? body.at("items").as_array() : json::array{};
}

TEST(Webhooks, SignedRetriedWithTheSameIdAndListable) {
  // Attempt 1 fails with 500, attempt 2 answers after the timeout, attempt 3 and later succeed.
  Receiver receiver([](int attempt) { return attempt == 1 ? 500 : attempt == 2 ? 0 : 204; });
  OrdoProcess ordo(fast_retries({{"notifications.webhook_allow_private", "true"},
                                 {"notifications.webhook_disable_after_s", "600"}}));
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto admin = admin_session(ordo, runner);
  auto user = user_session(ordo, runner, "hookuser");

  auto refused = user->request("POST", "/webhooks", hook_body(receiver.url("/in"), R"(["*"])"));
  expect_problem(refused, 403, "a user registering a webhook");
  EXPECT_EQ(user->request("GET", "/webhooks").status, 403);

  auto unknown =
      admin->request("POST", "/webhooks", hook_body(receiver.url("/in"), R"(["order.shipped"])"));
  expect_problem(unknown, 400, "an unknown event type");
  EXPECT_EQ(problem_fields(unknown), std::vector<std::string>{"events[0]"});

  auto created = admin->request("POST", "/webhooks",
                                hook_body(receiver.url("/in?from=ordo"), R"(["user.registered"])"));
  ASSERT_EQ(created.status, 201) << created.body;
  auto webhook = Session::json(created).as_object();
  std::string id(webhook.at("id").as_string());
  std::string secret(webhook.at("secret").as_string());
  EXPECT_TRUE(secret.starts_with("whsec_")) << secret;
  EXPECT_EQ(webhook.at("status").as_string(), "active");
  EXPECT_EQ(created.headers.get_or("Location", ""), "/webhooks/" + id);

  // The secret is never shown again.
  auto fetched = admin->request("GET", "/webhooks/" + id);
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.body.find("whsec_"), std::string::npos) << fetched.body;
  auto listed = admin->request("GET", "/webhooks");
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find(id), std::string::npos);
  EXPECT_EQ(listed.body.find("whsec_"), std::string::npos) << listed.body;

  // A registration after the webhook's: its user.registered is delivered.
  auto newcomer = user_session(ordo, runner, "newcomer");
  auto newcomer_id = newcomer->run(newcomer->api().me()).id;
  json::object delivery;
  ASSERT_TRUE(eventually([&] {
    for (const auto& item : deliveries(*admin, id)) {
      const auto& candidate = item.as_object();
      if (candidate.at("status") == "succeeded" &&
          receiver.received(std::string(candidate.at("id").as_string())).size() >= 3) {
        auto body =
            json::parse(receiver.received(std::string(candidate.at("id").as_string())).back().body);
        if (body.at("data").at("userId") == newcomer_id.c_str()) {
          delivery = candidate;
          return true;
        }
      }
    }
    return false;
  })) << "no successful delivery of the newcomer's registration";
  std::string delivery_id(delivery.at("id").as_string());
  EXPECT_EQ(delivery.at("attempts").as_int64(), 3);
  EXPECT_EQ(delivery.at("lastResponseCode").as_int64(), 204);
  EXPECT_EQ(delivery.at("eventType").as_string(), "user.registered");
  EXPECT_TRUE(delivery.at("nextAttemptAt").is_null());

  // Every attempt carried the delivery's id, a valid signature and the same body.
  auto attempts = receiver.received(delivery_id);
  ASSERT_EQ(attempts.size(), 3u);
  for (const auto& attempt : attempts) {
    EXPECT_EQ(attempt.headers.at("webhook-id"), delivery_id);
    EXPECT_TRUE(signature_verifies(secret, attempt)) << attempt.headers.at("webhook-signature");
    EXPECT_EQ(attempt.body, attempts.front().body);
    EXPECT_EQ(attempt.headers.at("content-type"), "application/json");
  }
  auto body = json::parse(attempts.front().body).as_object();
  EXPECT_EQ(body.at("type").as_string(), "user.registered");
  EXPECT_FALSE(body.at("data").as_object().contains("tokenVersion"));
  EXPECT_EQ(body.at("data").at("email").as_string(), newcomer->run(newcomer->api().me()).email);
  EXPECT_TRUE(body.at("timestamp").is_string());
  EXPECT_EQ(body.size(), 3u);

  // A manual retry sends it once more, with the same id.
  auto retried =
      admin->request("POST", "/webhooks/" + id + "/deliveries/" + delivery_id + "/retry");
  EXPECT_EQ(retried.status, 202) << retried.body;
  EXPECT_TRUE(eventually([&] { return receiver.received(delivery_id).size() == 4; }));
  EXPECT_TRUE(eventually([&] {
    for (const auto& item : deliveries(*admin, id)) {
      if (item.at("id") == delivery_id.c_str())
        return item.at("attempts") == 4 && item.at("status") == "succeeded";
    }
    return false;
  }));

  auto patched = admin->request("PATCH", "/webhooks/" + id, R"({"events":["stock.low"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Session::json(patched).at("events").as_array().size(), 1u);
  EXPECT_EQ(admin->request("DELETE", "/webhooks/" + id).status, 204);
  expect_problem(admin->request("GET", "/webhooks/" + id), 404, "a deleted webhook");
}

// A delivery is a row: one still pending when the process stops is sent by the next one, with the
// same webhook-id, and succeeds exactly once.
TEST(Webhooks, PendingDeliveriesSurviveARestart) {
  std::atomic<bool> receiver_up{false};
  // While "down" it redirects: a redirect is not followed, it is a failed attempt.
  Receiver receiver([&](int) { return receiver_up ? 200 : 307; });
  auto settings = restart_settings();
  auto data_dir = temp_dir("ordo-webhooks") + "/data";
  std::string webhook_id;
  std::string delivery_id;
  {
    OrdoProcess first(settings, data_dir);
    ASSERT_NO_FATAL_FAILURE(first.start());
    Runner runner;
    auto admin = admin_session(first, runner);
    webhook_id = add_registration_hook(*admin, receiver);
    ASSERT_FALSE(webhook_id.empty());
    user_session(first, runner, "restart");
    ASSERT_TRUE(eventually([&] {
      for (const auto& item : deliveries(*admin, webhook_id)) {
        if (item.at("attempts").as_int64() >= 1 && item.at("status") == "pending" &&
            item.at("lastResponseCode") == 307) {
          delivery_id = std::string(item.at("id").as_string());
          return true;
        }
      }
      return false;
    })) << "no failed attempt before the restart";
    first.signal(SIGTERM);
    ASSERT_EQ(first.wait(), 0);
  }
  // The first process has exited: nothing is in flight.
  auto failed_attempts = receiver.received(delivery_id).size();
  receiver_up = true;
  OrdoProcess second(settings, data_dir);
  ASSERT_NO_FATAL_FAILURE(second.start());
  Runner runner;
  auto admin = admin_session(second, runner);
  ASSERT_TRUE(eventually([&] {
    for (const auto& item : deliveries(*admin, webhook_id)) {
      if (item.at("id") == delivery_id.c_str())
        return item.at("status") == "succeeded";
    }
    return false;
  })) << "the pending delivery was not sent after the restart";
  // Give a duplicate the chance to show up: none may. The answer after the restart is the
  // only 200 it got.
  std::this_thread::sleep_for(500ms);
  auto attempts = receiver.received(delivery_id);
  ASSERT_GE(failed_attempts, 1u);
  EXPECT_EQ(attempts.size(), failed_attempts + 1);
  for (const auto& attempt : attempts)
    EXPECT_EQ(attempt.headers.at("webhook-id"), delivery_id);
}

// SIGTERM while an attempt is on the wire: the process waits for its answer and records it (a
// claim left behind would hold the delivery for the whole claim lease, minutes), so the next
// process sends it on its first pass.
TEST(Webhooks, AnAttemptInFlightAtShutdownIsRecordedNotLeftClaimed) {
  std::atomic<bool> receiver_up{false};
  std::atomic<bool> second_attempt_arrived{false};
  Receiver receiver([&](int attempt) {
    if (attempt == 2) {
      second_attempt_arrived = true;
      std::this_thread::sleep_for(300ms);  // under the 500 ms attempt timeout
    }
    return receiver_up ? 200 : 503;
  });
  auto settings = restart_settings();
  auto data_dir = temp_dir("ordo-webhooks") + "/data";
  std::string webhook_id;
  {
    OrdoProcess first(settings, data_dir);
    ASSERT_NO_FATAL_FAILURE(first.start());
    Runner runner;
    auto admin = admin_session(first, runner);
    webhook_id = add_registration_hook(*admin, receiver);
    ASSERT_FALSE(webhook_id.empty());
    user_session(first, runner, "inflight");
    ASSERT_TRUE(eventually([&] { return second_attempt_arrived.load(); })) << "no second attempt";
    first.signal(SIGTERM);
    ASSERT_EQ(first.wait(), 0);
  }
  // The first process has exited: what it sent is all it will ever send. (Each registration
  // since the webhook's, the admin's own included, is a delivery.)
  std::map<std::string, std::size_t> sent_before;
  for (const auto& request : receiver.received())
    ++sent_before[request.headers.at("webhook-id")];
  ASSERT_FALSE(sent_before.empty());
  receiver_up = true;
  OrdoProcess second(settings, data_dir);
  ASSERT_NO_FATAL_FAILURE(second.start());
  Runner runner;
  auto admin = admin_session(second, runner);
  json::array items;
  ASSERT_TRUE(eventually([&] {
    items = deliveries(*admin, webhook_id);
    for (const auto& item : items) {
      if (item.at("status") != "succeeded")
        return false;
    }
    return items.size() == sent_before.size();
  })) << "a delivery was still held after the restart: "
      << json::serialize(items);
  // Every attempt of the first process was recorded, the one in flight at SIGTERM too.
  for (const auto& item : items) {
    std::string id(item.at("id").as_string());
    ASSERT_TRUE(sent_before.contains(id)) << id;
    EXPECT_EQ(item.at("attempts").as_int64(), static_cast<std::int64_t>(sent_before[id] + 1));
    EXPECT_EQ(receiver.received(id).size(), sent_before[id] + 1);
  }
}

TEST(Webhooks, PrivateTargetsAreRefusedUnlessAllowed) {
  OrdoProcess ordo;
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto admin = admin_session(ordo, runner);
  for (const char* url : {"http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data",
                          "http://10.0.0.8/hook", "http://[::1]:8080/hook", "http://0.0.0.0/",
                          "http://localhost:9/hook", "https://example.com/hook"}) {
    auto response = admin->request("POST", "/webhooks", hook_body(url, R"(["*"])"));
    expect_problem(response, 400, url);
    EXPECT_EQ(problem_fields(response), std::vector<std::string>{"url"}) << url;
  }
}

TEST(Webhooks, AnEndpointFailingTooLongIsDisabledAndItsAdminTold) {
  Receiver receiver([](int) { return 500; });
  OrdoProcess ordo(fast_retries({{"notifications.webhook_allow_private", "true"},
                                 {"notifications.webhook_disable_after_s", "1"}}));
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto admin = admin_session(ordo, runner);
  auto admin_id = admin->run(admin->api().me()).id;
  auto created = admin->request("POST", "/webhooks", hook_body(receiver.url("/down"), R"(["*"])"));
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id(Session::json(created).at("id").as_string());
  user_session(ordo, runner, "trigger");

  ASSERT_TRUE(eventually([&] {
    auto webhook = Session::json(admin->request("GET", "/webhooks/" + id));
    return webhook.is_object() && webhook.at("status") == "disabled";
  })) << "the webhook was never disabled";
  EXPECT_GE(receiver.received().size(), 2u);
  for (const auto& item : deliveries(*admin, id)) {
    EXPECT_EQ(item.at("status").as_string(), "failed");
    EXPECT_EQ(item.at("lastResponseCode").as_int64(), 500);
  }
  EXPECT_TRUE(eventually([&] {
    auto page = Session::json(admin->request("GET", "/notifications?limit=100&userId=" + admin_id));
    for (const auto& item : page.at("items").as_array()) {
      if (item.at("eventType") == "webhook.disabled")
        return true;
    }
    return false;
  })) << "the admin was not told";
}

}  // namespace
}  // namespace ordo::e2e
