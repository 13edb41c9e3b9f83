// What the client can tell a caller about a failed request: whether it may have reached the
// server, and that a non-replayable request is never sent twice on its own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "platform/core/ports.hpp"
#include "platform/http/client.hpp"

namespace ordo::http {
namespace {

// A blocking server on one thread. Each connection: answers `answered_per_connection` requests
// with keep-alive 200s, then reads one more and closes without answering (a crash mid-request).
class ScriptedServer {
 public:
  // host: a loopback address to listen on (all of 127/8 is loopback); port 0: any free one.
  explicit ScriptedServer(int answered_per_connection, const std::string& host = "127.0.0.1",
                          std::uint16_t port = 0)
      : answered_(answered_per_connection), host_(host) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string origin() const { return "http://" + host_ + ":" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  int requests() const { return requests_; }
  std::string heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  // One request (head and Content-Length body); false when the peer closed.
  bool read_request(int client, std::string& pending) {
    char buffer[4096];
    while (true) {
      auto end = pending.find("\r\n\r\n");
      if (end != std::string::npos) {
        {
          std::lock_guard lock(mutex_);
          heads_ += pending.substr(0, end + 4);
        }
        std::size_t body = 0;
        if (auto at = pending.find("Content-Length: "); at != std::string::npos && at < end)
          body = std::stoul(pending.substr(at + 16));
        if (pending.size() >= end + 4 + body) {
          pending.erase(0, end + 4 + body);
          return true;
        }
      }
      auto n = ::read(client, buffer, sizeof buffer);
      if (n <= 0)
        return false;
      pending.append(buffer, static_cast<std::size_t>(n));
    }
  }

  void serve() {
    while (true) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0)
        return;
      std::string pending;
      for (int i = 0; i <= answered_; ++i) {
        if (!read_request(client, pending))
          break;
        ++requests_;
        if (i == answered_)
          break;  // read, then gone
        std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        [[maybe_unused]] auto written = ::write(client, answer.data(), answer.size());
      }
      ::close(client);
    }
  }

