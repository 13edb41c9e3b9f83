// Picking a free loopback port for a server that another process will start (tests, bench).
#pragma once

#include <cstdint>

namespace ordo::core {

// A port that can be bound on 127.0.0.1 now, chosen at random below the kernel's ephemeral range
// (32768+): no outgoing connection can take it between this check and the server's bind, and
// parallel callers rarely pick the same one. Throws when none is found.
// [low, high] lets two kinds of callers that run at the same time (end-to-end tests and the
// bench's smoke test under CTest -j) draw from disjoint ranges.
std::uint16_t pick_free_port(std::uint16_t low = 20000, std::uint16_t high = 32000);

}  // namespace ordo::core
