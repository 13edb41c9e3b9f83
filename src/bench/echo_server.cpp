// The echo server: the same http::Server and limits as every Ordo service, with no application
// behind it, so that what it serves per second is the HTTP stack's own ceiling on this machine.
#include "bench/echo_server.hpp"

#include <csignal>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace ordo::bench {

int run_echo_server(std::uint16_t port, const http::ServerLimits& limits) {
  boost::asio::io_context io{1};
  // Every path answers, so that a gateway can put any route (and its /ready probe) in front.
  http::Handler handler = [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response::text(200, R"({"ok":true})", "application/json");
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
