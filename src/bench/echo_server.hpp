// `ordo bench-echo`: Ordo's HTTP server answering a constant response, the bench's HTTP ceiling.
#pragma once

#include <cstdint>

#include "platform/http/server.hpp"

namespace ordo::bench {

// Serves 200 {"ok":true} to every request on 127.0.0.1:port until SIGTERM/SIGINT; returns the
// exit code.
int run_echo_server(std::uint16_t port, const http::ServerLimits& limits);

}  // namespace ordo::bench
