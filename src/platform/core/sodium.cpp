#include "platform/core/sodium.hpp"

#include <stdexcept>

#include <sodium.h>

namespace ordo::core {

void ensure_sodium() {
  // A function-local static gives thread-safe one-time init; sodium_init itself is idempotent.
  static const bool initialised = [] {
    if (sodium_init() < 0) {
      throw std::runtime_error("libsodium initialisation failed");
    }
    return true;
  }();
  (void)initialised;
}

}  // namespace ordo::core
