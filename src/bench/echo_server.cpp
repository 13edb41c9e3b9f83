// The echo server: the same http::Server and limits as every Ordo service, with no application
// behind it, so that what it serves per second is the HTTP stack's own ceiling on this machine.
#include "bench/echo_server.hpp"

#include <csignal>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>

#include "platform/auth/jwt.hpp"
#include "platform/auth/keys.hpp"

namespace ordo::bench {

namespace {

// A coroutine function, not a coroutine lambda: its body is all it needs (g++ 12).
boost::asio::awaitable<http::Response> answer(std::string body) {
  co_return http::Response::text(200, std::move(body), "application/json");
}

}  // namespace

int run_echo_server(std::uint16_t port, const http::ServerLimits& limits) {
  boost::asio::io_context io{1};
  // Every path answers, so that a gateway can put any route (and its /ready probe) in front.
  // The gateway also fetches token keys from its users upstream (this server) and is not ready
  // without them: a throwaway key set is published (no token is ever signed with it).
  const std::string key_set = boost::json::serialize(
      auth::jwks(auth::key_set(auth::signing_key_from_seed(auth::new_signing_key_seed()))));
  http::Handler handler = [key_set](http::Request& request) {
    return answer(request.path == "/.well-known/jwks.json" ? key_set : R"({"ok":true})");
  };
  // One thread runs `io`, as in every Ordo service: connections need no strand.
  http::Server server(http::EventLoops{{io.get_executor()}}, "echo", limits, handler);
  auto bound = server.listen("127.0.0.1", port);
  std::cout << "bench-echo listening on 127.0.0.1:" << bound << std::endl;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec)
      return;
    boost::asio::co_spawn(io, server.shutdown(std::chrono::seconds(2)),
                          [&io](std::exception_ptr) { io.stop(); });
  });
  io.run();
  return 0;
}

}  // namespace ordo::bench
