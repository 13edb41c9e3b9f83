// What every fuzz target shares: the input as text, and stopping loudly when a promise is broken
// (libFuzzer then keeps the input as a crash artifact).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ordo::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void violated(std::string_view what) {
  std::fprintf(stderr, "fuzz: broken promise: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

inline void check(bool holds, std::string_view what) {
  if (!holds)
    violated(what);
}

}  // namespace ordo::fuzz
