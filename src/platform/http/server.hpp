// The HTTP/1.1 server: keep-alive, limits, graceful shutdown. Beast lives only in server.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/http/router.hpp"

namespace ordo::http {

struct ServerLimits {
  std::size_t max_body_bytes = 1024 * 1024;          // larger bodies get 413
  std::size_t max_header_bytes = 16 * 1024;          // larger headers get 431
  std::size_t max_target_bytes = 8 * 1024;           // longer request targets get 414
  std::chrono::milliseconds header_timeout{10'000};  // time to receive a request's head
  std::chrono::milliseconds body_timeout{30'000};    // time to receive its body
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive connection left idle
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 10'000;  // beyond it new connections are closed at once
};

// Executors of io_contexts that are each run by exactly one thread (the caller's promise).
struct EventLoops {
  std::vector<boost::asio::any_io_executor> executors;  // at least one
};

class Server {
 public:
  // name: for logs ("gateway", "users"); handler: the whole application (router + middleware).
  // Every connection runs on a strand of its own: correct however many threads run `executor`.
  Server(boost::asio::any_io_executor executor, std::string name, ServerLimits limits,
         Handler handler);
  // Connections are spread round-robin over the loops and run on them directly. Cheaper: an
  // any_io_executor holding a strand allocates on most asynchronous operations (a proxied read
  // made about 80 such allocations), a bare io_context executor does not. The handler then runs
  // on any of the loops' threads, so whatever it shares between connections must be thread-safe
  // when there are several loops.
  Server(EventLoops loops, std::string name, ServerLimits limits, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; returns the bound port (useful with port 0). Throws on failure.
  std::uint16_t listen(const std::string& host, std::uint16_t port);

  // Graceful stop: closes the listener, lets in-flight requests finish (their responses go out
  // with "Connection: close"), closes idle connections. Completes when every connection is gone
  // or the grace period has passed (then the rest are closed).
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

  std::size_t open_connections() const;
  const std::string& name() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ordo::http