  int answered_;
  std::string host_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::string heads_;  // every request head read, in order
  std::thread thread_;
};

struct Outcome {
  int status = 0;
  bool failed = false;
  bool may_have_reached = false;
  ClientError::Kind kind = ClientError::Kind::protocol;
};

Outcome send(Client& client, boost::asio::io_context& io, const std::string& origin,
             std::string method, Headers headers = {}) {
  OutgoingRequest request{std::move(method), "/", std::move(headers), "{}"};
  auto future =
      boost::asio::co_spawn(io, client.send(origin, std::move(request)), boost::asio::use_future);
  io.restart();
  io.run();
  Outcome out;
  try {
    out.status = future.get().status;
  } catch (const ClientError& e) {
    out.failed = true;
    out.may_have_reached = e.may_have_reached();
    out.kind = e.kind();
  }
  return out;
}

TEST(HttpClient, RefusedConnectionNeverReachedTheServer) {
  boost::asio::io_context io;
  Client client(io.get_executor());
  auto port = core::pick_free_port();
  auto outcome = send(client, io, "http://127.0.0.1:" + std::to_string(port), "POST");
  ASSERT_TRUE(outcome.failed);
  EXPECT_EQ(outcome.kind, ClientError::Kind::connect_failed);
  EXPECT_FALSE(outcome.may_have_reached);
}

TEST(HttpClient, ClosedAfterReadingMayHaveReachedTheServer) {
  ScriptedServer server(0);
  boost::asio::io_context io;
  Client client(io.get_executor());
  auto outcome = send(client, io, server.origin(), "POST");
  ASSERT_TRUE(outcome.failed);
  EXPECT_TRUE(outcome.may_have_reached);
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, NonReplayableRequestIsNotResentOnAFreshConnection) {
  ScriptedServer server(1);
  boost::asio::io_context io;
  Client client(io.get_executor());
  EXPECT_EQ(send(client, io, server.origin(), "POST").status, 200);
  // The kept-alive connection dies under the second POST: it is reported, not sent again.
  auto outcome = send(client, io, server.origin(), "POST");
  ASSERT_TRUE(outcome.failed);
  EXPECT_TRUE(outcome.may_have_reached);
  EXPECT_EQ(server.requests(), 2);
}

// A caller that asks for "Connection: close" gets a connection of its own: the field goes out
// (other hop-by-hop fields do not), and the connection is never pooled, even when the server
// would keep it.
TEST(HttpClient, ACallerAskingToCloseGetsAConnectionOfItsOwn) {
  ScriptedServer server(1);
  boost::asio::io_context io;
  Client client(io.get_executor());
  Headers closing;
  closing.set("Connection", "keep-alive, Close");
  closing.set("Upgrade", "websocket");
  EXPECT_EQ(send(client, io, server.origin(), "POST", closing).status, 200);
  // Pooled, the connection would die under this POST (the server answers one per connection).
  EXPECT_EQ(send(client, io, server.origin(), "POST", closing).status, 200);
  EXPECT_EQ(server.requests(), 2);
  std::string heads = server.heads();
  std::size_t closes = 0;
  for (auto at = heads.find("Connection: close\r\n"); at != std::string::npos;
       at = heads.find("Connection: close\r\n", at + 1))
    ++closes;
  EXPECT_EQ(closes, 2u) << heads;
  EXPECT_EQ(heads.find("keep-alive"), std::string::npos) << heads;
  EXPECT_EQ(heads.find("Upgrade"), std::string::npos) << heads;
}

TEST(HttpClient, ReplayableRequestIsResentOnAFreshConnection) {
  ScriptedServer server(1);
  boost::asio::io_context io;
  Client client(io.get_executor());
  EXPECT_EQ(send(client, io, server.origin(), "GET").status, 200);
  EXPECT_EQ(send(client, io, server.origin(), "GET").status, 200);
  EXPECT_EQ(server.requests(), 3);
  // Every kept-alive connection dies under its second request: each keyed POST is resent too.
  Headers keyed;
  keyed.set("Idempotency-Key", "k1");
  EXPECT_EQ(send(client, io, server.origin(), "POST", keyed).status, 200);
  EXPECT_EQ(send(client, io, server.origin(), "POST", keyed).status, 200);
  EXPECT_EQ(server.requests(), 7);
}

TEST(HttpClient, ReplayableRequests) {
  Headers none;
  Headers keyed;
  keyed.set("Idempotency-Key", "k");
  for (const char* method : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
    EXPECT_TRUE(is_replayable(method, none)) << method;
  EXPECT_FALSE(is_replayable("POST", none));
  EXPECT_TRUE(is_replayable("POST", keyed));
  EXPECT_FALSE(is_replayable("PATCH", keyed));
}

// A name with several addresses (a service scaled behind one DNS name): requests go round them,
// and an address the name no longer has gets no new request once the name is looked up again.
TEST(HttpClient, ANameWithSeveralAddressesSharesTheRequests) {
  ScriptedServer first(1000, "127.0.0.1");
  ScriptedServer second(1000, "127.0.0.2", first.port());
  std::mutex mutex;
  std::vector<std::string> answer{"127.0.0.1", "127.0.0.2"};
  std::atomic<int> lookups{0};
  ClientOptions options;
  options.name_refresh = std::chrono::milliseconds(0);  // looked up for every request
  options.lookup = [&](const std::string& name) {
    ++lookups;
    std::lock_guard lock(mutex);
    return name == "products.ordo.test" ? answer : std::vector<std::string>{};
  };
  boost::asio::io_context io;
  Client client(io.get_executor(), options);
  const std::string origin = "http://products.ordo.test:" + std::to_string(first.port());
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(send(client, io, origin, "GET").status, 200);
  EXPECT_EQ(first.requests(), 2);
  EXPECT_EQ(second.requests(), 2);
  EXPECT_NE(first.heads().find("Host: products.ordo.test:"), std::string::npos);
  EXPECT_EQ(lookups, 4);
  {
    std::lock_guard lock(mutex);
    answer = {"127.0.0.2"};
  }
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send(client, io, origin, "GET").status, 200);
  EXPECT_EQ(first.requests(), 2);
  EXPECT_EQ(second.requests(), 5);
}

TEST(HttpClient, ANameWithoutAddressNeverReachedTheServer) {
  ClientOptions options;
  options.lookup = [](const std::string&) { return std::vector<std::string>{}; };
  boost::asio::io_context io;
  Client client(io.get_executor(), options);
  auto outcome = send(client, io, "http://nowhere.ordo.test:3002", "POST");
  ASSERT_TRUE(outcome.failed);
  EXPECT_EQ(outcome.kind, ClientError::Kind::connect_failed);
  EXPECT_FALSE(outcome.may_have_reached);
}

}  // namespace
}  // namespace ordo::http
